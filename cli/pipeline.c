/*
 * cli/pipeline.c - the run's pipeline from the command line.
 *
 * Each --plugin spec becomes an instance, created (and so validated, its
 * files opened) before Python runs anything.  Defaults fill what the specs
 * leave out: monitors/functions when no monitor is given, recorders/text
 * on the screen when no recorder is given.  `-o FILE` is the filename= of
 * the recorder given last (or of the default one).  `--focused-on F1,F2`
 * is functions=F1;F2 on every monitor that has that option.
 *
 * Creating a recorder opens (and truncates) its file, so before any
 * instance exists the recorders' files are checked: none may be the
 * program's script, and no two recorders may share one.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* ------------------------------------------------------------ outputs */

/* A file of the command line: the script or a recorder's output. */
struct named_file {
    const char *owner; /* the recorder's full name; NULL for the script */
    const char *path;  /* as given */
    char *absolute;    /* see absolute_path() */
    int exists;
    struct stat st;
};

/* The file `path` names: NULL for none, for standard output (a recorder's
   filename= absent, empty or "-") or standard input (the script "-"). */
static const char *file_named(const char *path)
{
    if (!path || path[0] == '\0' || strcmp(path, "-") == 0)
        return NULL;
    return path;
}

/* dir/name, without doubling the "/" of the root. */
static char *join_path(const char *dir, const char *name)
{
    size_t size = strlen(dir) + strlen(name) + 2;
    char *path = malloc(size);
    if (path)
        snprintf(path, size, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name);
    return path;
}

/* `path` made absolute: its directory resolved, its last name kept as
   given (the file may not exist yet; an existing link is compared by
   stat()).  When the directory cannot be resolved the file cannot be
   created either (its recorder will say so): `path` as given then. */
static char *absolute_path(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    char *dir = slash ? strndup(path, (size_t)(name - path)) : strdup(".");
    char *real = dir ? realpath(dir, NULL) : NULL;
    char *absolute = NULL;
    if (real)
        absolute = join_path(real, name);
    else if (dir)
        absolute = strdup(path);
    free(real);
    free(dir);
    return absolute;
}

static int name_file(struct named_file *file, const char *owner,
                     const char *path)
{
    file->owner = owner;
    file->path = path;
    file->exists = stat(path, &file->st) == 0;
    file->absolute = absolute_path(path);
    if (!file->absolute) {
        pikos_cli_error("out of memory");
        return -1;
    }
    return 0;
}

/* Existing files are the same by inode (links, ".." and all); a file yet
   to be created by its absolute path.  A device or pipe (/dev/null, a
   terminal) is neither truncated nor positioned: any number may share it. */
static int same_file(const struct named_file *a, const struct named_file *b)
{
    if (a->exists && b->exists)
        return S_ISREG(a->st.st_mode) && a->st.st_dev == b->st.st_dev &&
               a->st.st_ino == b->st.st_ino;
    return strcmp(a->absolute, b->absolute) == 0;
}

/* files[0.. *n): the script (if it is a file), then every recorder's file, the
   default recorder's -o included.  `files` has room for count + 2. */
static int name_files(struct named_file *files, const struct spec *specs,
                      size_t count, const struct pikos_cli_args *args,
                      size_t *n)
{
    int recorders = 0;
    if (file_named(args->script) &&
        name_file(&files[(*n)++], NULL, args->script) < 0)
        return -1;
    for (size_t i = 0; i < count; i++) {
        if (specs[i].info->kind != PIKOS_KIND_RECORDER)
            continue;
        recorders++;
        const char *path = file_named(setting_value(&specs[i], OUTPUT_OPTION));
        if (path &&
            name_file(&files[(*n)++], specs[i].info->full_name, path) < 0)
            return -1;
    }
    if (!recorders && file_named(args->output))
        return name_file(&files[(*n)++], DEFAULT_RECORDER, args->output);
    return 0;
}

/* `b` (a recorder's file) is `a` (the script or an earlier recorder's). */
static void report_same_file(const struct named_file *a,
                             const struct named_file *b)
{
    if (!a->owner)
        pikos_cli_error("[%s] output '%s' is the program's script; give "
                        "another file",
                        b->owner, b->path);
    else if (strcmp(a->path, b->path) == 0)
        pikos_cli_error("[%s] and [%s] both write to '%s'; give each "
                        "recorder its own file",
                        a->owner, b->owner, b->path);
    else
        pikos_cli_error("[%s] ('%s') and [%s] ('%s') write to one file; "
                        "give each recorder its own file",
                        a->owner, a->path, b->owner, b->path);
}

/* Reports the first recorder's file that is the script or the file of
   an earlier recorder. */
static int check_files(const struct named_file *files, size_t n)
{
    for (size_t j = 1; j < n; j++)
        for (size_t i = 0; i < j; i++)
            if (same_file(&files[i], &files[j])) {
                report_same_file(&files[i], &files[j]);
                return -1;
            }
    return 0;
}

/* No recorder may write over the script or into another's file (their
   records would mix): checked before any instance opens (and so
   truncates) its file. */
static int check_outputs(const struct spec *specs, size_t count,
                         const struct pikos_cli_args *args)
{
    struct named_file *files = calloc(count + 2, sizeof(*files));
    size_t n = 0;
    int status = -1;
    if (!files)
        pikos_cli_error("out of memory");
    else if (name_files(files, specs, count, args, &n) == 0)
        status = check_files(files, n);
    for (size_t i = 0; i < n; i++)
        free(files[i].absolute);
    free(files);
    return status;
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
        check_outputs(specs, args->nspecs, args) == 0 &&
        apply_focus(reg, specs, args->nspecs, args->focused_on, &focus) == 0)
        pipe = create_pipeline(reg, specs, args->nspecs, args->output, focus);
    free(focus);
    free_specs(specs, args->nspecs);
    return pipe;
}
