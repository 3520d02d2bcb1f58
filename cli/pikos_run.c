/*
 * cli/pikos_run.c - the `pikos-run` command, the seed's command line:
 *
 *   pikos-run [-h] [-o OUTPUT] [--buffered] [--recording {screen,text,csv}]
 *             [--focused-on FOCUSED_ON]
 *             {functions,line_memory,lines,function_memory} script
 *
 * It is a front for a run of `pikos`: the monitor name becomes
 * monitors/NAME, the recording a recorder, and the rest is the run of
 * pikos_cli_run.  As the seed's argparse parser, options may come before or
 * after the two positionals, as `--opt VALUE` or `--opt=VALUE` (`-o VALUE`,
 * `-oVALUE`), a long option may be shortened to any unambiguous prefix, and
 * `--` ends the options.
 *
 * Recordings:
 *   screen  recorders/text, formatted, on standard output (or -o OUTPUT),
 *           flushed after every record unless --buffered;
 *   text    recorders/text, formatted, into OUTPUT or monitor_records.log,
 *           flushed after every record unless --buffered;
 *   csv     recorders/csv into OUTPUT or monitor_records.csv (always
 *           buffered; the file is complete when the program ends).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "usage: pikos-run [-h] [-o OUTPUT] [--buffered]"
    " [--recording {screen,text,csv}]\n"
    "                 [--focused-on FOCUSED_ON]\n"
    "                 {functions,line_memory,lines,function_memory} script\n"
    "\n"
    "Execute the python script inside the pikos monitor context.\n"
    "\n"
    "positional arguments:\n"
    "  {functions,line_memory,lines,function_memory}\n"
    "                        The monitor to use\n"
    "  script                The script to run.\n"
    "\n"
    "optional arguments:\n"
    "  -h, --help            show this help message and exit\n"
    "  -o OUTPUT, --output OUTPUT\n"
    "                        Output results to a file\n"
    "  --buffered            Use a buffered stream.\n"
    "  --recording {screen,text,csv}\n"
    "                        Select the type of recording to use.\n"
    "  --focused-on FOCUSED_ON\n"
    "                        Provide the module path(s) of the method where\n"
    "                        recording will be focused. Comma separated"
    " list of\n"
    "                        importable functions\n";

/* The monitors by their seed names. */
static const struct {
    const char *name;
    const char *plugin;
} monitors[] = {
    {"functions", "monitors/functions"},
    {"lines", "monitors/lines"},
    {"function_memory", "monitors/function_memory"},
    {"line_memory", "monitors/line_memory"},
};
#define MONITOR_CHOICES "functions, lines, function_memory, line_memory"

/* The recordings: the recorder (flushed after each record or not) and the
   file it writes when -o is not given (NULL: standard output). */
static const struct {
    const char *name;
    const char *flushed_spec;
    const char *buffered_spec;
    const char *default_file;
} recordings[] = {
    {"screen", "recorders/text:auto_flush=true",
     "recorders/text:auto_flush=false", NULL},
    {"text", "recorders/text:auto_flush=true",
     "recorders/text:auto_flush=false", "monitor_records.log"},
    {"csv", "recorders/csv", "recorders/csv", "monitor_records.csv"},
};
#define RECORDING_CHOICES "screen, text, csv"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The command line, as given. */
struct run_command {
    int help;
    int buffered;
    const char *output;
    const char *recording;
    const char *focused_on;
    const char *positionals[2]; /* the monitor and the script */
    int npositionals;
};

/* ------------------------------------------------------------ options */

enum option_id { OPT_HELP, OPT_OUTPUT, OPT_BUFFERED, OPT_RECORDING, OPT_FOCUS };

static const struct {
    const char *long_name;
    const char *short_name; /* NULL: none */
    int takes_value;
} options[] = {
    [OPT_HELP] = {"--help", "-h", 0},
    [OPT_OUTPUT] = {"--output", "-o", 1},
    [OPT_BUFFERED] = {"--buffered", NULL, 0},
    [OPT_RECORDING] = {"--recording", NULL, 1},
    [OPT_FOCUS] = {"--focused-on", NULL, 1},
};

/* The long option `name` (len bytes, maybe a prefix) names, or -1
   (reported) when it names none or several. */
static int find_long_option(const char *name, size_t len)
{
    int found = -1, matches = 0;
    for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
        if (strncmp(options[i].long_name, name, len) != 0)
            continue;
        if (options[i].long_name[len] == '\0')
            return (int)i; /* an exact name beats any prefix */
        found = (int)i;
        matches++;
    }
    if (matches == 1)
        return found;
    pikos_cli_error("%s option '%.*s' (see pikos-run --help)",
                    matches ? "ambiguous" : "unknown", (int)len, name);
    return -1;
}

/* The short option `arg` starts with ("-o" of "-oVALUE"), or -1. */
static int find_short_option(const char *arg)
{
    for (size_t i = 0; i < ARRAY_SIZE(options); i++)
        if (options[i].short_name &&
            strncmp(arg, options[i].short_name, 2) == 0)
            return (int)i;
    return -1;
}

static void store_option(struct run_command *cmd, int id, const char *value)
{
    switch (id) {
    case OPT_HELP:
        cmd->help = 1;
        break;
    case OPT_OUTPUT:
        cmd->output = value;
        break;
    case OPT_BUFFERED:
        cmd->buffered = 1;
        break;
    case OPT_RECORDING:
        cmd->recording = value;
        break;
    case OPT_FOCUS:
        cmd->focused_on = value;
        break;
    }
}

/* Reports option `id` ("-o/--output", "--recording") with `problem`. */
static int option_error(int id, const char *problem)
{
    const char *short_name = options[id].short_name;
    pikos_cli_error("option %s%s%s %s (see pikos-run --help)",
                    short_name ? short_name : "", short_name ? "/" : "",
                    options[id].long_name, problem);
    return -1;
}

/* Stores option `id` whose attached value (after '=' or the letter) is
   `attached` (NULL: none), taking the next argument when it needs one. */
static int take_value(int argc, char **argv, int *i, int id,
                      const char *attached, struct run_command *cmd)
{
    if (!options[id].takes_value) {
        if (attached)
            return option_error(id, "takes no value");
        store_option(cmd, id, NULL);
        return 0;
    }
    if (!attached) {
        if (*i + 1 >= argc)
            return option_error(id, "needs a value");
        attached = argv[++*i];
    }
    store_option(cmd, id, attached);
    return 0;
}

/* The option at argv[*i] ("--name", "--name=value", "-x", "-xVALUE"). */
static int take_option(int argc, char **argv, int *i, struct run_command *cmd)
{
    const char *arg = argv[*i];
    if (arg[1] == '-') {
        const char *equals = strchr(arg, '=');
        size_t len = equals ? (size_t)(equals - arg) : strlen(arg);
        int id = find_long_option(arg, len);
        return id < 0 ? -1
                      : take_value(argc, argv, i, id,
                                   equals ? equals + 1 : NULL, cmd);
    }
    int id = find_short_option(arg);
    if (id < 0 || (arg[2] != '\0' && !options[id].takes_value)) {
        pikos_cli_error("unknown option '%s' (see pikos-run --help)", arg);
        return -1;
    }
    return take_value(argc, argv, i, id, arg[2] ? arg + 2 : NULL, cmd);
}

static int take_positional(const char *arg, struct run_command *cmd)
{
    if (cmd->npositionals == 2) {
        pikos_cli_error("unexpected argument '%s': pikos-run takes a monitor "
                        "and a script, and passes no arguments to the script "
                        "(pikos --plugin monitors/NAME script.py ARGS does)",
                        arg);
        return -1;
    }
    cmd->positionals[cmd->npositionals++] = arg;
    return 0;
}

/* Fills *cmd from argv; -1 (reported) on an error. */
static int parse_command(int argc, char **argv, struct run_command *cmd)
{
    int options_ended = 0;
    memset(cmd, 0, sizeof(*cmd));
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int r = 0;
        if (options_ended || arg[0] != '-' || arg[1] == '\0')
            r = take_positional(arg, cmd);
        else if (strcmp(arg, "--") == 0)
            options_ended = 1;
        else
            r = take_option(argc, argv, &i, cmd);
        if (r < 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ the run */

static const char *monitor_plugin(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(monitors); i++)
        if (strcmp(monitors[i].name, name) == 0)
            return monitors[i].plugin;
    pikos_cli_error("unknown monitor '%s': choose from " MONITOR_CHOICES, name);
    return NULL;
}

static int recording_index(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(recordings); i++)
        if (strcmp(recordings[i].name, name) == 0)
            return (int)i;
    pikos_cli_error("unknown recording '%s' for --recording: choose "
                    "from " RECORDING_CHOICES,
                    name);
    return -1;
}

/* The run of `pikos` this command stands for; `specs` holds its two
   --plugin specs.  -1 (reported) on a bad monitor or recording. */
static int to_run_args(const struct run_command *cmd, const char *specs[2],
                       struct pikos_cli_args *args)
{
    if (cmd->npositionals < 2) {
        pikos_cli_error("no %s given: pikos-run MONITOR script (see "
                        "pikos-run --help)",
                        cmd->npositionals == 0 ? "monitor" : "script");
        return -1;
    }
    specs[0] = monitor_plugin(cmd->positionals[0]);
    if (!specs[0])
        return -1;
    int recording = recording_index(cmd->recording ? cmd->recording : "screen");
    if (recording < 0)
        return -1;
    specs[1] = cmd->buffered ? recordings[recording].buffered_spec
                             : recordings[recording].flushed_spec;
    memset(args, 0, sizeof(*args));
    args->action = PIKOS_CLI_RUN;
    args->specs = specs;
    args->nspecs = 2;
    args->output =
        cmd->output ? cmd->output : recordings[recording].default_file;
    args->focused_on = cmd->focused_on;
    args->script = cmd->positionals[1];
    return 0;
}

int main(int argc, char **argv)
{
    struct run_command cmd;
    if (parse_command(argc, argv, &cmd) < 0)
        return PIKOS_CLI_EXIT_USAGE;
    if (cmd.help) {
        fputs(usage_text, stdout);
        return 0;
    }
    const char *specs[2];
    struct pikos_cli_args args;
    if (to_run_args(&cmd, specs, &args) < 0)
        return PIKOS_CLI_EXIT_USAGE;
    return pikos_cli_run(&args);
}
