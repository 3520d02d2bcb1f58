/*
 * The source-line cache (core/source.c), through monitors/lines and the
 * real hook: the text of every line equals what a pure-Python
 * sys.settrace callback gets from linecache for the same frame
 * (`linecache.getline(filename, lineno, frame.f_globals).rstrip()`, or
 * "<compiled string>" when there is no such line), for files with tabs,
 * trailing whitespace, CRLF line ends, a latin-1 coding cookie and
 * non-ASCII text, for sources that are not on disk (zipimport, missing
 * files, `<string>`), and across cache clears.  The program's pending
 * exception survives a file's loading, and an interruption raised while a
 * file loads reaches the program.
 */
#include "pipeline_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

static const char helpers_source[] =
    "import linecache, os, shutil, sys, tempfile, types, zipfile\n"
    "TMP = tempfile.mkdtemp(prefix='pikos-source-')\n"
    "def write(name, data):\n"
    "    path = os.path.join(TMP, name)\n"
    "    with open(path, 'wb') as f:\n"
    "        f.write(data)\n"
    "    return path\n"
    "def load(path, source=None, **extra):\n"
    "    module = types.ModuleType('m')\n"
    "    module.__dict__.update(extra)\n"
    "    if source is None:\n"
    "        with open(path, 'rb') as f:\n"
    "            source = f.read()\n"
    "    exec(compile(source, path, 'exec'), module.__dict__)\n"
    "    return module\n"
    "def line_text(frame):\n"
    "    path = frame.f_code.co_filename\n"
    "    text = linecache.getline(path, frame.f_lineno, frame.f_globals)\n"
    "    return text.rstrip() if text else '<compiled string>'\n"
    "def expected_lines(fn, path):\n"
    "    rows = []\n"
    "    def trace(frame, event, arg):\n"
    "        if event == 'line' and frame.f_code.co_filename == path:\n"
    "            rows.append('%s|%d|%s|%s' % (frame.f_code.co_name,\n"
    "                        frame.f_lineno, line_text(frame), path))\n"
    "        return trace\n"
    "    sys.settrace(trace)\n"
    "    fn()\n"
    "    sys.settrace(None)\n"
    "    return ''.join(row + '\\n' for row in rows)\n";

static void setup(void)
{
    harness_setup();
    py_run(helpers_source);
}

static void teardown(void)
{
    py_run("shutil.rmtree(TMP)");
    harness_teardown();
}

TestSuite(source, .init = setup, .fini = teardown);

/* ------------------------------------------------------------ helpers */

struct lines_run {
    struct pikos_pipeline *pipe;
    struct collect_ctx *collect;
};

static struct lines_run lines_pipeline(void)
{
    struct lines_run run = {pikos_pipeline_new(), NULL};
    struct pikos_instance *recorder =
        local_instance(&collect_recorder, "recorders/collect");

    pipeline_add_ok(run.pipe, registry_instance("monitors/lines", NULL, 0));
    pipeline_add_ok(run.pipe, recorder);
    run.collect = pikos_instance_ctx(recorder);
    return run;
}

/* Runs Python statements (e.g. "m.f()") under monitors/lines. */
static void run_monitored(struct lines_run *run, const char *statements)
{
    struct pikos_error err = {0};

    cr_assert_eq(pikos_pipeline_start(run->pipe, &err), 0, "%s", err.message);
    py_run(statements);
    cr_assert_eq(pikos_pipeline_stop(run->pipe, &err), 0, "%s", err.message);
}

/* The rows of file `path` (without their index), one per line. */
static char *rows_of(const struct collect_ctx *collect, const char *path)
{
    char *text = calloc(COLLECT_MAX_ROWS, COLLECT_ROW_SIZE + 1);
    size_t path_len = strlen(path), len = 0;

    cr_assert_not_null(text);
    cr_assert_lt(collect->count, COLLECT_MAX_ROWS);
    for (size_t i = 0; i < collect->count; i++) {
        const char *row = strchr(collect->rows[i], '|') + 1;
        size_t row_len = strlen(row);
        if (row_len > path_len && row[row_len - path_len - 1] == '|' &&
            strcmp(row + row_len - path_len, path) == 0)
            len += (size_t)sprintf(text + len, "%s\n", row);
    }
    return text;
}

/*
 * Runs `module_statement` (which defines a module `m`), runs
 * m.f() under monitors/lines and compares the rows of m's file with the
 * settrace oracle's.  Returns the rows (malloc'ed) for further checks.
 */
static char *lines_equal_the_oracle(const char *module_statement)
{
    struct lines_run run = lines_pipeline();
    char *path, *expected, *got;

    py_run(module_statement);
    path = py_text("m.f.__code__.co_filename");
    run_monitored(&run, "m.f()");
    expected = py_text("expected_lines(m.f, m.f.__code__.co_filename)");
    got = rows_of(run.collect, path);
    cr_assert_gt(strlen(expected), 0);
    cr_assert_str_eq(got, expected);
    free(expected);
    free(path);
    pikos_pipeline_free(run.pipe);
    return got;
}

static void assert_has_row(const char *rows, const char *row)
{
    cr_assert_not_null(strstr(rows, row), "no row '%s' in:\n%s", row, rows);
}

/* ------------------------------------------------------------ tests */

Test(source, whitespace_is_stripped_at_the_end_only)
{
    char *rows = lines_equal_the_oracle(
        "m = load(write('space.py',\n"
        "    b'def f():\\r\\n'\n"
        "    b'\\tx = 1 \\t \\r\\n'\n"
        "    b'\\tif x:   \\r\\n'\n"
        "    b'\\t    y = 2  # nbsp\\xc2\\xa0em\\xe2\\x80\\x83\\x0c\\r\\n'\n"
        "    b'\\treturn x\\r\\n'))\n");

    assert_has_row(rows, "f|2|\tx = 1|");
    assert_has_row(rows, "f|3|\tif x:|");
    assert_has_row(rows, "f|4|\t    y = 2  # nbsp\302\240em|");
    free(rows);
}

Test(source, a_coding_cookie_is_decoded_to_utf8)
{
    char *rows = lines_equal_the_oracle("m = load(write('latin1.py',\n"
                                        "    b'# -*- coding: latin-1 -*-\\n'\n"
                                        "    b'def f():\\n'\n"
                                        "    b'    s = \"caf\\xe9 \\xbd\"\\n'\n"
                                        "    b'    return s\\n'))\n");

    assert_has_row(rows, "f|3|    s = \"caf\xc3\xa9 \xc2\xbd\"|");
    free(rows);
}

Test(source, non_ascii_utf8_is_kept)
{
    char *rows = lines_equal_the_oracle(
        "m = load(write('utf8.py',\n"
        "    'def f():\\n'\n"
        "    '    s = \"\u65e5\u672c, \u00fc, \U0001F600\"  \\n'\n"
        "    '    return s\\n'.encode('utf-8')))\n");

    assert_has_row(rows, "f|2|    s = \"\xe6\x97\xa5\xe6\x9c\xac, \xc3\xbc, "
                         "\xf0\x9f\x98\x80\"|");
    free(rows);
}

Test(source, a_missing_file_has_no_source)
{
    char *rows = lines_equal_the_oracle(
        "m = load('/nonexistent/pikos/gone.py',\n"
        "         b'def f():\\n    x = 1\\n    return x\\n')\n");

    assert_has_row(rows, "f|2|<compiled string>|");
    free(rows);
}

Test(source, compiled_strings_have_no_source)
{
    char *rows = lines_equal_the_oracle(
        "m = load('<generated>', b'def f():\\n    x = 1\\n    return x\\n')\n");

    assert_has_row(rows, "f|2|<compiled string>|");
    free(rows);
}

Test(source, lines_past_the_end_of_the_file_have_no_source)
{
    /* The file on disk is shorter than the code compiled under its name. */
    char *rows = lines_equal_the_oracle(
        "m = load(write('short.py', b'# one line\\n'),\n"
        "         b'def f():\\n    x = 1\\n    return x\\n')\n");

    assert_has_row(rows, "f|2|<compiled string>|");
    free(rows);
}

Test(source, zipimport_sources_come_from_the_loader)
{
    char *rows;

    py_run("archive = os.path.join(TMP, 'lib.zip')\n"
           "with zipfile.ZipFile(archive, 'w') as z:\n"
           "    z.writestr('zipped.py', 'def f():\\n    x = 41  \\n'\n"
           "                            '    return x + 1\\n')\n"
           "sys.path.insert(0, archive)\n"
           "import zipped\n");
    rows = lines_equal_the_oracle("m = zipped\n");
    assert_has_row(rows, "f|2|    x = 41|");
    free(rows);
}

/* Each file is read once; a cache clear makes the next event read it
   again, and every code object's remembered file turns stale. */
Test(source, files_are_read_once_per_monitoring_session)
{
    struct lines_run run = lines_pipeline();
    char *path, *rows, expected[512];

    py_run("m = load(write('edited.py', b'def f():\\n    return 1\\n'))\n");
    path = py_text("m.f.__code__.co_filename");
    /* Edited while monitoring runs: the text read first stays. */
    run_monitored(&run, "m.f()\n"
                        "write('edited.py', b'def f():\\n    return 2 # edited\\n')\n"
                        "linecache.clearcache()\n"
                        "m.f()\n");
    rows = rows_of(run.collect, path);
    snprintf(expected, sizeof(expected), "f|2|    return 1|%s\n", path);
    cr_assert_eq(strlen(rows), 2 * strlen(expected), "%s", rows);
    cr_assert(strncmp(rows, expected, strlen(expected)) == 0, "%s", rows);
    cr_assert_str_eq(rows + strlen(expected), expected);
    free(rows);

    /* Stopping freed the cache: the next session reads the file anew. */
    run.collect->count = 0;
    run_monitored(&run, "m.f()");
    rows = rows_of(run.collect, path);
    snprintf(expected, sizeof(expected), "f|2|    return 2 # edited|%s\n",
             path);
    cr_assert_str_eq(rows, expected);
    free(rows);

    /* After the clear another file is read first and takes the place m's
       file had in the table: m's code must not take it for its own. */
    pikos_source_cache_clear();
    py_run("other = load(write('other.py', b'def f():\\n    return 3\\n'))");
    run_monitored(&run, "other.f()");
    run.collect->count = 0;
    run_monitored(&run, "m.f()");
    rows = rows_of(run.collect, path);
    snprintf(expected, sizeof(expected), "f|2|    return 2 # edited|%s\n",
             path);
    cr_assert_str_eq(rows, expected);
    free(rows);
    free(path);
    pikos_pipeline_free(run.pipe);
}

/* Calls the trace callback as CPython would, with a pending exception:
   loading the file (outside a running frame of its code) keeps it. */
Test(source, the_programs_pending_exception_survives_a_load)
{
    harness_use_legacy_hook(); /* it calls the trace callback directly */
    struct lines_run run = lines_pipeline();
    struct pikos_error err = {0};
    PyObject *frame;
    char *rows;

    py_run("m = load(write('frame.py', b'import sys\\n'\n"
           "                             b'def f():\\n'\n"
           "                             b'    return sys._getframe()\\n'))\n"
           "frame = m.f()\n");
    frame = py_eval("frame");
    cr_assert_eq(pikos_pipeline_start(run.pipe, &err), 0, "%s", err.message);
    PyErr_SetString(PyExc_KeyError, "the program's own");
    PyThreadState_Get()->c_tracefunc(NULL, (PyFrameObject *)frame, PyTrace_LINE,
                                     Py_None);
    cr_assert(PyErr_ExceptionMatches(PyExc_KeyError));
    PyErr_Clear();
    cr_assert_eq(pikos_pipeline_stop(run.pipe, &err), 0, "%s", err.message);
    rows = collect_text(run.collect);
    cr_assert_not_null(strstr(rows, "|f|3|    return sys._getframe()|"), "%s",
                       rows);
    free(rows);
    Py_DECREF(frame);
    pikos_pipeline_free(run.pipe);
}

/* A KeyboardInterrupt (what a SIGINT handler raises) met while linecache
   runs is not swallowed: the program gets it right after. */
Test(source, an_interruption_during_a_load_reaches_the_program)
{
    struct lines_run run = lines_pipeline();
    char *outcome;

    py_run("class Interrupting:\n"
           "    def get_source(self, name):\n"
           "        raise KeyboardInterrupt\n"
           "m = load('/nonexistent/pikos/ghost.py',\n"
           "         b'def f():\\n    x = 1\\n    return x\\n',\n"
           "         __name__='ghost', __loader__=Interrupting())\n"
           "def interrupted():\n"
           "    try:\n"
           "        m.f()\n"
           "        for i in range(1000):\n"
           "            pass\n"
           "    except KeyboardInterrupt:\n"
           "        return 'interrupted'\n"
           "    return 'went on'\n");
    run_monitored(&run, "outcome = interrupted()");
    outcome = py_text("outcome");
    cr_assert_str_eq(outcome, "interrupted");
    free(outcome);
    outcome = py_text("interrupted()");
    cr_assert_str_eq(outcome, "went on", "unmonitored, nothing interrupts");
    free(outcome);
    pikos_pipeline_free(run.pipe);
}
