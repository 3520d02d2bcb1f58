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
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "watch.h"

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
    if (argc > 1 && strcmp(argv[1], "plugins") == 0)
        return pikos_cli_plugins_command(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "help") == 0)
        return pikos_cli_help_command(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "watch") == 0)
        return pikos_cli_watch_command(argc - 1, argv + 1);
    return run_command(argc, argv);
}
