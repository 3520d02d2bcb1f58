/*
 * cli/tools.c - pikos-tools, the commands of `pikos` that need libpikos,
 * an embedded Python, ZeroMQ or curses; `pikos plugins|help|watch ...`
 * becomes this program with the same arguments (main.c).
 *
 *   pikos plugins [--json]                list the plugins found
 *   pikos help KIND/NAME                  describe one plugin
 *   pikos watch [ENDPOINT...]             live view of recorders/zmq streams
 *
 * and the pikos command's own `salvage` (salvage_cmd.c): a program's
 * output written from the state it left.
 */
#include <string.h>

#include "cli.h"
#include "watch/watch.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "plugins") == 0)
        return pikos_cli_plugins_command(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "help") == 0)
        return pikos_cli_help_command(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "watch") == 0)
        return pikos_cli_watch_command(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "salvage") == 0)
        return pikos_cli_salvage_command(argc - 1, argv + 1);
    pikos_cli_error("pikos-tools runs `pikos plugins`, `pikos help` and "
                    "`pikos watch`: use those");
    return PIKOS_CLI_EXIT_USAGE;
}
