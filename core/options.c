/*
 * core/options.c - validating option settings and storing them in a context.
 *
 * A plugin never parses text: the host checks every setting against the
 * manifest's options, then stores each option (given or default) in the
 * plugin's context at the offset its descriptor names.  The parsers here
 * are the only ones, so a manifest default and a command-line value are
 * read by the same rules.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* ------------------------------------------------------------ parsers */

/* strtoll/strtod skip leading blanks; option values may not have any. */
static int starts_like_number(const char *text)
{
    return *text != '\0' && !isspace((unsigned char)*text);
}

static int parse_int(const char *text, int64_t *out)
{
    char *end;
    long long value;

    if (!starts_like_number(text))
        return PIKOS_EINVAL;
    errno = 0;
    value = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return PIKOS_EINVAL;
    if (out != NULL)
        *out = value;
    return PIKOS_OK;
}

static int parse_float(const char *text, double *out)
{
    char *end;
    double value;

    if (!starts_like_number(text))
        return PIKOS_EINVAL;
    errno = 0;
    value = strtod(text, &end);
    if (errno != 0 || *end != '\0' || !isfinite(value))
        return PIKOS_EINVAL;
    if (out != NULL)
        *out = value;
    return PIKOS_OK;
}

static int parse_bool(const char *text, int *out)
{
    static const struct {
        const char *word;
        int value;
    } words[] = {{"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0},
                 {"on", 1},   {"off", 0},   {"1", 1},   {"0", 0}};

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcasecmp(text, words[i].word) == 0) {
            if (out != NULL)
                *out = words[i].value;
            return PIKOS_OK;
        }
    }
    return PIKOS_EINVAL;
}

static int parse_string(const char *text, char **out)
{
    if (out == NULL)
        return PIKOS_OK;
    *out = strdup(text);
    return *out != NULL ? PIKOS_OK : PIKOS_ENOMEM;
}

/*
 * Items are separated by ';' and kept as written; "" is the empty list.
 * The item pointers and the text they point into share one allocation, so
 * releasing a list is a single free(items).
 */
static int parse_list(const char *text, struct pikos_strlist *out)
{
    size_t count = 0, size = strlen(text) + 1;
    char **items, *copy;

    if (out == NULL)
        return PIKOS_OK;
    if (*text == '\0') {
        out->count = 0;
        out->items = NULL;
        return PIKOS_OK;
    }
    for (const char *p = text; p != NULL; p = strchr(p + 1, ';'))
        count++;
    items = malloc(count * sizeof(*items) + size);
    if (items == NULL)
        return PIKOS_ENOMEM;
    copy = memcpy((char *)(items + count), text, size);
    for (size_t i = 0; i < count; i++) {
        items[i] = copy;
        copy += strcspn(copy, ";");
        *copy++ = '\0';
    }
    out->count = count;
    out->items = items;
    return PIKOS_OK;
}

int pikos_option_parse(uint32_t type, const char *text, void *out)
{
    switch (type) {
    case PIKOS_OPT_INT:
        return parse_int(text, out);
    case PIKOS_OPT_FLOAT:
        return parse_float(text, out);
    case PIKOS_OPT_BOOL:
        return parse_bool(text, out);
    case PIKOS_OPT_STRING:
        return parse_string(text, out);
    case PIKOS_OPT_LIST:
        return parse_list(text, out);
    default:
        return PIKOS_EINVAL;
    }
}

size_t pikos_option_storage_size(uint32_t type)
{
    switch (type) {
    case PIKOS_OPT_INT:
        return sizeof(int64_t);
    case PIKOS_OPT_FLOAT:
        return sizeof(double);
    case PIKOS_OPT_BOOL:
        return sizeof(int);
    case PIKOS_OPT_STRING:
        return sizeof(char *);
    case PIKOS_OPT_LIST:
        return sizeof(struct pikos_strlist);
    default:
        return 0;
    }
}

/* What a value of `type` looks like, for "expects ..." messages. */
static const char *type_phrase(uint32_t type)
{
    switch (type) {
    case PIKOS_OPT_INT:
        return "an int";
    case PIKOS_OPT_FLOAT:
        return "a float";
    case PIKOS_OPT_BOOL:
        return "a bool (true/false, yes/no, on/off, 1/0)";
    case PIKOS_OPT_STRING:
        return "a string";
    default:
        return "a list (items separated by ';')";
    }
}

/* ------------------------------------------------------------ validation */

static const struct pikos_manifest_option *
manifest_option(const struct pikos_plugin_info *info, const char *name)
{
    for (size_t i = 0; i < info->noptions; i++)
        if (strcmp(info->options[i].name, name) == 0)
            return &info->options[i];
    return NULL;
}

static const struct pikos_option *
descriptor_option(const struct pikos_plugin *plugin, const char *name)
{
    for (const struct pikos_option *o = plugin->options; o && o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

/* ------------------------------------------------------------ host options */

#define HOST_FOCUS_HELP_WHILE_RUNNING                                          \
    "record only while one of these functions runs on the thread (f, "         \
    "Class.method, module:f; items separated by semicolons)"
#define HOST_FOCUS_HELP_OWN_FRAMES                                             \
    "record only the lines of these functions' own frames (f, "                \
    "Class.method, module:f; items separated by semicolons)"
#define HOST_THREADS_HELP                                                      \
    "all (every thread) or current (the thread that starts monitoring)"

/* clang-format off */
static const struct pikos_option host_options_running[] = {
    {PIKOS_MONITOR_OPTION_FUNCTIONS, PIKOS_OPT_LIST, 0, "",
     HOST_FOCUS_HELP_WHILE_RUNNING,
     offsetof(struct pikos_host_option_values, functions)},
    {PIKOS_MONITOR_OPTION_THREADS, PIKOS_OPT_STRING, 0, "all",
     HOST_THREADS_HELP, offsetof(struct pikos_host_option_values, threads)},
    {0},
};
static const struct pikos_option host_options_frames[] = {
    {PIKOS_MONITOR_OPTION_FUNCTIONS, PIKOS_OPT_LIST, 0, "",
     HOST_FOCUS_HELP_OWN_FRAMES,
     offsetof(struct pikos_host_option_values, functions)},
    {PIKOS_MONITOR_OPTION_THREADS, PIKOS_OPT_STRING, 0, "all",
     HOST_THREADS_HELP, offsetof(struct pikos_host_option_values, threads)},
    {0},
};
/* clang-format on */

PIKOS_EXPORT const struct pikos_option *
pikos_monitor_host_options(uint32_t event_mask)
{
    return (event_mask & PIKOS_EVENT_BIT(PIKOS_EVENT_LINE)) != 0
               ? host_options_frames
               : host_options_running;
}

/* The host options of a monitor that takes them (NULL for any other). */
static const struct pikos_option *host_options(const struct pikos_plugin *d)
{
    if (d == NULL || d->kind != PIKOS_KIND_MONITOR ||
        (d->monitor_flags & PIKOS_MONITOR_HOST_OPTIONS) == 0)
        return NULL;
    return pikos_monitor_host_options(d->event_mask);
}

const struct pikos_option *pikos_host_option(const struct pikos_plugin *d,
                                             const char *name)
{
    for (const struct pikos_option *o = host_options(d); o && o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

static int unknown_option(const struct pikos_plugin_info *info, const char *key,
                          struct pikos_error *err)
{
    char names[512] = "";
    size_t used = 0;

    if (info->noptions == 0)
        return pikos_error_set(err, PIKOS_EINVAL,
                               "[%s] unknown option '%s' (this plugin takes "
                               "no options)",
                               info->full_name, key);
    for (size_t i = 0; i < info->noptions && used < sizeof(names); i++)
        used += snprintf(names + used, sizeof(names) - used, "%s%s",
                         i > 0 ? ", " : "", info->options[i].name);
    return pikos_error_set(err, PIKOS_EINVAL,
                           "[%s] unknown option '%s' (options: %s)",
                           info->full_name, key, names);
}

static int check_setting(const struct pikos_plugin_info *info,
                         const struct pikos_option_setting *settings,
                         size_t index, struct pikos_error *err)
{
    const struct pikos_option_setting *s = &settings[index];
    const struct pikos_manifest_option *opt;

    if (s->key == NULL || s->value == NULL)
        return pikos_error_set(err, PIKOS_EINVAL,
                               "[%s] option setting %zu has no key or value",
                               info->full_name, index + 1);
    opt = manifest_option(info, s->key);
    if (opt == NULL)
        return unknown_option(info, s->key, err);
    for (size_t j = 0; j < index; j++)
        if (strcmp(settings[j].key, s->key) == 0)
            return pikos_error_set(err, PIKOS_EINVAL,
                                   "[%s] option '%s' is given twice",
                                   info->full_name, s->key);
    if (pikos_option_parse(opt->type, s->value, NULL) != PIKOS_OK)
        return pikos_error_set(
            err, PIKOS_EINVAL, "[%s] option '%s' expects %s, got '%s'",
            info->full_name, s->key, type_phrase(opt->type), s->value);
    return PIKOS_OK;
}

static const char *given_value(const struct pikos_option_setting *settings,
                               size_t nsettings, const char *name)
{
    for (size_t i = 0; i < nsettings; i++)
        if (strcmp(settings[i].key, name) == 0)
            return settings[i].value;
    return NULL;
}

static int check_settings(const struct pikos_plugin_info *info,
                          const struct pikos_option_setting *settings,
                          size_t nsettings, struct pikos_error *err)
{
    for (size_t i = 0; i < nsettings; i++) {
        int rc = check_setting(info, settings, i, err);
        if (rc != PIKOS_OK)
            return rc;
    }
    for (size_t i = 0; i < info->noptions; i++) {
        const struct pikos_manifest_option *opt = &info->options[i];
        if ((opt->flags & PIKOS_OPTION_REQUIRED) &&
            given_value(settings, nsettings, opt->name) == NULL)
            return pikos_error_set(err, PIKOS_EINVAL,
                                   "[%s] option '%s' is required: give it "
                                   "%s",
                                   info->full_name, opt->name,
                                   type_phrase(opt->type));
    }
    return PIKOS_OK;
}

/* ------------------------------------------------------------ storage */

/* Settings are valid (check_settings), so only memory can run out. */
static int store_options(const struct pikos_plugin_info *info,
                         const struct pikos_option_setting *settings,
                         size_t nsettings, void *ctx,
                         struct pikos_host_option_values *host)
{
    for (size_t i = 0; i < info->noptions; i++) {
        const struct pikos_manifest_option *opt = &info->options[i];
        const struct pikos_option *slot;
        char *base;
        const char *text = given_value(settings, nsettings, opt->name);

        if (text == NULL)
            text = opt->default_value;
        if (text == NULL)
            continue; /* no value and no default: the slot stays zero */
        if ((slot = descriptor_option(info->descriptor, opt->name)) != NULL)
            base = ctx;
        else if ((slot = pikos_host_option(info->descriptor, opt->name)))
            base = (char *)host;
        else
            continue; /* not reached: the registry checked the tables */
        if (pikos_option_parse(opt->type, text, base + slot->offset) !=
            PIKOS_OK)
            return PIKOS_ENOMEM;
    }
    return PIKOS_OK;
}

/*
 * The registry checked at load time that the descriptor's option table
 * equals the manifest's and fits in ctx_size, so every manifest option has
 * a slot.  `ctx` is zeroed (the instance callocs it), which lets a failed
 * store be undone by pikos_options_release.
 */
int pikos_options_apply(const struct pikos_plugin_info *info,
                        const struct pikos_option_setting *settings,
                        size_t nsettings, void *ctx,
                        struct pikos_host_option_values *host,
                        struct pikos_error *err)
{
    int rc;

    if (info->descriptor == NULL)
        return pikos_error_set(err, PIKOS_ESTATE,
                               "[%s] options applied before the plugin was "
                               "loaded",
                               info->full_name);
    rc = check_settings(info, settings, nsettings, err);
    if (rc != PIKOS_OK)
        return rc;
    if (store_options(info, settings, nsettings, ctx, host) != PIKOS_OK) {
        pikos_options_release(info->descriptor, ctx, host);
        return pikos_error_set(err, PIKOS_ENOMEM,
                               "[%s] out of memory while storing options",
                               info->full_name);
    }
    return PIKOS_OK;
}

static void release_table(const struct pikos_option *table, char *base)
{
    for (const struct pikos_option *o = table; o && o->name; o++) {
        void *slot = base + o->offset;

        if (o->type == PIKOS_OPT_STRING) {
            char **text = slot;
            free(*text);
            *text = NULL;
        } else if (o->type == PIKOS_OPT_LIST) {
            struct pikos_strlist *list = slot;
            free(list->items);
            list->items = NULL;
            list->count = 0;
        }
    }
}

void pikos_options_release(const struct pikos_plugin *plugin, void *ctx,
                           struct pikos_host_option_values *host)
{
    if (plugin == NULL)
        return;
    if (ctx != NULL)
        release_table(plugin->options, ctx);
    if (host != NULL)
        release_table(host_options(plugin), (char *)host);
}
