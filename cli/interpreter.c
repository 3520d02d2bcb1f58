/*
 * cli/interpreter.c - starting and ending the embedded Python.
 *
 * The interpreter is configured as `python3` configures itself (PyConfig's
 * "Python configuration": environment variables, signal handlers, stdio),
 * except that pikos, not Python, reads the command line.  Its program name
 * is the interpreter configure chose, so that sys.executable (used by
 * subprocess and multiprocessing) is a real Python and its prefix and
 * site-packages are that Python's.
 */
#include "embed.h"

#include <signal.h>

#ifndef PIKOS_PYTHON_PROGRAM
#error "PIKOS_PYTHON_PROGRAM must name the configured interpreter"
#endif

static void report_status(PyStatus status)
{
    pikos_cli_error("cannot start Python %s: %s%s%s", PY_VERSION,
                    status.func ? status.func : "", status.func ? ": " : "",
                    status.err_msg ? status.err_msg : "unknown error");
}

int pikos_cli_python_start(int argc, char **argv)
{
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    config.parse_argv = 0;
    config.install_signal_handlers = 1;
    PyStatus status = PyConfig_SetBytesString(&config, &config.program_name,
                                              PIKOS_PYTHON_PROGRAM);
    if (!PyStatus_Exception(status))
        status = PyConfig_SetBytesArgv(&config, argc, argv);
    if (!PyStatus_Exception(status))
        status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
        report_status(status);
        return -1;
    }
    return 0;
}

int pikos_cli_python_start_quiet(void)
{
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    config.parse_argv = 0;
    config.install_signal_handlers = 0;
    PyStatus status = PyConfig_SetBytesString(&config, &config.program_name,
                                              PIKOS_PYTHON_PROGRAM);
    if (!PyStatus_Exception(status))
        status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    return PyStatus_Exception(status) ? -1 : 0;
}

/* sys.flags.safe_path (Python 3.11+, PYTHONSAFEPATH): add no sys.path[0]. */
static int safe_path_requested(void)
{
    PyObject *flags = PySys_GetObject("flags"); /* borrowed */
    PyObject *safe = flags ? PyObject_GetAttrString(flags, "safe_path") : NULL;
    int requested = safe ? PyObject_IsTrue(safe) > 0 : 0;
    Py_XDECREF(safe);
    PyErr_Clear(); /* no such flag before 3.11 */
    return requested;
}

int pikos_cli_python_prepend_path(const char *dir)
{
    if (!dir || safe_path_requested())
        return 0;
    PyObject *path = PySys_GetObject("path"); /* borrowed */
    if (!path || !PyList_Check(path)) {
        PyErr_SetString(PyExc_RuntimeError, "pikos: sys.path is not a list");
        return -1;
    }
    PyObject *entry = PyUnicode_DecodeFSDefault(dir);
    int r = entry ? PyList_Insert(path, 0, entry) : -1;
    Py_XDECREF(entry);
    return r;
}

static int sigterm_caught;

static PyObject *on_sigterm(PyObject *self, PyObject *args)
{
    sigterm_caught = 1;
    PyObject *code = PyLong_FromLong(128 + SIGTERM);
    if (code) {
        PyErr_SetObject(PyExc_SystemExit, code);
        Py_DECREF(code);
    }
    return NULL;
}

static PyMethodDef sigterm_handler = {
    "pikos_sigterm_handler", on_sigterm, METH_VARARGS,
    "Ends the profiled program with SystemExit(143) so that pikos can "
    "flush its records."};

int pikos_cli_sigterm_caught(void)
{
    return sigterm_caught;
}

/* 1 when SIGTERM has its default action, 0 when not, -1 on error. */
static int sigterm_is_default(PyObject *signal_module)
{
    PyObject *current =
        PyObject_CallMethod(signal_module, "getsignal", "i", SIGTERM);
    PyObject *dfl = PyObject_GetAttrString(signal_module, "SIG_DFL");
    int r =
        (current && dfl) ? PyObject_RichCompareBool(current, dfl, Py_EQ) : -1;
    Py_XDECREF(current);
    Py_XDECREF(dfl);
    return r;
}

static int install_sigterm_handler(PyObject *signal_module)
{
    PyObject *handler = PyCFunction_New(&sigterm_handler, NULL);
    PyObject *old = handler ? PyObject_CallMethod(signal_module, "signal", "iO",
                                                  SIGTERM, handler)
                            : NULL;
    int r = old ? 0 : -1;
    Py_XDECREF(handler);
    Py_XDECREF(old);
    return r;
}

/* Uses _signal (always imported, unlike signal.py and its enum) so that
   the program finds sys.modules as python3 leaves it.  A program that
   installs its own SIGTERM handler replaces this one. */
int pikos_cli_python_catch_sigterm(void)
{
    PyObject *signal_module = PyImport_ImportModule("_signal");
    if (!signal_module)
        return -1;
    int r = sigterm_is_default(signal_module);
    if (r > 0)
        r = install_sigterm_handler(signal_module);
    Py_DECREF(signal_module);
    return r < 0 ? -1 : 0;
}

int pikos_cli_python_end(int status)
{
    /* The value python3 uses: unlikely to be taken for the program's. */
    if (Py_FinalizeEx() < 0)
        return 120;
    return status;
}
