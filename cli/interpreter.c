/*
 * cli/interpreter.c - the embedded Python of `pikos plugins` and `pikos
 * help`.  Its program name is the interpreter configure chose, so that its
 * prefix and site-packages are that Python's.
 */
#include "embed.h"

#ifndef PIKOS_PYTHON_PROGRAM
#error "PIKOS_PYTHON_PROGRAM must name the configured interpreter"
#endif

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

int pikos_cli_python_end(int status)
{
    /* The value python3 uses: unlikely to be taken for the program's. */
    if (Py_FinalizeEx() < 0)
        return 120;
    return status;
}
