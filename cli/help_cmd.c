/*
 * cli/help_cmd.c - `pikos help [--plugin-path DIR]... KIND/NAME`: what one
 * plugin is, where its manifest is, whether it loads, and its options.
 *
 *   recorders/csv: Write records as CSV
 *     manifest  /usr/lib/pikos/plugins/recorders/csv.plugin
 *     status    ok
 *   options:
 *     NAME      TYPE    DEFAULT  HELP
 *     filename  string  ""       file to write (empty: the screen)
 *
 * `pikos help` alone shows the usage of pikos itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "embed.h"

/* The text in the DEFAULT column: the value, "" when empty, or whether the
   option is required. */
static const char *default_text(const struct pikos_manifest_option *opt)
{
    if (opt->default_value)
        return opt->default_value[0] ? opt->default_value : "\"\"";
    return (opt->flags & PIKOS_OPTION_REQUIRED) ? "(required)" : "(none)";
}

static int max_width(int width, const char *text)
{
    int len = (int)strlen(text);
    return len > width ? len : width;
}

static void print_options(const struct pikos_plugin_info *info)
{
    if (info->noptions == 0) {
        printf("options: none\n");
        return;
    }
    int name_w = (int)strlen("NAME"), type_w = (int)strlen("TYPE");
    int default_w = (int)strlen("DEFAULT");
    for (size_t i = 0; i < info->noptions; i++) {
        const struct pikos_manifest_option *opt = &info->options[i];
        name_w = max_width(name_w, opt->name);
        type_w = max_width(type_w, pikos_option_type_name(opt->type));
        default_w = max_width(default_w, default_text(opt));
    }
    printf("options:\n  %-*s  %-*s  %-*s  %s\n", name_w, "NAME", type_w, "TYPE",
           default_w, "DEFAULT", "HELP");
    for (size_t i = 0; i < info->noptions; i++) {
        const struct pikos_manifest_option *opt = &info->options[i];
        printf("  %-*s  %-*s  %-*s  %s\n", name_w, opt->name, type_w,
               pikos_option_type_name(opt->type), default_w, default_text(opt),
               opt->help ? opt->help : "");
    }
}

static void print_plugin(const struct pikos_plugin_info *info)
{
    printf("%s: %s\n", info->full_name,
           info->summary ? info->summary : "(no summary)");
    printf("  kind      %s\n", pikos_kind_name(info->kind));
    if (info->version)
        printf("  version   %s\n", info->version);
    printf("  manifest  %s\n", info->manifest_path ? info->manifest_path : "");
    if (info->state == PIKOS_PLUGIN_BROKEN ||
        info->state == PIKOS_PLUGIN_UNAVAILABLE)
        printf("  status    %s: %s\n", pikos_plugin_state_name(info->state),
               info->reason ? info->reason : "");
    else
        printf("  status    %s\n", pikos_plugin_state_name(info->state));
    print_options(info);
}

static int describe(const char *name, const char **paths, size_t npaths)
{
    struct pikos_error err = {0};
    struct pikos_registry *reg = pikos_cli_open_registry(paths, npaths);
    if (!reg)
        return PIKOS_CLI_EXIT_USAGE;
    int status = PIKOS_CLI_EXIT_USAGE;
    int python = pikos_cli_python_start_quiet() == 0;
    struct pikos_plugin_info *info = pikos_registry_find(reg, name, &err);
    if (info) {
        pikos_cli_check_plugin(reg, info);
        print_plugin(info);
        status = 0;
    } else {
        pikos_cli_error("%s", err.message);
    }
    pikos_registry_free(reg);
    return python ? pikos_cli_python_end(status) : status;
}

/* Reads the --plugin-path options and the one plugin name. */
static int parse_help_args(int argc, char **argv, const char **paths,
                           size_t *npaths, const char **name)
{
    for (int i = 1; i < argc; i++) {
        const char *path;
        int r = pikos_cli_option_value(argc, argv, &i, "--plugin-path", NULL,
                                       &path);
        if (r < 0)
            return -1;
        if (r > 0)
            paths[(*npaths)++] = path;
        else if (!*name && argv[i][0] != '-')
            *name = argv[i];
        else {
            pikos_cli_error("unexpected argument '%s': pikos help "
                            "[--plugin-path DIR]... KIND/NAME",
                            argv[i]);
            return -1;
        }
    }
    return 0;
}

int pikos_cli_help_command(int argc, char **argv)
{
    const char *name = NULL;
    size_t npaths = 0;
    const char **paths = calloc((size_t)argc, sizeof(*paths));
    if (!paths) {
        pikos_cli_error("out of memory");
        return PIKOS_CLI_EXIT_USAGE;
    }
    int status = PIKOS_CLI_EXIT_USAGE;
    if (parse_help_args(argc, argv, paths, &npaths, &name) == 0) {
        status = 0;
        if (name)
            status = describe(name, paths, npaths);
        else
            pikos_cli_print_usage();
    }
    free(paths);
    return status;
}
