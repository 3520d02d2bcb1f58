/*
 * cli/outcome.c - how the program ended, told as python3 tells it.
 *
 *   no exception            status 0
 *   SystemExit(None)        0;  SystemExit(int): that int;  any other
 *                           code: printed on sys.stderr, status 1
 *   KeyboardInterrupt       traceback, then the process ends by SIGINT
 *                           (the shell sees 130)
 *   any other exception     traceback (sys.excepthook), status 1
 *
 * The SIGTERM handler pikos installs raises SystemExit(143); when that
 * exception ends the program, the process ends by SIGTERM as it would
 * have without pikos, once the records are out.
 */
#include "embed.h"

#include <signal.h>
#include <unistd.h>

PyObject *pikos_cli_exception_take(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    if (!type)
        return NULL;
    PyErr_NormalizeException(&type, &value, &traceback);
    if (traceback && value)
        PyException_SetTraceback(value, traceback);
    Py_DECREF(type);
    Py_XDECREF(traceback);
    return value;
#endif
}

void pikos_cli_exception_restore(PyObject *exc)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(exc);
#else
    if (!exc)
        return;
    PyObject *type = (PyObject *)Py_TYPE(exc);
    Py_INCREF(type);
    PyErr_Restore(type, exc, PyException_GetTraceback(exc));
#endif
}

/* Writes a SystemExit code that is not an int, as python3 does. */
static void print_exit_message(PyObject *message)
{
    PyObject *err = PySys_GetObject("stderr"); /* borrowed */
    if (err && err != Py_None) {
        if (PyFile_WriteObject(message, err, Py_PRINT_RAW) < 0)
            PyErr_Clear();
    } else {
        PyObject_Print(message, stderr, Py_PRINT_RAW);
        fflush(stderr);
    }
    PySys_WriteStderr("\n");
}

/* Python/pythonrun.c's handling of an uncaught SystemExit. */
static int system_exit_status(int *exit_signal)
{
    PyObject *exc = pikos_cli_exception_take();
    PyObject *code = exc ? PyObject_GetAttrString(exc, "code") : NULL;
    int status = 1;
    if (!code) { /* no code: the exception itself is the message */
        PyErr_Clear();
        code = exc;
        Py_XINCREF(code);
    }
    if (code == Py_None)
        status = 0;
    else if (code && PyLong_Check(code))
        status = (int)PyLong_AsLong(code);
    else if (code)
        print_exit_message(code);
    PyErr_Clear();
    if (pikos_cli_sigterm_caught() && status == 128 + SIGTERM)
        *exit_signal = SIGTERM;
    Py_XDECREF(code);
    Py_XDECREF(exc);
    return status;
}

int pikos_cli_program_status(int *exit_signal)
{
    *exit_signal = 0;
    if (!PyErr_Occurred())
        return 0;
    if (PyErr_ExceptionMatches(PyExc_SystemExit))
        return system_exit_status(exit_signal);
    if (PyErr_ExceptionMatches(PyExc_KeyboardInterrupt))
        *exit_signal = SIGINT;
    PyErr_Print();
    return *exit_signal ? 128 + SIGINT : 1;
}

int pikos_cli_exit_by_signal(int sig)
{
    fflush(stdout);
    fflush(stderr);
    if (signal(sig, SIG_DFL) != SIG_ERR)
        kill(getpid(), sig);
    return 128 + sig;
}
