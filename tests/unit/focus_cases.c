/* tests/unit/focus_cases.c - see focus_cases.h. */
#include "focus_cases.h"

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

/* ------------------------------------------------------------ Python code */

static const char cases_source[] =
    "import sys, threading\n"
    "\n"
    "class Shape:\n"
    "    def __init__(self, n):\n"
    "        self.n = n\n"
    "\n"
    "    def area(self):\n"
    "        return helper(self.n) * 2\n"
    "\n"
    "def helper(x):\n"
    "    return abs(x) + 1\n"
    "\n"
    "def focused(x):\n"
    "    y = helper(x)\n"
    "    return Shape(y).area()\n"
    "\n"
    "def recurse(n):\n"
    "    return 0 if n == 0 else recurse(n - 1) + helper(n)\n"
    "\n"
    "def numbers(n):\n"
    "    for i in range(n):\n"
    "        yield helper(i)\n"
    "\n"
    "def consume():\n"
    "    total = 0\n"
    "    for v in numbers(3):\n"
    "        total += helper(v)\n"
    "    return total\n"
    "\n"
    "def fails(n):\n"
    "    if n == 0:\n"
    "        raise ValueError('boom')\n"
    "    return fails(n - 1)\n"
    "\n"
    "def catches():\n"
    "    try:\n"
    "        fails(2)\n"
    "    except ValueError:\n"
    "        return helper(-1)\n"
    "\n"
    "def run():\n"
    "    helper(1)\n"
    "    focused(2)\n"
    "    recurse(2)\n"
    "    consume()\n"
    "    catches()\n"
    "    return Shape(3).area()\n"
    "\n"
    "def spin(n):\n"
    "    total = 0\n"
    "    for i in range(n):\n"
    "        total += helper(i)\n"
    "    return total\n"
    "\n"
    "class Worker(threading.Thread):\n"
    "    def run(self):\n"
    "        spin(2)\n"
    "\n"
    "def threaded():\n"
    "    worker = Worker()\n"
    "    worker.start()\n"
    "    worker.join()\n"
    "    return spin(1)\n";

/* The seed's focused monitors, in pure Python. */
static const char oracles_source[] =
    "import csv, threading\n"
    "def focus_matches(code, names):\n"
    "    for name in names:\n"
    "        module, _, function = name.rpartition(':')\n"
    "        path = module.replace('.', '/') + '.py'\n"
    "        if module and code.co_filename != path and \\\n"
    "                not code.co_filename.endswith('/' + path):\n"
    "            continue\n"
    "        if function == code.co_qualname or \\\n"
    "                ('.' not in function and function == code.co_name):\n"
    "            return True\n"
    "    return False\n"
    "def focus_oracle(fn, names):\n"
    "    rows, depth = [], 0\n"
    "    def profile(frame, event, arg):\n"
    "        nonlocal depth\n"
    "        code = frame.f_code\n"
    "        focus = names is not None and event in ('call', 'return') \\\n"
    "            and focus_matches(code, names)\n"
    "        if focus and event == 'call':\n"
    "            depth += 1\n"
    "        if depth > 0 or names is None:\n"
    "            name = arg.__name__ if event.startswith('c_') \\\n"
    "                else code.co_name\n"
    "            rows.append('%d|%s|%s|%d|%s' % (len(rows), event, name,\n"
    "                        frame.f_lineno, code.co_filename))\n"
    "        if focus and event == 'return' and depth > 0:\n"
    "            depth -= 1\n"
    "    sys.setprofile(profile)\n"
    "    fn()\n"
    "    sys.setprofile(None)\n"
    "    return ''.join(row + '\\n' for row in rows)\n"
    "def line_focus_oracle(fn, names):\n"
    "    rows = []\n"
    "    def trace(frame, event, arg):\n"
    "        code = frame.f_code\n"
    "        if event in ('line', 'exception') and \\\n"
    "                focus_matches(code, names):\n"
    "            rows.append('%d|%s|%s|%d' % (len(rows), event,\n"
    "                        code.co_qualname, frame.f_lineno))\n"
    "        return trace\n"
    "    sys.settrace(trace)\n"
    "    fn()\n"
    "    sys.settrace(None)\n"
    "    return ''.join(row + '\\n' for row in rows)\n"
    "def c_call_oracle(fn, names):\n"
    "    rows = [row.split('|') for row in\n"
    "            focus_oracle(fn, names).splitlines()]\n"
    "    return ''.join('|'.join(row[1:4]) + '\\n' for row in rows\n"
    "                   if row[1] == 'c_call')\n"
    "def compare_csv(path, fn, names):\n"
    "    expected = focus_oracle(fn, names).splitlines()\n"
    "    with open(path, newline='') as f:\n"
    "        rows = list(csv.reader(f))[1:]\n"
    "    indexes = [int(row[0]) for row in rows]\n"
    "    if indexes != sorted(set(indexes)):\n"
    "        return 'indexes not strictly increasing'\n"
    "    got = ['|'.join(row) for row in rows]\n"
    "    if names is None:\n"
    "        got = [g.split('|', 1)[1] for g in got\n"
    "               if g.endswith('|focus_cases.py')]\n"
    "        expected = [e.split('|', 1)[1] for e in expected\n"
    "                    if e.endswith('|focus_cases.py')]\n"
    "    if got != expected:\n"
    "        return 'pikos %r\\noracle %r' % (got, expected)\n"
    "    return 'same %d events' % len(got)\n"
    "def thread_oracle(fn):\n"
    "    rows = []\n"
    "    def profile(frame, event, arg):\n"
    "        code = frame.f_code\n"
    "        if code.co_filename != 'focus_cases.py':\n"
    "            return\n"
    "        name = arg.__name__ if event.startswith('c_') else code.co_name\n"
    "        rows.append((threading.get_ident(),\n"
    "                     '%s|%s|%d' % (event, name, frame.f_lineno)))\n"
    "    threading.setprofile(profile)\n"
    "    sys.setprofile(profile)\n"
    "    fn()\n"
    "    sys.setprofile(None)\n"
    "    threading.setprofile(None)\n"
    "    return rows\n"
    "def per_thread(rows):\n"
    "    threads = {}\n"
    "    for ident, row in rows:\n"
    "        threads.setdefault(ident, []).append(row)\n"
    "    return threads\n"
    "def compare_threads(text, fn, only_current):\n"
    "    got = per_thread((int(line.split('|', 1)[0]), line.split('|', 1)[1])\n"
    "                     for line in text.splitlines())\n"
    "    expected = per_thread(thread_oracle(fn))\n"
    "    if only_current:\n"
    "        expected = {threading.get_ident():\n"
    "                    expected[threading.get_ident()]}\n"
    "    if sorted(got.values()) != sorted(expected.values()):\n"
    "        return 'pikos %r\\noracle %r' % (got, expected)\n"
    "    return 'same %d threads' % len(got)\n";

static void define_cases(void)
{
    PyObject *main_dict = PyModule_GetDict(PyImport_AddModule("__main__"));
    PyObject *source = PyUnicode_FromString(cases_source);

    cr_assert_not_null(source);
    cr_assert_eq(PyDict_SetItemString(main_dict, "cases_source", source), 0);
    Py_DECREF(source);
    py_run("focus_cases = make_module('focus_cases', cases_source)\n");
}

void focus_cases_setup(void)
{
    harness_setup();
    define_cases();
    py_run(oracles_source);
}

/* ------------------------------------------------------------ pipelines */

struct collect_ctx *collect_from(struct pikos_pipeline *pipe,
                                 struct pikos_instance *monitor)
{
    struct pikos_instance *recorder =
        local_instance(&collect_recorder, "recorders/collect");

    pipeline_add_ok(pipe, monitor);
    pipeline_add_ok(pipe, recorder);
    return pikos_instance_ctx(recorder);
}

void start_ok(struct pikos_pipeline *pipe)
{
    struct pikos_error err = {0};
    int rc = pikos_pipeline_start(pipe, &err);
    cr_assert_eq(rc, 0, "%s", err.message);
}

void stop_ok(struct pikos_pipeline *pipe)
{
    struct pikos_error err = {0};
    int rc = pikos_pipeline_stop(pipe, &err);
    cr_assert_eq(rc, 0, "%s", err.message);
}

void assert_rows_equal_oracle(const struct collect_ctx *collect,
                              const char *oracle)
{
    char *expected = py_text(oracle);
    char *got = collect_text(collect);

    cr_assert_str_eq(got, expected, "oracle: %s", oracle);
    free(got);
    free(expected);
}

/* ------------------------------------------------------------ probes */

struct option_probe_ctx {
    int64_t index;
    struct pikos_strlist functions; /* host-handled */
    char *threads;                  /* host-handled */
};

static const struct pikos_option probe_options[] = {
    {PIKOS_MONITOR_OPTION_FUNCTIONS, PIKOS_OPT_LIST, 0, "", "focus",
     offsetof(struct option_probe_ctx, functions)},
    {PIKOS_MONITOR_OPTION_THREADS, PIKOS_OPT_STRING, 0, "all", "threads",
     offsetof(struct option_probe_ctx, threads)},
    {0},
};

struct pikos_instance *probe_instance(const struct pikos_plugin *plugin,
                                      const char *full_name,
                                      const char *functions,
                                      const char *threads)
{
    struct pikos_instance *inst = local_instance(plugin, full_name);
    struct option_probe_ctx *ctx = pikos_instance_ctx(inst);

    cr_assert_eq(pikos_option_parse(PIKOS_OPT_LIST, functions ? functions : "",
                                    &ctx->functions),
                 0);
    cr_assert_eq(pikos_option_parse(PIKOS_OPT_STRING, threads ? threads : "all",
                                    &ctx->threads),
                 0);
    return inst;
}

static void set_text(struct pikos_value *v, const char *text, size_t len)
{
    v->u.s.ptr = text;
    v->u.s.len = len;
}

static void set_type(struct pikos_value *v, uint32_t type)
{
    const char *name = pikos_event_name(type);
    set_text(v, name, strlen(name));
}

/* focus_lines: index|type|qualname|lineNo */
static const struct pikos_field line_fields[] = {
    {"index", PIKOS_FIELD_INT},
    {"type", PIKOS_FIELD_STR},
    {"qualname", PIKOS_FIELD_STR},
    {"lineNo", PIKOS_FIELD_INT},
};

static const struct pikos_schema line_schema = {
    "FocusLineRecord", 4, line_fields, "{} {} {} {}", "{} {} {} {}"};

static void focus_lines_event(struct pikos_instance *inst, void *ctx,
                              const struct pikos_event *ev)
{
    struct option_probe_ctx *self = ctx;
    struct pikos_value values[4];
    struct pikos_record record = {&line_schema, values};

    values[0].u.i = self->index++;
    set_type(&values[1], ev->type);
    set_text(&values[2], ev->code->qualname, ev->code->qualname_len);
    values[3].u.i = ev->lineno;
    pikos_host_table.emit(inst, &record);
}

const struct pikos_plugin focus_lines = {
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_MONITOR,
    .name = "focus_lines",
    .options = probe_options,
    .ctx_size = sizeof(struct option_probe_ctx),
    .event_mask = PIKOS_EVENT_BIT(PIKOS_EVENT_LINE) |
                  PIKOS_EVENT_BIT(PIKOS_EVENT_EXCEPTION),
    .schema = &line_schema,
    .on_event = focus_lines_event,
};

/* focus_c_calls: type|function|lineNo */
static const struct pikos_field call_fields[] = {
    {"type", PIKOS_FIELD_STR},
    {"function", PIKOS_FIELD_STR},
    {"lineNo", PIKOS_FIELD_INT},
};

static const struct pikos_schema call_schema = {
    "FocusCallRecord", 3, call_fields, "{} {} {}", "{} {} {}"};

static void focus_c_calls_event(struct pikos_instance *inst, void *ctx,
                                const struct pikos_event *ev)
{
    struct pikos_value values[3];
    struct pikos_record record = {&call_schema, values};

    set_type(&values[0], ev->type);
    set_text(&values[1], ev->function, ev->function_len);
    values[2].u.i = ev->lineno;
    pikos_host_table.emit(inst, &record);
}

const struct pikos_plugin focus_c_calls = {
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_MONITOR,
    .name = "focus_c_calls",
    .options = probe_options,
    .ctx_size = sizeof(struct option_probe_ctx),
    .event_mask = PIKOS_EVENT_BIT(PIKOS_EVENT_C_CALL),
    .schema = &call_schema,
    .on_event = focus_c_calls_event,
};

/* thread_probe: threadId|type|function|lineNo of focus_cases.py */
static const struct pikos_field thread_fields[] = {
    {"threadId", PIKOS_FIELD_INT},
    {"type", PIKOS_FIELD_STR},
    {"function", PIKOS_FIELD_STR},
    {"lineNo", PIKOS_FIELD_INT},
};

static const struct pikos_schema thread_schema = {
    "ThreadRecord", 4, thread_fields, "{} {} {} {}", "{} {} {} {}"};

static void thread_probe_event(struct pikos_instance *inst, void *ctx,
                               const struct pikos_event *ev)
{
    struct pikos_value values[4];
    struct pikos_record record = {&thread_schema, values};

    if (strcmp(ev->code->filename, "focus_cases.py") != 0)
        return;
    values[0].u.i = (int64_t)ev->thread_id;
    set_type(&values[1], ev->type);
    set_text(&values[2], ev->function, ev->function_len);
    values[3].u.i = ev->lineno;
    pikos_host_table.emit(inst, &record);
}

const struct pikos_plugin thread_probe = {
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_MONITOR,
    .name = "thread_probe",
    .options = probe_options,
    .ctx_size = sizeof(struct option_probe_ctx),
    .event_mask = PIKOS_EVENTS_FUNCTION,
    .schema = &thread_schema,
    .on_event = thread_probe_event,
};
