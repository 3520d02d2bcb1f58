/*
 * python/_pikos/pyfilter.c - filters/python: a Python callable decides
 * which records pass.
 *
 * The callable gets each record as an object of its record class; a truthy
 * result passes the record on.  Pipeline.add_python_filter() sets the
 * callable right after creating the instance.  A record the callable
 * raised on is dropped, and so is every later record of the run (see
 * pyplugin.c): a filter that failed cannot say which records it wanted.
 *
 * The pipeline's first Python filter makes the record object the Python
 * plugins after it reuse, so a Python filter and a Python recorder seeing
 * the same record build it once.
 */
#include "ext.h"

#include "config.h" /* PACKAGE_VERSION */

static int pyfilter_filter(struct pikos_instance *inst, void *ctx,
                           const struct pikos_record *rec)
{
    struct pikos_ext_pyplugin *p = ctx;
    enum pikos_ext_outcome outcome;
    struct pikos_ext_entry entry;
    PyObject *record;
    int passes = 0;

    if (p->failed || p->target == NULL)
        return PIKOS_DROP;
    pikos_ext_pyplugin_enter(p, &entry);
    record = pikos_ext_pyplugin_record(p, rec, p == p->shared->first_filter);
    if (record == NULL)
        outcome = pikos_ext_pyplugin_failed(inst, p, NULL);
    else
        outcome = pikos_ext_pyplugin_call(inst, p, NULL, record, &passes);
    Py_XDECREF(record);
    pikos_ext_pyplugin_leave(p, &entry);
    return outcome == PIKOS_EXT_DONE && passes ? PIKOS_PASS : PIKOS_DROP;
}

static int pyfilter_prepare(struct pikos_instance *inst, void *ctx,
                            const struct pikos_schema *schema)
{
    return pikos_ext_pyplugin_takes(inst, ctx, schema);
}

const struct pikos_plugin pikos_ext_python_filter = {
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_FILTER,
    .name = "python",
    .version = PACKAGE_VERSION,
    .description = "Pass the records a Python callable returns true for",
    .ctx_size = sizeof(struct pikos_ext_pyplugin),
    .init = pikos_ext_pyplugin_init,
    .start = pikos_ext_pyplugin_start,
    .fini = pikos_ext_pyplugin_fini,
    .filter_prepare = pyfilter_prepare,
    .filter = pyfilter_filter,
};
