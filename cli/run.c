/*
 * cli/run.c - one run of `pikos [options] script.py [args]` (or -m):
 *
 *   1. read the script, open the registry and create every plugin
 *      instance - any error stops here, before Python starts;
 *   2. start Python with the program's sys.argv and sys.path[0];
 *   3. compile the program and prepare __main__ (unmonitored); its
 *      co_filename is the file of focus names `__main__:f`;
 *   4. start the pipeline, evaluate the program's code, stop the pipeline
 *      and flush the outputs - before any traceback is printed;
 *   5. report how the program ended and finalize Python, ending by a
 *      signal when python3 would have.
 */
#include "embed.h"

#include <stdlib.h>

/* Everything one run owns. */
struct run {
    const struct pikos_cli_args *args;
    struct pikos_cli_script script;
    struct pikos_registry *registry;
    struct pikos_pipeline *pipeline;
    int exit_signal; /* end by this signal after cleaning up, or 0 */
};

/* Step 1: everything that can be checked before Python starts. */
static int prepare(struct run *run)
{
    const struct pikos_cli_args *args = run->args;
    if (args->script && pikos_cli_script_load(args->script, &run->script) < 0)
        return -1;
    run->registry = pikos_cli_open_registry(args->plugin_paths, args->npaths);
    if (!run->registry)
        return -1;
    run->pipeline = pikos_cli_build_pipeline(run->registry, args);
    return run->pipeline ? 0 : -1;
}

/* Step 2: sys.argv is [script, args...], or ["-m", args...] until runpy
   replaces "-m" with the module's path. */
static int start_python(const struct pikos_cli_args *args)
{
    char **argv = calloc((size_t)args->program_argc + 1, sizeof(*argv));
    if (!argv) {
        pikos_cli_error("out of memory");
        return -1;
    }
    argv[0] = (char *)(args->script ? args->script : "-m");
    for (int i = 0; i < args->program_argc; i++)
        argv[i + 1] = args->program_argv[i];
    int r = pikos_cli_python_start(args->program_argc + 1, argv);
    free(argv);
    return r;
}

/* Step 3 (with Python running). */
static int prepare_program(struct run *run, PyObject **code, PyObject **globals)
{
    char *path0;
    if (pikos_cli_sys_path0(run->args->script, &path0) < 0)
        return PIKOS_CLI_PROGRAM_FAILED;
    int r = pikos_cli_python_prepend_path(path0);
    free(path0);
    if (r < 0 || pikos_cli_python_catch_sigterm() < 0)
        return PIKOS_CLI_PROGRAM_RAISED;
    if (run->args->script)
        return pikos_cli_script_program(&run->script, code, globals);
    return pikos_cli_module_program(run->args->module, code, globals);
}

/* Tells the core the program's file, as the hook will see it (UTF-8, with
   what is not UTF-8 escaped as hook.c escapes it). */
static void set_main_filename(PyObject *code)
{
    PyObject *name = PyObject_GetAttrString(code, "co_filename");
    PyObject *utf8 =
        name && PyUnicode_Check(name)
            ? PyUnicode_AsEncodedString(name, "utf-8", "backslashreplace")
            : NULL;
    pikos_set_main_filename(utf8 ? PyBytes_AS_STRING(utf8) : NULL);
    if (!utf8)
        PyErr_Clear();
    Py_XDECREF(utf8);
    Py_XDECREF(name);
}

/* Step 4.  The program's exception is set aside while the pipeline stops,
   so that the records are out before its traceback. */
static int run_monitored(struct run *run, PyObject *code, PyObject *globals)
{
    struct pikos_error err = {0};
    if (pikos_pipeline_start(run->pipeline, &err) < 0) {
        pikos_cli_error("%s", err.message);
        return PIKOS_CLI_EXIT_USAGE;
    }
    PyObject *result = PyEval_EvalCode(code, globals, globals);
    PyObject *exc = pikos_cli_exception_take();
    int stopped = pikos_pipeline_stop(run->pipeline, &err);
    pikos_outputs_flush_all();
    Py_XDECREF(result);
    if (stopped < 0)
        pikos_cli_error("%s", err.message);
    else if ((stopped = pikos_pipeline_check_focus(run->pipeline, &err)) < 0)
        pikos_cli_error("%s", err.message);
    pikos_cli_exception_restore(exc);
    int status = pikos_cli_program_status(&run->exit_signal);
    /* A pikos error (or a focus that matched nothing) makes a run that
       succeeded fail; the program's own failure status wins. */
    return (stopped < 0 && status == 0) ? PIKOS_CLI_EXIT_USAGE : status;
}

/* Steps 3 to 5; returns the exit status. */
static int run_program(struct run *run)
{
    PyObject *code = NULL, *globals = NULL;
    int status = PIKOS_CLI_EXIT_USAGE;
    int state = prepare_program(run, &code, &globals);
    if (state == PIKOS_CLI_PROGRAM_READY) {
        set_main_filename(code);
        status = run_monitored(run, code, globals);
        pikos_set_main_filename(NULL);
    } else if (state == PIKOS_CLI_PROGRAM_RAISED)
        status = pikos_cli_program_status(&run->exit_signal);
    Py_XDECREF(code);
    Py_XDECREF(globals);
    /* Plugins may hold Python objects: release them while Python runs. */
    pikos_pipeline_free(run->pipeline);
    run->pipeline = NULL;
    return pikos_cli_python_end(status);
}

int pikos_cli_run(const struct pikos_cli_args *args)
{
    struct run run = {.args = args};
    int status = PIKOS_CLI_EXIT_USAGE;
    if (prepare(&run) == 0 && start_python(args) == 0)
        status = run_program(&run);
    if (run.pipeline)
        pikos_pipeline_free(run.pipeline);
    if (run.registry)
        pikos_registry_free(run.registry);
    pikos_cli_script_free(&run.script);
    if (run.exit_signal)
        status = pikos_cli_exit_by_signal(run.exit_signal);
    return status;
}
