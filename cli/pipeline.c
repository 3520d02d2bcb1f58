/*
 * cli/pipeline.c - the run's pipeline from the command line.
 *
 * Each --plugin spec becomes an instance, created (and so validated, its
 * files opened) before Python runs anything.  Defaults fill what the specs
 * leave out: monitors/functions when no monitor is given, recorders/text
 * on the screen when no recorder is given.  `-o FILE` is the filename= of
 * the recorder given last (or of the default one).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define DEFAULT_MONITOR "monitors/functions"
#define DEFAULT_RECORDER "recorders/text"
#define OUTPUT_OPTION "filename"

/* One --plugin spec, parsed. */
struct spec {
    const char *text;
    char *name; /* points into buffer */
    struct pikos_option_setting *settings;
    size_t nsettings;
    char *buffer;
};

static int parse_specs(struct spec *specs, const struct pikos_cli_args *args)
{
    struct pikos_error err = {0};
    for (size_t i = 0; i < args->nspecs; i++) {
        specs[i].text = args->specs[i];
        if (pikos_parse_plugin_spec(args->specs[i], &specs[i].name,
                                    &specs[i].settings, &specs[i].nsettings,
                                    &specs[i].buffer, &err) < 0) {
            pikos_cli_error("%s", err.message);
            return -1;
        }
    }
    return 0;
}

static void free_specs(struct spec *specs, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(specs[i].settings);
        free(specs[i].buffer);
    }
    free(specs);
}

static int has_option(const struct pikos_plugin_info *info, const char *name)
{
    for (size_t i = 0; i < info->noptions; i++)
        if (strcmp(info->options[i].name, name) == 0)
            return 1;
    return 0;
}

static const char *setting_value(const struct spec *spec, const char *key)
{
    for (size_t i = 0; i < spec->nsettings; i++)
        if (strcmp(spec->settings[i].key, key) == 0)
            return spec->settings[i].value;
    return NULL;
}

/* Adds filename=`output` to the spec of the recorder `info`. */
static int add_output(struct spec *spec, const struct pikos_plugin_info *info,
                      const char *output)
{
    const char *given = setting_value(spec, OUTPUT_OPTION);
    if (!has_option(info, OUTPUT_OPTION)) {
        pikos_cli_error("-o %s: %s has no %s option; give -o with a "
                        "recorder that writes a file",
                        output, info->full_name, OUTPUT_OPTION);
        return -1;
    }
    if (given) {
        pikos_cli_error("both -o %s and '%s' name the output of %s; "
                        "give only one",
                        output, spec->text, info->full_name);
        return -1;
    }
    struct pikos_option_setting *settings = realloc(
        spec->settings, (spec->nsettings + 1) * sizeof(*spec->settings));
    if (!settings) {
        pikos_cli_error("out of memory");
        return -1;
    }
    settings[spec->nsettings].key = OUTPUT_OPTION;
    settings[spec->nsettings].value = output;
    spec->settings = settings;
    spec->nsettings++;
    return 0;
}

/* Gives -o to the last recorder among the specs (if there is one). */
static int apply_output(struct pikos_registry *reg, struct spec *specs,
                        size_t count, const char *output)
{
    struct pikos_error err = {0};
    struct pikos_plugin_info *last = NULL;
    size_t last_index = 0;
    for (size_t i = 0; i < count; i++) {
        struct pikos_plugin_info *info =
            pikos_registry_find(reg, specs[i].name, &err);
        if (!info) {
            pikos_cli_error("%s", err.message);
            return -1;
        }
        if (info->kind == PIKOS_KIND_RECORDER) {
            last = info;
            last_index = i;
        }
    }
    if (!output || !last)
        return 0;
    return add_output(&specs[last_index], last, output);
}

static int add_instance(struct pikos_registry *reg, struct pikos_pipeline *pipe,
                        const char *name,
                        const struct pikos_option_setting *settings,
                        size_t nsettings)
{
    struct pikos_error err = {0};
    struct pikos_instance *inst =
        pikos_instance_new(reg, name, settings, nsettings, &err);
    if (!inst || pikos_pipeline_add(pipe, inst, &err) < 0) {
        pikos_cli_error("%s", err.message);
        return -1;
    }
    return 0;
}

static int add_defaults(struct pikos_registry *reg, struct pikos_pipeline *pipe,
                        const char *output)
{
    struct pikos_option_setting file = {OUTPUT_OPTION, output};
    if (pikos_pipeline_count(pipe, PIKOS_KIND_MONITOR) == 0 &&
        add_instance(reg, pipe, DEFAULT_MONITOR, NULL, 0) < 0)
        return -1;
    if (pikos_pipeline_count(pipe, PIKOS_KIND_RECORDER) == 0 &&
        add_instance(reg, pipe, DEFAULT_RECORDER, output ? &file : NULL,
                     output ? 1 : 0) < 0)
        return -1;
    return 0;
}

static struct pikos_pipeline *create_pipeline(struct pikos_registry *reg,
                                              const struct spec *specs,
                                              size_t count, const char *output)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    if (!pipe) {
        pikos_cli_error("out of memory");
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        if (add_instance(reg, pipe, specs[i].name, specs[i].settings,
                         specs[i].nsettings) < 0)
            goto fail;
    }
    if (add_defaults(reg, pipe, output) < 0)
        goto fail;
    return pipe;
fail:
    pikos_pipeline_free(pipe);
    return NULL;
}

struct pikos_pipeline *
pikos_cli_build_pipeline(struct pikos_registry *reg,
                         const struct pikos_cli_args *args)
{
    struct pikos_pipeline *pipe = NULL;
    struct spec *specs =
        calloc(args->nspecs ? args->nspecs : 1, sizeof(*specs));
    if (!specs) {
        pikos_cli_error("out of memory");
        return NULL;
    }
    if (parse_specs(specs, args) == 0 &&
        apply_output(reg, specs, args->nspecs, args->output) == 0)
        pipe = create_pipeline(reg, specs, args->nspecs, args->output);
    free_specs(specs, args->nspecs);
    return pipe;
}
