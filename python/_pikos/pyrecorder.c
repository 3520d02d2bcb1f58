/*
 * python/_pikos/pyrecorder.c - recorders/python: hands records to a Python
 * object with the seed's AbstractRecorder protocol.
 *
 *   prepare(record_class)  once per record schema of a run, before its
 *                          first record (the core calls it at the start for
 *                          each monitor's schema)
 *   record(record)         per record, as an object of its record class
 *   finalize()             when the run stops
 *
 * Pipeline.add_python_recorder() sets the object right after creating the
 * instance.  After an exception (see pyplugin.c) prepare() and record()
 * are not called again in the run; finalize() still is, so the object can
 * close what it opened, as the seed's monitors do when an attached function
 * raises.
 */
#include "ext.h"

#include "config.h" /* PACKAGE_VERSION */

static PyObject *name_prepare, *name_record, *name_finalize;

int pikos_ext_python_recorder_init(void)
{
    name_prepare = PyUnicode_InternFromString("prepare");
    name_record = PyUnicode_InternFromString("record");
    name_finalize = PyUnicode_InternFromString("finalize");
    return name_prepare && name_record && name_finalize ? 0 : -1;
}

static int status_of(enum pikos_ext_outcome outcome)
{
    return outcome == PIKOS_EXT_FAILED ? PIKOS_EPYTHON : PIKOS_OK;
}

static int pyrecorder_prepare(struct pikos_instance *inst, void *ctx,
                              const struct pikos_schema *schema)
{
    struct pikos_ext_pyplugin *p = ctx;
    enum pikos_ext_outcome outcome;
    struct pikos_ext_entry entry;
    PyObject *cls;

    if (pikos_ext_pyplugin_takes(inst, p, schema) != PIKOS_OK)
        return PIKOS_EINVAL;
    if (p->failed || p->target == NULL)
        return PIKOS_OK;
    pikos_ext_pyplugin_enter(p, &entry);
    cls = Py_XNewRef(pikos_ext_class_for(&p->converter, schema));
    if (cls == NULL)
        outcome = pikos_ext_pyplugin_failed(inst, p, "prepare");
    else
        outcome = pikos_ext_pyplugin_call(inst, p, name_prepare, cls, NULL);
    Py_XDECREF(cls);
    pikos_ext_pyplugin_leave(p, &entry);
    return status_of(outcome);
}

static int pyrecorder_record(struct pikos_instance *inst, void *ctx,
                             const struct pikos_record *rec)
{
    struct pikos_ext_pyplugin *p = ctx;
    enum pikos_ext_outcome outcome;
    struct pikos_ext_entry entry;
    PyObject *record;

    if (p->failed || p->target == NULL)
        return PIKOS_OK;
    pikos_ext_pyplugin_enter(p, &entry);
    record = pikos_ext_pyplugin_record(p, rec, 0);
    if (record == NULL)
        outcome = pikos_ext_pyplugin_failed(inst, p, "record");
    else
        outcome = pikos_ext_pyplugin_call(inst, p, name_record, record, NULL);
    Py_XDECREF(record);
    pikos_ext_pyplugin_leave(p, &entry);
    return status_of(outcome);
}

static int pyrecorder_finalize(struct pikos_instance *inst, void *ctx)
{
    struct pikos_ext_pyplugin *p = ctx;
    enum pikos_ext_outcome outcome;
    struct pikos_ext_entry entry;

    if (p->target == NULL)
        return PIKOS_OK;
    pikos_ext_pyplugin_enter(p, &entry);
    outcome = pikos_ext_pyplugin_call(inst, p, name_finalize, NULL, NULL);
    pikos_ext_pyplugin_leave(p, &entry);
    return status_of(outcome);
}

const struct pikos_plugin pikos_ext_python_recorder = {
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_RECORDER,
    .name = "python",
    .version = PACKAGE_VERSION,
    .description = "Hand every record to a Python object's record() (the "
                   "seed's AbstractRecorder protocol)",
    .ctx_size = sizeof(struct pikos_ext_pyplugin),
    .init = pikos_ext_pyplugin_init,
    .start = pikos_ext_pyplugin_start,
    .fini = pikos_ext_pyplugin_fini,
    .prepare = pyrecorder_prepare,
    .record = pyrecorder_record,
    .finalize = pyrecorder_finalize,
};
