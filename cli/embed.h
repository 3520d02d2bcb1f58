/*
 * cli/embed.h - the embedded Python of `pikos plugins` and `pikos help`,
 * which ask it whether the Python packages external monitors need are
 * installed.  Programs never run in it: a run starts the user's own
 * interpreter (run.c).
 */
#ifndef PIKOS_CLI_EMBED_H
#define PIKOS_CLI_EMBED_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "cli.h"

/* Starts the configured Python quietly; -1 when it cannot start (the
   packages are then not looked for).  End with pikos_cli_python_end. */
int pikos_cli_python_start_quiet(void);
/* Py_FinalizeEx; returns `status`, or 120 when finalizing failed (as
   python3 does). */
int pikos_cli_python_end(int status);

#endif /* PIKOS_CLI_EMBED_H */
