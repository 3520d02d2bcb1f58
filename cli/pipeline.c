/*
 * cli/pipeline.c - the run's pipeline from the command line.
 *
 * Each --plugin spec becomes an instance, created (and so validated, its
 * files opened) before Python runs anything.  Defaults fill what the specs
 * leave out: monitors/functions when no monitor is given, recorders/text
 * on the screen when no recorder is given.  `-o FILE` is the filename= of
 * the recorder given last (or of the default one).  `--focused-on F1,F2`
 * is functions=F1;F2 on every monitor that has that option.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define DEFAULT_MONITOR "monitors/functions"
#define DEFAULT_RECORDER "recorders/text"
#define OUTPUT_OPTION "filename"
#define FOCUS_OPTION PIKOS_MONITOR_OPTION_FUNCTIONS

/* One --plugin spec, parsed. */
struct spec {
    const char *text;
    char *name; /* points into buffer */
    struct pikos_plugin_info *info;
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

static int add_setting(struct spec *spec, const char *key, const char *value)
{
    struct pikos_option_setting *settings = realloc(
        spec->settings, (spec->nsettings + 1) * sizeof(*spec->settings));
    if (!settings) {
        pikos_cli_error("out of memory");
        return -1;
    }
    settings[spec->nsettings].key = key;
    settings[spec->nsettings].value = value;
    spec->settings = settings;
    spec->nsettings++;
    return 0;
}

/* Finds the plugin each spec names. */
static int find_plugins(struct pikos_registry *reg, struct spec *specs,
                        size_t count)
{
    struct pikos_error err = {0};
    for (size_t i = 0; i < count; i++) {
        specs[i].info = pikos_registry_find(reg, specs[i].name, &err);
        if (!specs[i].info) {
            pikos_cli_error("%s", err.message);
            return -1;
        }
    }
    return 0;
}

/* Adds filename=`output` to the spec of a recorder. */
static int add_output(struct spec *spec, const char *output)
{
    const struct pikos_plugin_info *info = spec->info;
    if (!has_option(info, OUTPUT_OPTION)) {
        pikos_cli_error("-o %s: %s has no %s option; give -o with a "
                        "recorder that writes a file",
                        output, info->full_name, OUTPUT_OPTION);
        return -1;
    }
    if (setting_value(spec, OUTPUT_OPTION)) {
        pikos_cli_error("both -o %s and '%s' name the output of %s; "
                        "give only one",
                        output, spec->text, info->full_name);
        return -1;
    }
    return add_setting(spec, OUTPUT_OPTION, output);
}

/* Gives -o to the last recorder among the specs (if there is one). */
static int apply_output(struct spec *specs, size_t count, const char *output)
{
    struct spec *last = NULL;
    for (size_t i = 0; i < count; i++)
        if (specs[i].info->kind == PIKOS_KIND_RECORDER)
            last = &specs[i];
    if (!output || !last)
        return 0;
    return add_output(last, output);
}

/* ------------------------------------------------------------ focus */

/* One name of --focused-on, without the blanks around it: [*start, *end). */
static void trim(const char **start, const char **end)
{
    while (*start < *end && isspace((unsigned char)**start))
        (*start)++;
    while (*end > *start && isspace((unsigned char)(*end)[-1]))
        (*end)--;
}

/* "f, g" -> "f;g" (a list option's text); NULL (reported) when a name is
   empty or memory is short. */
static char *focus_list(const char *focused_on)
{
    char *list = malloc(strlen(focused_on) + 1), *out = list;
    const char *name = focused_on;
    if (!list) {
        pikos_cli_error("out of memory");
        return NULL;
    }
    for (;;) {
        const char *next = name + strcspn(name, ","), *end = next;
        trim(&name, &end);
        if (end == name) {
            pikos_cli_error("--focused-on '%s': a function name is empty; "
                            "give names separated by commas, e.g. "
                            "--focused-on gcd,Class.method",
                            focused_on);
            free(list);
            return NULL;
        }
        memcpy(out, name, (size_t)(end - name));
        out += end - name;
        if (*next == '\0')
            break;
        *out++ = ';';
        name = next + 1;
    }
    *out = '\0';
    return list;
}

/* functions=`list` on every monitor spec that has the option; the number
   of those, or -1 (reported) when a spec sets functions= itself. */
static int focus_specs(struct spec *specs, size_t count, const char *focused_on,
                       const char *list)
{
    int focused = 0;
    for (size_t i = 0; i < count; i++) {
        if (specs[i].info->kind != PIKOS_KIND_MONITOR ||
            !has_option(specs[i].info, FOCUS_OPTION))
            continue;
        if (setting_value(&specs[i], FOCUS_OPTION)) {
            pikos_cli_error("both --focused-on %s and '%s' name the "
                            "functions of %s; give only one",
                            focused_on, specs[i].text,
                            specs[i].info->full_name);
            return -1;
        }
        if (add_setting(&specs[i], FOCUS_OPTION, list) < 0)
            return -1;
        focused++;
    }
    return focused;
}

static int has_monitor(const struct spec *specs, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (specs[i].info->kind == PIKOS_KIND_MONITOR)
            return 1;
    return 0;
}

/* Applies --focused-on to the specs; *list is the functions= value the
   default monitor gets (NULL without --focused-on; free it). */
static int apply_focus(struct pikos_registry *reg, struct spec *specs,
                       size_t count, const char *focused_on, char **list)
{
    struct pikos_error err = {0};
    *list = NULL;
    if (!focused_on)
        return 0;
    if (!(*list = focus_list(focused_on)))
        return -1;
    int focused = focus_specs(specs, count, focused_on, *list);
    if (focused != 0)
        return focused < 0 ? -1 : 0;
    if (!has_monitor(specs, count)) {
        const struct pikos_plugin_info *info =
            pikos_registry_find(reg, DEFAULT_MONITOR, &err);
        if (info && has_option(info, FOCUS_OPTION))
            return 0;
    }
    pikos_cli_error("--focused-on %s: no monitor of this run has a '%s' "
                    "option; use monitors/functions, monitors/lines, "
                    "monitors/function_memory or monitors/line_memory",
                    focused_on, FOCUS_OPTION);
    return -1;
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
                        const char *output, const char *focus)
{
    struct pikos_option_setting file = {OUTPUT_OPTION, output};
    struct pikos_option_setting functions = {FOCUS_OPTION, focus};
    if (pikos_pipeline_count(pipe, PIKOS_KIND_MONITOR) == 0 &&
        add_instance(reg, pipe, DEFAULT_MONITOR, focus ? &functions : NULL,
                     focus ? 1 : 0) < 0)
        return -1;
    if (pikos_pipeline_count(pipe, PIKOS_KIND_RECORDER) == 0 &&
        add_instance(reg, pipe, DEFAULT_RECORDER, output ? &file : NULL,
                     output ? 1 : 0) < 0)
        return -1;
    return 0;
}

static struct pikos_pipeline *create_pipeline(struct pikos_registry *reg,
                                              const struct spec *specs,
                                              size_t count, const char *output,
                                              const char *focus)
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
    if (add_defaults(reg, pipe, output, focus) < 0)
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
    char *focus = NULL;
    struct spec *specs =
        calloc(args->nspecs ? args->nspecs : 1, sizeof(*specs));
    if (!specs) {
        pikos_cli_error("out of memory");
        return NULL;
    }
    if (parse_specs(specs, args) == 0 &&
        find_plugins(reg, specs, args->nspecs) == 0 &&
        apply_output(specs, args->nspecs, args->output) == 0 &&
        apply_focus(reg, specs, args->nspecs, args->focused_on, &focus) == 0)
        pipe = create_pipeline(reg, specs, args->nspecs, args->output, focus);
    free(focus);
    free_specs(specs, args->nspecs);
    return pipe;
}
