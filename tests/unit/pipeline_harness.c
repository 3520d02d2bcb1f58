/* tests/unit/pipeline_harness.c - see pipeline_harness.h. */
#include "pipeline_harness.h"
#include "hook_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

struct pikos_registry *harness_registry;

/* ------------------------------------------------------------ Python code */

static const char tiny_source[] = "def f(x):\n"
                                  "    return len(x)\n"
                                  "\n"
                                  "def g():\n"
                                  "    return f(\"abc\")\n";

static const char workload_source[] =
    "class Box:\n"
    "    def __init__(self):\n"
    "        self.items = []\n"
    "\n"
    "    def put(self, item):\n"
    "        self.items.append(item)\n"
    "        return self\n"
    "\n"
    "def plain(x):\n"
    "    return x + 1\n"
    "\n"
    "def recurse(n):\n"
    "    return 0 if n == 0 else recurse(n - 1) + 1\n"
    "\n"
    "def numbers(n):\n"
    "    for i in range(n):\n"
    "        yield i\n"
    "\n"
    "def fails():\n"
    "    raise ValueError('boom')\n"
    "\n"
    "def run():\n"
    "    plain(1)\n"
    "    recurse(3)\n"
    "    total = sum(numbers(3))\n"
    "    Box().put(total).put(len('abc'))\n"
    "    try:\n"
    "        fails()\n"
    "    except ValueError:\n"
    "        pass\n"
    "    try:\n"
    "        divmod(1, 0)\n"
    "    except ZeroDivisionError:\n"
    "        pass\n"
    "    squares = [i * i for i in range(3)]\n"
    "    sorted(squares, key=lambda v: -v)\n"
    "    return {k: v for k, v in zip('ab', squares)}\n";

/* The oracles: pure-Python callbacks, as the seed's monitors were. */
static const char oracle_source[] =
    "import sys, types\n"
    "FILES = ('tiny.py', 'workload.py')\n"
    "def make_module(name, source):\n"
    "    module = types.ModuleType(name)\n"
    "    exec(compile(source, name + '.py', 'exec'), module.__dict__)\n"
    "    return module\n"
    "def oracle(fn):\n"
    "    events = []\n"
    "    def profile(frame, event, arg):\n"
    "        if frame.f_code.co_filename not in FILES:\n"
    "            return\n"
    "        name = arg.__name__ if event.startswith('c_') "
    "else frame.f_code.co_name\n"
    "        events.append('%s|%s|%s|%s' % (event, name, frame.f_lineno,\n"
    "                                       frame.f_code.co_filename))\n"
    "    sys.setprofile(profile)\n"
    "    fn()\n"
    "    sys.setprofile(None)\n"
    "    return ''.join(e + '\\n' for e in events)\n"
    "def line_oracle(fn):\n"
    "    events = []\n"
    "    def trace(frame, event, arg):\n"
    "        code = frame.f_code\n"
    "        if event in ('line', 'exception') and code.co_filename in FILES:\n"
    "            events.append('%s|%s|%s|%s|%s' % (event, code.co_name,\n"
    "                          code.co_qualname, code.co_firstlineno,\n"
    "                          frame.f_lineno))\n"
    "        return trace\n"
    "    sys.settrace(trace)\n"
    "    fn()\n"
    "    sys.settrace(None)\n"
    "    return ''.join(e + '\\n' for e in events)\n";

static PyObject *main_dict(void)
{
    return PyModule_GetDict(PyImport_AddModule("__main__"));
}

void py_run(const char *source)
{
    PyObject *result =
        PyRun_String(source, Py_file_input, main_dict(), main_dict());
    if (result == NULL) {
        PyErr_Print();
        cr_assert_fail("Python code failed:\n%s", source);
    }
    Py_DECREF(result);
}

PyObject *py_function(const char *module, const char *function)
{
    PyObject *owner = PyDict_GetItemString(main_dict(), module);
    PyObject *fn = owner ? PyObject_GetAttrString(owner, function) : NULL;
    if (fn == NULL) {
        PyErr_Print();
        cr_assert_fail("no Python function %s.%s", module, function);
    }
    return fn;
}

void py_call(const char *module, const char *function)
{
    PyObject *fn = py_function(module, function);
    PyObject *result = PyObject_CallNoArgs(fn);
    Py_DECREF(fn);
    if (result == NULL) {
        PyErr_Print();
        cr_assert_fail("%s.%s() raised", module, function);
    }
    Py_DECREF(result);
}

PyObject *py_eval(const char *expression)
{
    PyObject *value =
        PyRun_String(expression, Py_eval_input, main_dict(), main_dict());
    if (value == NULL) {
        PyErr_Print();
        cr_assert_fail("Python expression failed: %s", expression);
    }
    return value;
}

void harness_use_legacy_hook(void)
{
    setenv("PIKOS_HOOK", "legacy", 1);
    cr_assert_not(pikos_hook_uses_monitoring(),
                  "the hook was chosen before the test asked");
}

int harness_hook_installed(int function_events)
{
    PyThreadState *thread = PyThreadState_Get();
    PyObject *found;
    int installed;

    if (!pikos_hook_uses_monitoring())
        return (function_events ? (void *)thread->c_profilefunc
                                : (void *)thread->c_tracefunc) != NULL;
    found = py_eval(function_events
                        ? "any(sys.monitoring.get_tool(i) == 'pikos' and "
                          "sys.monitoring.get_events(i) & "
                          "sys.monitoring.events.PY_START for i in range(6))"
                        : "any(sys.monitoring.get_tool(i) == 'pikos' and "
                          "sys.monitoring.get_events(i) & "
                          "sys.monitoring.events.LINE for i in range(6))");
    installed = found == Py_True;
    Py_DECREF(found);
    return installed;
}

char *py_text(const char *expression)
{
    PyObject *value = py_eval(expression);
    PyObject *text = PyObject_Str(value);
    const char *utf8 = text ? PyUnicode_AsUTF8(text) : NULL;
    char *copy;

    if (utf8 == NULL) {
        PyErr_Print();
        cr_assert_fail("no text for: %s", expression);
    }
    copy = strdup(utf8);
    Py_DECREF(text);
    Py_DECREF(value);
    return copy;
}

static void define_module(const char *name, const char *source)
{
    PyObject *make = PyDict_GetItemString(main_dict(), "make_module");
    PyObject *module = PyObject_CallFunction(make, "ss", name, source);
    if (module == NULL || PyDict_SetItemString(main_dict(), name, module)) {
        PyErr_Print();
        cr_assert_fail("cannot create the test module %s", name);
    }
    Py_DECREF(module);
}

/* ------------------------------------------------------------ fixtures */

void harness_setup(void)
{
    struct pikos_error err = {0};

    Py_InitializeEx(0);
    py_run(oracle_source);
    define_module("tiny", tiny_source);
    define_module("workload", workload_source);
    harness_registry = pikos_registry_new();
    cr_assert_not_null(harness_registry);
    cr_assert_eq(
        pikos_registry_add_path(harness_registry, TEST_BUILDDIR "/plugins"), 0);
    cr_assert_eq(pikos_registry_scan(harness_registry, &err), 0, "%s",
                 err.message);
}

void harness_teardown(void)
{
    pikos_registry_free(harness_registry);
    harness_registry = NULL;
    cr_assert_eq(Py_FinalizeEx(), 0);
}

/* ------------------------------------------------------------ instances */

struct pikos_instance *
registry_instance(const char *name, const struct pikos_option_setting *settings,
                  size_t nsettings)
{
    struct pikos_error err = {0};
    struct pikos_instance *inst =
        pikos_instance_new(harness_registry, name, settings, nsettings, &err);
    cr_assert_not_null(inst, "%s", err.message);
    return inst;
}

/* What the registry would know of an in-process plugin; one per instance,
   freed with the process (pikos_instance_free leaves infos alone). */
static struct pikos_plugin_info *local_info(const struct pikos_plugin *plugin,
                                            const char *full_name)
{
    static struct pikos_plugin_info infos[8];
    static size_t used;

    cr_assert_lt(used, sizeof(infos) / sizeof(infos[0]));
    infos[used] = (struct pikos_plugin_info){
        .full_name = (char *)full_name,
        .name = (char *)plugin->name,
        .kind = plugin->kind,
        .state = PIKOS_PLUGIN_OK,
        .descriptor = plugin,
    };
    return &infos[used++];
}

struct pikos_instance *local_instance(const struct pikos_plugin *plugin,
                                      const char *full_name)
{
    struct pikos_instance *inst = calloc(1, sizeof(*inst));

    cr_assert_not_null(inst);
    inst->info = local_info(plugin, full_name);
    inst->plugin = plugin;
    inst->ctx = calloc(1, plugin->ctx_size);
    cr_assert_not_null(inst->ctx);
    inst->initialized = 1;
    return inst;
}

void pipeline_add_ok(struct pikos_pipeline *pipe, struct pikos_instance *inst)
{
    struct pikos_error err = {0};
    int rc = pikos_pipeline_add(pipe, inst, &err);
    cr_assert_eq(rc, 0, "%s", err.message);
}

/* ------------------------------------------------------------ collect */

static int collect_start(struct pikos_instance *inst, void *ctx)
{
    ((struct collect_ctx *)ctx)->starts++;
    return 0;
}

static int collect_prepare(struct pikos_instance *inst, void *ctx,
                           const struct pikos_schema *schema)
{
    ((struct collect_ctx *)ctx)->prepares++;
    return 0;
}

static void collect_row(char *row, const struct pikos_record *rec)
{
    size_t len = 0;

    for (size_t i = 0; i < rec->schema->nfields; i++) {
        if (i > 0 && len < COLLECT_ROW_SIZE - 1)
            row[len++] = '|';
        len += pikos_format_value(rec->schema->fields[i].type, &rec->values[i],
                                  row + len, COLLECT_ROW_SIZE - 1 - len);
        if (len > COLLECT_ROW_SIZE - 1)
            len = COLLECT_ROW_SIZE - 1;
    }
    row[len] = '\0';
}

static int collect_record(struct pikos_instance *inst, void *ctx,
                          const struct pikos_record *rec)
{
    struct collect_ctx *self = ctx;

    self->count++;
    if (self->callback != NULL)
        Py_XDECREF(PyObject_CallNoArgs(self->callback));
    if (self->count == self->fail_at)
        return pikos_instance_set_error(inst, PIKOS_EIO,
                                        "disk full at record %zu", self->count);
    if (self->count > COLLECT_MAX_ROWS)
        return pikos_instance_set_error(
            inst, PIKOS_ENOMEM, "more than %d records", COLLECT_MAX_ROWS);
    collect_row(self->rows[self->count - 1], rec);
    return 0;
}

static int collect_flush(struct pikos_instance *inst, void *ctx)
{
    ((struct collect_ctx *)ctx)->flushes++;
    return 0;
}

static int collect_stop(struct pikos_instance *inst, void *ctx)
{
    ((struct collect_ctx *)ctx)->stops++;
    return 0;
}

static int collect_finalize(struct pikos_instance *inst, void *ctx)
{
    ((struct collect_ctx *)ctx)->finalizes++;
    return 0;
}

const struct pikos_plugin collect_recorder = {
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_RECORDER,
    .name = "collect",
    .ctx_size = sizeof(struct collect_ctx),
    .start = collect_start,
    .stop = collect_stop,
    .prepare = collect_prepare,
    .record = collect_record,
    .flush = collect_flush,
    .finalize = collect_finalize,
};

char *collect_text(const struct collect_ctx *collect)
{
    size_t kept =
        collect->count < COLLECT_MAX_ROWS ? collect->count : COLLECT_MAX_ROWS;
    char *text = malloc(kept * (COLLECT_ROW_SIZE + 1) + 1);
    size_t len = 0;

    cr_assert_not_null(text);
    for (size_t i = 0; i < kept; i++) {
        if (i + 1 == collect->fail_at)
            continue; /* the failed record was not kept */
        len += (size_t)sprintf(text + len, "%s\n", collect->rows[i]);
    }
    text[len] = '\0';
    return text;
}

/* ------------------------------------------------------------ filter */

static int probe_filter_start(struct pikos_instance *inst, void *ctx)
{
    struct probe_filter_ctx *self = ctx;

    self->starts++;
    if (self->fail_start)
        return pikos_instance_set_error(inst, PIKOS_EINVAL,
                                        "no rule to filter by");
    return 0;
}

static int probe_filter_stop(struct pikos_instance *inst, void *ctx)
{
    ((struct probe_filter_ctx *)ctx)->stops++;
    return 0;
}

static int is_dropped(const struct probe_filter_ctx *self,
                      const struct pikos_record *rec)
{
    int field = pikos_schema_field_index(rec->schema, "function");
    const struct pikos_value *v;

    if (self->drop == NULL || field < 0)
        return 0;
    v = &rec->values[field];
    return v->u.s.len == strlen(self->drop) &&
           memcmp(v->u.s.ptr, self->drop, v->u.s.len) == 0;
}

static int probe_filter_filter(struct pikos_instance *inst, void *ctx,
                               const struct pikos_record *rec)
{
    const struct probe_filter_ctx *self = ctx;

    if (self->fail_records)
        return PIKOS_EIO;
    return is_dropped(self, rec) ? PIKOS_DROP : PIKOS_PASS;
}

const struct pikos_plugin probe_filter = {
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_FILTER,
    .name = "probe",
    .ctx_size = sizeof(struct probe_filter_ctx),
    .start = probe_filter_start,
    .stop = probe_filter_stop,
    .filter = probe_filter_filter,
};

/* ------------------------------------------------------------ probes */

static const struct pikos_field probe_fields[] = {
    {"type", PIKOS_FIELD_STR},     {"function", PIKOS_FIELD_STR},
    {"qualname", PIKOS_FIELD_STR}, {"firstLineNo", PIKOS_FIELD_INT},
    {"lineNo", PIKOS_FIELD_INT},
};

static const struct pikos_schema probe_schema = {
    .name = "ProbeRecord",
    .nfields = 5,
    .fields = probe_fields,
    .header_template = "{} {} {} {} {}",
    .line_template = "{} {} {} {} {}",
};

static void set_text(struct pikos_value *v, const char *text, size_t len)
{
    v->u.s.ptr = text;
    v->u.s.len = len;
}

static void probe_on_event(struct pikos_instance *inst, void *ctx,
                           const struct pikos_event *ev)
{
    struct probe_monitor_ctx *self = ctx;
    struct pikos_value values[5];
    const char *type = pikos_event_name(ev->type);
    struct pikos_record record = {&probe_schema, values};

    self->events++;
    self->zero_times += ev->time_ns == 0;
    self->time_went_back |= ev->time_ns < self->last_time;
    self->last_time = ev->time_ns;
    set_text(&values[0], type, strlen(type));
    set_text(&values[1], ev->function, ev->function_len);
    set_text(&values[2], ev->code->qualname, ev->code->qualname_len);
    values[3].u.i = ev->code->firstlineno;
    values[4].u.i = ev->lineno;
    pikos_host_table.emit(inst, &record);
}

const struct pikos_plugin line_probe = {
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_MONITOR,
    .name = "line_probe",
    .ctx_size = sizeof(struct probe_monitor_ctx),
    .event_mask = PIKOS_EVENT_BIT(PIKOS_EVENT_LINE) |
                  PIKOS_EVENT_BIT(PIKOS_EVENT_EXCEPTION),
    .schema = &probe_schema,
    .on_event = probe_on_event,
};

const struct pikos_plugin timed_probe = {
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_MONITOR,
    .name = "timed_probe",
    .ctx_size = sizeof(struct probe_monitor_ctx),
    .event_mask = PIKOS_EVENT_BIT(PIKOS_EVENT_CALL),
    .monitor_flags = PIKOS_MONITOR_WANTS_TIME,
    .schema = &probe_schema,
    .on_event = probe_on_event,
};

/* ------------------------------------------------------------ files */

void temp_path(char path[64])
{
    int fd;

    strcpy(path, "/tmp/pikos-pipeline-XXXXXX");
    fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
}

char *read_text_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    char *text = calloc(1, 65536);
    size_t len;

    cr_assert_not_null(file, "cannot read %s", path);
    cr_assert_not_null(text);
    len = fread(text, 1, 65535, file);
    text[len] = '\0';
    fclose(file);
    return text;
}
