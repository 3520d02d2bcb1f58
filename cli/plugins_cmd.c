/*
 * cli/plugins_cmd.c - `pikos plugins [--json] [--plugin-path DIR]...`
 *
 * Every plugin found in the search path, sorted by name, each loaded once
 * so that its status is known.  A broken plugin is listed with its reason
 * and never hides the others; the command succeeds either way.  Loading
 * tries each library in a child process first (core/registry_load.c), so
 * a library that crashes as it loads is listed broken, and this command
 * lives on.
 *
 *   NAME                KIND      STATUS  SUMMARY
 *   filters/on_value    filter    ok      Pass the records whose ...
 *   recorders/fx_abi    recorder  broken: <reason>  <summary>
 *   external/yappi      monitor   unavailable: needs the Python package ...
 *   recorders/csv       recorder  ok      Write records as CSV rows ...
 *     shadowing: <its manifest> hides <a later one of the same name>
 *   dir/x.plugin        ?         broken: dir/x.plugin:3: <parse error>
 *
 * A manifest that does not read names no plugin: it is listed under its
 * path.  A plugin found again later in the search path is used from the
 * first directory only; an indented line under it says which file it
 * hides (one line each).
 *
 * An embedded Python is started for the listing, so that external monitors
 * whose Python package is missing show as unavailable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "embed.h"

/* The command line of `pikos plugins`. */
struct plugins_args {
    int json;
    const char **paths;
    size_t npaths;
};

static int parse_plugins_args(int argc, char **argv, struct plugins_args *args)
{
    for (int i = 1; i < argc; i++) {
        const char *path;
        int r = pikos_cli_option_value(argc, argv, &i, "--plugin-path", NULL,
                                       &path);
        if (r < 0)
            return -1;
        if (r > 0)
            args->paths[args->npaths++] = path;
        else if (strcmp(argv[i], "--json") == 0)
            args->json = 1;
        else {
            pikos_cli_error("unknown argument '%s': pikos plugins [--json] "
                            "[--plugin-path DIR]...",
                            argv[i]);
            return -1;
        }
    }
    return 0;
}

static const char *or_empty(const char *text)
{
    return text ? text : "";
}

/* A manifest that did not read is listed under its path. */
static int named_by_path(const struct pikos_plugin_info *info)
{
    return info->full_name && info->manifest_path &&
           strcmp(info->full_name, info->manifest_path) == 0;
}

/* Column widths: the longest name and kind; STATUS fits "ok" (a broken
   plugin's "broken: <reason>" is too long to align on and overflows, and
   so does the path of a manifest that did not read). */
struct widths {
    int name, kind, status;
};

static struct widths column_widths(struct pikos_plugin_info *const *plugins,
                                   size_t count)
{
    struct widths w = {(int)strlen("NAME"), (int)strlen("KIND"),
                       (int)strlen("STATUS")};
    for (size_t i = 0; i < count; i++) {
        int name = named_by_path(plugins[i])
                       ? 0
                       : (int)strlen(or_empty(plugins[i]->full_name));
        int kind = (int)strlen(pikos_kind_name(plugins[i]->kind));
        w.name = name > w.name ? name : w.name;
        w.kind = kind > w.kind ? kind : w.kind;
    }
    return w;
}

static void print_row(const struct pikos_plugin_info *info, struct widths w)
{
    printf("%-*s  %-*s  ", w.name, or_empty(info->full_name), w.kind,
           pikos_kind_name(info->kind));
    if (info->state == PIKOS_PLUGIN_BROKEN ||
        info->state == PIKOS_PLUGIN_UNAVAILABLE)
        printf("%s: %s", pikos_plugin_state_name(info->state),
               or_empty(info->reason));
    else
        printf("%-*s", w.status, pikos_plugin_state_name(info->state));
    if (info->summary && info->summary[0])
        printf("  %s", info->summary);
    putchar('\n');
    for (size_t i = 0; i < info->nshadowed; i++)
        printf("  shadowing: %s hides %s\n", or_empty(info->manifest_path),
               info->shadowed[i]);
}

static void print_table(struct pikos_plugin_info *const *plugins, size_t count)
{
    struct widths w = column_widths(plugins, count);
    printf("%-*s  %-*s  %-*s  %s\n", w.name, "NAME", w.kind, "KIND", w.status,
           "STATUS", "SUMMARY");
    for (size_t i = 0; i < count; i++)
        print_row(plugins[i], w);
}

static int list_plugins(const struct plugins_args *args)
{
    struct pikos_registry *reg =
        pikos_cli_open_registry(args->paths, args->npaths);
    if (!reg)
        return PIKOS_CLI_EXIT_USAGE;
    size_t count;
    int status = PIKOS_CLI_EXIT_USAGE;
    int python = pikos_cli_python_start_quiet() == 0;
    struct pikos_plugin_info **plugins = pikos_cli_sorted_plugins(reg, &count);
    if (plugins) {
        status = 0;
        if (args->json)
            status = pikos_cli_print_plugins_json(plugins, count);
        else
            print_table(plugins, count);
    }
    free(plugins);
    pikos_registry_free(reg);
    return python ? pikos_cli_python_end(status) : status;
}

int pikos_cli_plugins_command(int argc, char **argv)
{
    struct plugins_args args = {0};
    args.paths = calloc((size_t)argc, sizeof(*args.paths));
    if (!args.paths) {
        pikos_cli_error("out of memory");
        return PIKOS_CLI_EXIT_USAGE;
    }
    int status = PIKOS_CLI_EXIT_USAGE;
    if (parse_plugins_args(argc, argv, &args) == 0)
        status = list_plugins(&args);
    free(args.paths);
    if (fflush(stdout) != 0) {
        pikos_cli_error("cannot write the plugin list to standard output");
        status = PIKOS_CLI_EXIT_USAGE;
    }
    return status;
}
