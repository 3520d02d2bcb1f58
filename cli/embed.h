/*
 * cli/embed.h - the parts of the `pikos` command that embed Python.
 *
 * The program runs as `python3 script.py` or `python3 -m module` would run
 * it (sys.argv, sys.path[0], __main__, co_filename, exit status and
 * traceback), with the pipeline started right before its code and stopped
 * right after, so that neither pikos's bootstrap nor Python's shutdown is
 * recorded.
 */
#ifndef PIKOS_CLI_EMBED_H
#define PIKOS_CLI_EMBED_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "cli.h"

/* ------------------------------------------------------------ script.c */

/* A script read before Python starts, so that a missing one is a clean
   "pikos: cannot open script" error. */
struct pikos_cli_script {
    char *source; /* the file's bytes, decoded later by compile() */
    size_t size;
    char *filename; /* co_filename and __file__, as python3 makes them */
};

/* Reports errors itself and returns -1. */
int pikos_cli_script_load(const char *path, struct pikos_cli_script *script);
void pikos_cli_script_free(struct pikos_cli_script *script);
/* sys.path[0] as python3 computes it: the directory of the script with
   every symbolic link resolved, or (script NULL, for -m) the current
   directory.  Sets *dir to NULL when python3 would add nothing.  -1 when
   out of memory (reported). */
int pikos_cli_sys_path0(const char *script, char **dir);

/* ------------------------------------------------------------ interpreter.c */

/* Starts the configured Python with sys.argv = argv, as python3 would
   (environment variables honoured, signal handlers installed).  Reports
   errors itself and returns -1. */
int pikos_cli_python_start(int argc, char **argv);
/* An interpreter for `pikos plugins` and `pikos help`, which look for the
   Python packages external monitors need; -1 when Python cannot start
   (the packages are then not looked for).  End with pikos_cli_python_end. */
int pikos_cli_python_start_quiet(void);
/* Inserts `dir` at sys.path[0] (unless PYTHONSAFEPATH asks not to).  -1
   with a Python exception set. */
int pikos_cli_python_prepend_path(const char *dir);
/* Makes SIGTERM raise SystemExit(143) in the program, so that its records
   are flushed, unless SIGTERM is ignored.  -1 with a Python exception. */
int pikos_cli_python_catch_sigterm(void);
/* 1 once that SIGTERM handler has run. */
int pikos_cli_sigterm_caught(void);
/* Py_FinalizeEx; returns `status`, or 120 when finalizing failed (as
   python3 does). */
int pikos_cli_python_end(int status);

/* ------------------------------------------------------------ program.c */

enum pikos_cli_program_state {
    PIKOS_CLI_PROGRAM_READY = 0,   /* *code and *globals are set */
    PIKOS_CLI_PROGRAM_RAISED = -1, /* a Python exception is pending */
    PIKOS_CLI_PROGRAM_FAILED = -2  /* reported as "pikos: ..." */
};

/* The script compiled as python3 compiles it, and __main__'s globals
   prepared (__file__, __cached__, __loader__).  New references. */
int pikos_cli_script_program(const struct pikos_cli_script *script,
                             PyObject **code, PyObject **globals);
/* The module found, sys.argv[0] and __main__'s globals set, as
   `python3 -m name` does (runpy).  New references. */
int pikos_cli_module_program(const char *name, PyObject **code,
                             PyObject **globals);

/* ------------------------------------------------------------ outcome.c */

/* Takes the pending exception (NULL when none) as one normalized object
   that carries its traceback; the error indicator is cleared. */
PyObject *pikos_cli_exception_take(void);
/* Makes `exc` the pending exception again (steals the reference). */
void pikos_cli_exception_restore(PyObject *exc);
/*
 * The exit status python3 gives for the program's pending exception (0
 * when none), after printing what python3 prints (the traceback, or the
 * SystemExit message).  *exit_signal is set when the process must end by
 * that signal (unhandled KeyboardInterrupt: SIGINT; the SIGTERM handler's
 * SystemExit: SIGTERM), after everything is cleaned up.
 */
int pikos_cli_program_status(int *exit_signal);
/* Ends the process by `sig` with its default action, as python3 does for
   an unhandled KeyboardInterrupt.  Returns 128 + sig if that did not
   happen (the signal blocked). */
int pikos_cli_exit_by_signal(int sig);

#endif /* PIKOS_CLI_EMBED_H */
