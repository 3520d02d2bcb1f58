/*
 * cli/args.c - the command line of a run.
 *
 *   pikos [--plugin SPEC]... [-o FILE] [--focused-on F1,F2]
 *         [--plugin-path DIR]... script [args]
 *   pikos [...same options...] -m module [args...]
 *   pikos [...same options...] -c command [args...]
 *
 * Options end at the script (or right after `-m module` or `-c command`)
 * or at `--`; the script may be `-` (standard input), a directory or a zip
 * file, as with python3;
 * everything after belongs to the program, as with `python3`.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* "--long=VALUE" (or "-sVALUE") -> VALUE; NULL when `arg` is not that. */
static const char *attached_value(const char *arg, const char *name,
                                  char separator)
{
    size_t len = strlen(name);
    if (strncmp(arg, name, len) != 0)
        return NULL;
    if (separator != '\0' && arg[len] == separator)
        return arg + len + 1;
    if (separator == '\0' && arg[len] != '\0')
        return arg + len;
    return NULL;
}

int pikos_cli_option_value(int argc, char **argv, int *i, const char *long_name,
                           const char *short_name, const char **value)
{
    const char *arg = argv[*i];
    int separate = strcmp(arg, long_name) == 0 ||
                   (short_name && strcmp(arg, short_name) == 0);
    if (separate) {
        if (*i + 1 >= argc) {
            pikos_cli_error("option %s needs a value (see pikos --help)", arg);
            return -1;
        }
        *value = argv[++*i];
        return 1;
    }
    *value = attached_value(arg, long_name, '=');
    if (!*value && short_name)
        *value = attached_value(arg, short_name, '\0');
    return *value ? 1 : 0;
}

/* The options that take no value; 1 when `arg` was one of them. */
static int take_flag(const char *arg, struct pikos_cli_args *args)
{
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
        args->action = PIKOS_CLI_SHOW_HELP;
    else if (strcmp(arg, "--version") == 0)
        args->action = PIKOS_CLI_SHOW_VERSION;
    else
        return 0;
    return 1;
}

/* The options that take a value. */
enum value_option {
    OPT_PLUGIN,
    OPT_PLUGIN_PATH,
    OPT_OUTPUT,
    OPT_FOCUSED_ON,
    OPT_PYTHON,
    OPT_COMMAND, /* the last two end the options */
    OPT_MODULE
};

static const struct {
    const char *long_name;
    const char *short_name;
} value_options[] = {
    [OPT_PLUGIN] = {"--plugin", NULL},
    [OPT_PLUGIN_PATH] = {"--plugin-path", NULL},
    [OPT_OUTPUT] = {"--output", "-o"},
    [OPT_FOCUSED_ON] = {"--focused-on", NULL},
    [OPT_PYTHON] = {"--python", NULL},
    [OPT_COMMAND] = {"--command", "-c"},
    [OPT_MODULE] = {"--module", "-m"},
};

static void store_value(struct pikos_cli_args *args, enum value_option option,
                        const char *value)
{
    switch (option) {
    case OPT_PLUGIN:
        args->specs[args->nspecs++] = value;
        break;
    case OPT_PLUGIN_PATH:
        args->plugin_paths[args->npaths++] = value;
        break;
    case OPT_OUTPUT:
        args->output = value;
        break;
    case OPT_FOCUSED_ON:
        args->focused_on = value;
        break;
    case OPT_PYTHON:
        args->python = value;
        break;
    case OPT_COMMAND:
        args->command = value;
        break;
    case OPT_MODULE:
        args->module = value;
        break;
    }
}

/* One option at argv[*i]: 1 taken, 0 unknown, -1 error (reported). */
static int take_option(int argc, char **argv, int *i,
                       struct pikos_cli_args *args)
{
    if (take_flag(argv[*i], args))
        return 1;
    for (int option = OPT_PLUGIN; option <= OPT_MODULE; option++) {
        const char *value;
        int r = pikos_cli_option_value(
            argc, argv, i, value_options[option].long_name,
            value_options[option].short_name, &value);
        if (r > 0)
            store_value(args, option, value);
        if (r != 0)
            return r;
    }
    return 0;
}

/* Walks the options; returns the index of the first program argument
   (the script, or the module's first argument), or -1 (reported). */
static int parse_options(int argc, char **argv, struct pikos_cli_args *args)
{
    int i;
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0)
            return i + 1;
        if (arg[0] != '-' || arg[1] == '\0')
            return i;
        int r = take_option(argc, argv, &i, args);
        if (r < 0)
            return -1;
        if (r == 0) {
            pikos_cli_error("unknown option '%s' (see pikos --help)", arg);
            return -1;
        }
        if (args->module || args->command || args->action != PIKOS_CLI_RUN)
            return i + 1;
    }
    return i;
}

/* Where the program starts: the script (unless -m or -c was given). */
static int take_program(int argc, char **argv, int first,
                        struct pikos_cli_args *args)
{
    if (!args->module && !args->command) {
        if (first >= argc) {
            pikos_cli_error("no script given: pikos [options] script.py "
                            "[args...] (see pikos --help)");
            return -1;
        }
        args->script = argv[first++];
    }
    args->program_argc = argc - first;
    args->program_argv = argv + first;
    return 0;
}

int pikos_cli_parse_run_args(int argc, char **argv, struct pikos_cli_args *args)
{
    memset(args, 0, sizeof(*args));
    /* At most one spec or path per argument. */
    args->specs = calloc((size_t)argc, sizeof(*args->specs));
    args->plugin_paths = calloc((size_t)argc, sizeof(*args->plugin_paths));
    if (!args->specs || !args->plugin_paths) {
        pikos_cli_error("out of memory");
        pikos_cli_args_free(args);
        return -1;
    }
    int first = parse_options(argc, argv, args);
    if (first < 0 || (args->action == PIKOS_CLI_RUN &&
                      take_program(argc, argv, first, args) < 0)) {
        pikos_cli_args_free(args);
        return -1;
    }
    return 0;
}

void pikos_cli_args_free(struct pikos_cli_args *args)
{
    free(args->specs);
    free(args->plugin_paths);
    args->specs = NULL;
    args->plugin_paths = NULL;
}
