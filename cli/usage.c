/*
 * cli/usage.c - what pikos says about itself: --help and --version.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "cli.h"

static const char usage_text[] =
    "usage: pikos [--plugin KIND/NAME[:opt=val,...]]... [-o FILE]\n"
    "             [--focused-on F1,F2] [--plugin-path DIR]...\n"
    "             script.py [args...]\n"
    "       pikos [...same options...] -m module [args...]\n"
    "       pikos plugins [--json] [--plugin-path DIR]...\n"
    "       pikos help [--plugin-path DIR]... KIND/NAME\n"
    "       pikos watch [--bind] [--once] [--timeout S] [--top N]\n"
    "             [--curve-server-key KEY] [ENDPOINT...]\n"
    "       pikos --help | -h\n"
    "       pikos --version\n"
    "\n"
    "Runs a Python program as `python3 script.py` (or `python3 -m module`)\n"
    "would, with pikos monitoring it: monitors turn Python's events into\n"
    "records, filters choose records, recorders write them.\n"
    "\n"
    "options (they end at the script, after `-m module`, or at `--`):\n"
    "  --plugin KIND/NAME[:opt=val,...]\n"
    "                     add a monitor, filter or recorder; list values\n"
    "                     use ';' between items, e.g.\n"
    "                     filters/on_value:field=function,values=f;g\n"
    "                     (default: monitors/functions and recorders/text\n"
    "                     on the screen when none of that kind is given)\n"
    "  -o, --output FILE  the output file of the recorder given last (or\n"
    "                     of the default recorder)\n"
    "  --focused-on F1,F2 record only inside these functions (comma\n"
    "                     separated: f, Class.method or module:f, where\n"
    "                     module __main__ is the program): sets\n"
    "                     functions= of every monitor that has it\n"
    "  --plugin-path DIR  look for plugins in DIR first (repeatable), then\n"
    "                     in $PIKOS_PLUGIN_PATH and the installed plugins\n"
    "  -m, --module NAME  run the module NAME as `python3 -m NAME` does\n"
    "  -c, --command CMD  run the command CMD as `python3 -c CMD` does\n"
    "  --python PATH      the interpreter that runs the program (default:\n"
    "                     $PIKOS_PYTHON, else the python3 of your PATH:\n"
    "                     an activated venv, conda env or pyenv shim)\n"
    "  -h, --help         show this help\n"
    "  --version          show the version of pikos and the Python it was\n"
    "                     built for\n"
    "\n"
    "commands:\n"
    "  plugins            list every plugin found: name, kind, whether it\n"
    "                     loads, summary (--json: also options, manifest)\n"
    "  help KIND/NAME     a plugin's summary, status and options\n"
    "  watch [ENDPOINT...]\n"
    "                     live view of programs run with recorders/zmq\n"
    "                     (default tcp://127.0.0.1:9001; pikos watch --help)\n"
    "\n"
    "A script named 'plugins', 'help' or 'watch' is run as `pikos ./plugins`.\n"
    "Exit status: the program's own (as python3 gives it), or 2 when\n"
    "pikos itself fails (bad option, broken plugin, missing script).\n";

void pikos_cli_print_usage(void)
{
    fputs(usage_text, stdout);
}

/* The Python configure built the boot module for; a run uses the user's
   interpreter (pikos --python). */
void pikos_cli_print_version(void)
{
    printf("pikos %s (built for Python %s)\n", PACKAGE_VERSION,
           PIKOS_PYTHON_VERSION);
}
