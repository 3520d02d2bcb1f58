/*
 * cli/salvage_cmd.c - `pikos-tools salvage`, the pikos command's own: run
 * by the supervisor (salvage.c) once the program ended before monitoring
 * stopped, for one instance that kept durable state (core/state.c).
 *
 *   pikos-tools salvage --state-dir DIR --record K [--cwd DIR]
 *       [--plugin-path P]... -- kind/name [key=value]...
 *
 * --cwd is the directory the program made the instance in: the registry
 * is opened first (the plugin paths are the command's), then the instance
 * is made there, so that its relative file names are the program's.
 *
 * It makes the instance again from the same spec, through the registry as
 * the program did (cli/pipeline.c, without its defaults: the spec is the
 * one the program's instance was made from), and has it write its output
 * from the buffers the program left (the plugin's `salvage`).  Python is
 * not started.  A failure is one "pikos: ..." line and status 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "durable.h"

struct salvage_args {
    const char *dir;
    const char *cwd;
    unsigned record;
    const char **paths;
    size_t npaths;
    const char *name;
    struct pikos_option_setting *settings;
    size_t nsettings;
    /* --run-pipeline: the run's arguments, for a monitor's salvage */
    int pipeline;
    struct pikos_cli_args run;
    /* The spec as the record holds it ("kind/name\0key=value\0..."). */
    char *spec;
    size_t spec_len;
};

static int usage(void)
{
    pikos_cli_error("pikos-tools salvage --state-dir DIR --record K "
                    "[--cwd DIR] [--plugin-path P]... [--run-pipeline "
                    "[--run-plugin SPEC]... [--run-output O] "
                    "[--run-focused-on F]] -- kind/name [key=value]... (run "
                    "by the pikos command)");
    return -1;
}

/* "key=value" into a setting (pointing into argv). */
static int split_setting(char *text, struct pikos_option_setting *setting)
{
    char *equal = strchr(text, '=');
    if (equal == NULL)
        return usage();
    *equal = '\0';
    setting->key = text;
    setting->value = equal + 1;
    return 0;
}

/* The spec after "--": its plugin, then its settings. */
static int parse_spec(int argc, char **argv, int i, struct salvage_args *a)
{
    if (i >= argc)
        return usage();
    a->name = argv[i++];
    a->settings = calloc((size_t)(argc - i) + 1, sizeof(*a->settings));
    if (a->settings == NULL)
        return usage();
    size_t len = strlen(a->name) + 1;
    for (int j = i; j < argc; j++)
        len += strlen(argv[j]) + 1;
    if ((a->spec = malloc(len)) == NULL)
        return usage();
    char *at = stpcpy(a->spec, a->name) + 1;
    for (int j = i; j < argc; j++)
        at = stpcpy(at, argv[j]) + 1;
    a->spec_len = len;
    for (; i < argc; i++)
        if (split_setting(argv[i], &a->settings[a->nsettings++]) < 0)
            return -1;
    return 0;
}

static int parse(int argc, char **argv, struct salvage_args *a)
{
    a->paths = calloc((size_t)argc, sizeof(*a->paths));
    a->run.specs = calloc((size_t)argc, sizeof(*a->run.specs));
    if (a->paths == NULL || a->run.specs == NULL)
        return usage();
    for (int i = 1; i < argc; i++) {
        const char *value;
        if (strcmp(argv[i], "--") == 0)
            return a->dir != NULL ? parse_spec(argc, argv, i + 1, a) : usage();
        if (pikos_cli_option_value(argc, argv, &i, "--state-dir", NULL,
                                   &value) == 1)
            a->dir = value;
        else if (pikos_cli_option_value(argc, argv, &i, "--record", NULL,
                                        &value) == 1)
            a->record = (unsigned)strtoul(value, NULL, 10);
        else if (pikos_cli_option_value(argc, argv, &i, "--cwd", NULL,
                                        &value) == 1)
            a->cwd = value;
        else if (pikos_cli_option_value(argc, argv, &i, "--plugin-path", NULL,
                                        &value) == 1)
            a->paths[a->npaths++] = value;
        else if (strcmp(argv[i], "--run-pipeline") == 0)
            a->pipeline = 1;
        else if (pikos_cli_option_value(argc, argv, &i, "--run-plugin", NULL,
                                        &value) == 1)
            a->run.specs[a->run.nspecs++] = value;
        else if (pikos_cli_option_value(argc, argv, &i, "--run-output", NULL,
                                        &value) == 1)
            a->run.output = value;
        else if (pikos_cli_option_value(argc, argv, &i, "--run-focused-on",
                                        NULL, &value) == 1)
            a->run.focused_on = value;
        else
            return usage();
    }
    return usage();
}

/* The instance, made where the program made it; NULL with *err set. */
static struct pikos_instance *make_instance(struct pikos_registry *reg,
                                            const struct salvage_args *a,
                                            struct pikos_error *err)
{
    if (a->cwd != NULL && chdir(a->cwd) < 0) {
        snprintf(err->message, sizeof(err->message),
                 "cannot go to the directory it was made in, '%s': %s",
                 a->cwd, strerror(errno));
        return NULL;
    }
    return pikos_instance_new(reg, a->name, a->settings, a->nsettings, err);
}

/* A monitor's salvage: the run's pipeline made again where the program
   made it, its stream recorders going on after what the program wrote
   (pikos_outputs_resume), the monitor's records emitted into it. */
static int salvage_pipeline(struct pikos_registry *reg,
                            const struct salvage_args *a,
                            struct pikos_error *err)
{
    struct pikos_pipeline *pipe;
    int rc;

    if (a->cwd != NULL && chdir(a->cwd) < 0) {
        snprintf(err->message, sizeof(err->message),
                 "cannot go to the directory it was made in, '%s': %s",
                 a->cwd, strerror(errno));
        return -1;
    }
    pikos_outputs_resume(1);
    pipe = pikos_cli_build_pipeline(reg, &a->run); /* reports its errors */
    pikos_outputs_resume(0);
    if (pipe == NULL) {
        snprintf(err->message, sizeof(err->message),
                 "the run's pipeline could not be made again");
        return -1;
    }
    rc = pikos_pipeline_salvage(pipe, a->spec, a->spec_len, a->dir, a->record,
                                err);
    pikos_pipeline_free(pipe);
    return rc;
}

/* Makes the instance and has it salvage; 0, or -1 (reported). */
static int salvage(const struct salvage_args *a)
{
    struct pikos_error err = {0};
    struct pikos_registry *reg = pikos_cli_open_registry(a->paths, a->npaths);
    struct pikos_instance *inst;
    int rc = -1;

    if (reg == NULL)
        return -1;
    pikos_registry_load_directly(reg, 1); /* as the program loaded it */
    if (a->pipeline) {
        inst = NULL;
        rc = salvage_pipeline(reg, a, &err);
    } else if ((inst = make_instance(reg, a, &err)) != NULL)
        rc = pikos_instance_salvage(inst, a->dir, a->record, &err);
    if (rc < 0)
        pikos_cli_error("the program ended before monitoring stopped and "
                        "its output could not be written: %s",
                        err.message);
    pikos_instance_free(inst);
    pikos_registry_free(reg);
    return rc < 0 ? -1 : 0;
}

int pikos_cli_salvage_command(int argc, char **argv)
{
    struct salvage_args a = {0};
    int rc = parse(argc, argv, &a) == 0 ? salvage(&a) : -1;

    free(a.paths);
    free(a.settings);
    free((void *)a.run.specs);
    free(a.spec);
    return rc == 0 ? 0 : PIKOS_CLI_EXIT_USAGE;
}
