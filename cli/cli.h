/*
 * cli/cli.h - what the files of the `pikos` command share.
 *
 * One concern per file:
 *   main.c          picks the command: run, `plugins`, `help`
 *   args.c          the command line of a run (options, script, -m)
 *   usage.c         --help, --version and the "pikos: ..." error line
 *   registry.c      opening the plugin registry; kind and type names
 *   pipeline.c      --plugin specs, defaults and -o -> a pipeline
 *   plugins_cmd.c   `pikos plugins` (the table)
 *   plugins_json.c  `pikos plugins --json`
 *   help_cmd.c      `pikos help KIND/NAME`
 *   interpreter.c   the embedded Python of `pikos plugins` and `help`
 *   watch/          `pikos watch`, the live view of recorders/zmq streams
 *                   (its own files and index: watch/watch.h)
 *   run.c           a run: the user's python3 runs the program, pikos
 *                   loaded in it; this process watches it end
 *   salvage.c       the outputs of recorders that kept state, written
 *                   after a program that ended before monitoring stopped
 *   salvage_cmd.c   pikos-tools salvage, which the command runs for that
 *   child.c         starting that interpreter: its command line and
 *                   environment
 *   ending.c        how the program ended, told and passed on
 *   error.c         the "pikos: ..." line
 *
 * Every user error is one line "pikos: <message>" on stderr and exit
 * status 2 (PIKOS_CLI_EXIT_USAGE); the profiled program's own status,
 * output and traceback pass through unchanged.
 */
#ifndef PIKOS_CLI_H
#define PIKOS_CLI_H

#include <stddef.h>
#include <stdint.h>

#include <pikos/pikos.h>

/* Exit status of pikos's own errors (bad input, broken plugin, ...). */
#define PIKOS_CLI_EXIT_USAGE 2

/* ------------------------------------------------------------ usage.c */

void pikos_cli_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
void pikos_cli_print_usage(void);
void pikos_cli_print_version(void);

/* ------------------------------------------------------------ args.c */

enum pikos_cli_action {
    PIKOS_CLI_RUN = 0,
    PIKOS_CLI_SHOW_HELP = 1,
    PIKOS_CLI_SHOW_VERSION = 2
};

/* The command line of a run.  Strings point into argv. */
struct pikos_cli_args {
    int action;         /* enum pikos_cli_action */
    const char **specs; /* --plugin values, in order */
    size_t nspecs;
    const char **plugin_paths; /* --plugin-path values, in order */
    size_t npaths;
    const char *output; /* -o FILE, or NULL */
    const char *focused_on; /* --focused-on F1,F2 (comma separated), or NULL */
    const char *python; /* --python PATH, or NULL */
    const char *module; /* -m NAME, or NULL */
    const char *command; /* -c CMD, or NULL */
    const char *script; /* the script ("-": standard input), or NULL with
                           -m and -c */
    int program_argc;   /* the program's own arguments */
    char **program_argv;
};

/* Fills *args from argv (argv[0] is the command).  Reports errors itself
   and returns -1; *args then holds nothing to free. */
int pikos_cli_parse_run_args(int argc, char **argv,
                             struct pikos_cli_args *args);
void pikos_cli_args_free(struct pikos_cli_args *args);

/*
 * Matches argv[*i] against an option taking a value, in the forms
 * "--long VALUE", "--long=VALUE", "-s VALUE" and "-sVALUE" (`short_name`
 * may be NULL).  Returns 1 and sets *value (advancing *i past a separate
 * value), 0 when argv[*i] is another option, -1 (reported) when the value
 * is missing.
 */
int pikos_cli_option_value(int argc, char **argv, int *i, const char *long_name,
                           const char *short_name, const char **value);

/* ------------------------------------------------------------ registry.c */

/* A scanned registry: `paths` first, then the default search path.
   Reports errors itself and returns NULL. */
struct pikos_registry *pikos_cli_open_registry(const char *const *paths,
                                               size_t npaths);
/* Every plugin of the registry, loaded (so that its status is known) and
   sorted by full name; free() the array.  NULL (reported) when out of
   memory. */
struct pikos_plugin_info **pikos_cli_sorted_plugins(struct pikos_registry *reg,
                                                    size_t *count);
/* Loads the plugin unless that was tried already. */
void pikos_cli_check_plugin(struct pikos_registry *reg,
                            struct pikos_plugin_info *info);

/* ------------------------------------------------------------ pipeline.c */

/* The run's pipeline: the --plugin specs, then monitors/functions and
   recorders/text when no monitor or recorder was given, with -o applied.
   Every instance is created (and so validated) here.  Reports errors
   itself and returns NULL. */
struct pikos_pipeline *
pikos_cli_build_pipeline(struct pikos_registry *reg,
                         const struct pikos_cli_args *args);

/* ------------------------------------------------------------ commands */

int pikos_cli_plugins_command(int argc, char **argv);
int pikos_cli_print_plugins_json(struct pikos_plugin_info *const *plugins,
                                 size_t count);
int pikos_cli_help_command(int argc, char **argv);
int pikos_cli_run(const struct pikos_cli_args *args);
/* pikos-tools salvage (salvage_cmd.c), run by the pikos command. */
int pikos_cli_salvage_command(int argc, char **argv);

#endif /* PIKOS_CLI_H */
