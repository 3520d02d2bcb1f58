/*
 * cli/main.c - the `pikos` command: picks what to do from the first word.
 *
 *   pikos [options] script.py [args...]   run a program under monitoring
 *   pikos [options] -m module [args...]
 *   pikos plugins [--json]                list the plugins found
 *   pikos help KIND/NAME                  describe one plugin
 *   pikos watch [ENDPOINT...]             live view of recorders/zmq streams
 *
 * A script called "plugins", "help" or "watch" is run with
 * `pikos ./plugins`.
 *
 * This program stays small, so that a run starts fast (it only starts the
 * user's interpreter and watches it): the commands that need libpikos, an
 * embedded Python, ZeroMQ or curses are pikos-tools (tools.c), which it
 * becomes for them ($PIKOS_TOOLS, or the installed one).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifndef PIKOS_TOOLS
#error "PIKOS_TOOLS must name the installed pikos-tools"
#endif

static int tools_command(char **argv)
{
    const char *env = getenv("PIKOS_TOOLS");
    const char *tools = env != NULL && env[0] != '\0' ? env : PIKOS_TOOLS;

    execv(tools, argv);
    pikos_cli_error("cannot run %s: %s (is pikos installed?)", tools,
                    strerror(errno));
    return PIKOS_CLI_EXIT_USAGE;
}

static int run_command(int argc, char **argv)
{
    struct pikos_cli_args args;
    if (pikos_cli_parse_run_args(argc, argv, &args) < 0)
        return PIKOS_CLI_EXIT_USAGE;

    int status = 0;
    if (args.action == PIKOS_CLI_SHOW_HELP)
        pikos_cli_print_usage();
    else if (args.action == PIKOS_CLI_SHOW_VERSION)
        pikos_cli_print_version();
    else
        status = pikos_cli_run(&args);
    pikos_cli_args_free(&args);
    return status;
}

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "plugins") == 0 ||
                     strcmp(argv[1], "help") == 0 ||
                     strcmp(argv[1], "watch") == 0))
        return tools_command(argv);
    return run_command(argc, argv);
}
