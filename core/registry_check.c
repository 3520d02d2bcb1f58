/*
 * core/registry_check.c - a plugin's descriptor against its manifest.
 *
 * The manifest is what the registry lists and what option settings are
 * checked against; the descriptor is what the host calls.  Before any of a
 * library's code is called, the two must agree: the ABI, the kind and name,
 * the option tables (both ways, with their storage inside the context) and
 * the callbacks the kind needs.  A disagreement is a reason "LIBRARY: what:
 * fix" that marks the plugin BROKEN.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* What an ABI 1.0 descriptor holds: everything up to `finalize`. */
#define DESCRIPTOR_MIN_SIZE                                                    \
    (offsetof(struct pikos_plugin, finalize) + sizeof(void *))

static const char *kind_singular(uint32_t kind)
{
    const char *name = pikos_kind_name(kind);
    return strcmp(name, "?") != 0 ? name : "plugin of unknown kind";
}

/* How the manifest names its kind: an external monitor says "external". */
static const char *manifest_kind(const struct pikos_plugin_info *info)
{
    if (strncmp(info->full_name, "external/", 9) == 0)
        return "external monitor";
    return kind_singular(info->kind);
}

static int check_abi(const struct pikos_plugin_info *info,
                     const struct pikos_plugin *d, const char *lib,
                     struct pikos_error *why)
{
    if (d->abi_major != PIKOS_ABI_MAJOR || d->abi_minor > PIKOS_ABI_MINOR)
        return pikos_error_set(why, PIKOS_EABI,
                               "%s: built for plugin ABI %u.%u, this pikos "
                               "speaks %d.%d: rebuild the plugin against this "
                               "pikos",
                               lib, d->abi_major, d->abi_minor, PIKOS_ABI_MAJOR,
                               PIKOS_ABI_MINOR);
    if (!PIKOS_PLUGIN_HAS(d, finalize))
        return pikos_error_set(why, PIKOS_EABI,
                               "%s: its descriptor has %u bytes, plugin ABI "
                               "%d.0 needs %zu: rebuild the plugin against "
                               "this pikos",
                               lib, d->struct_size, PIKOS_ABI_MAJOR,
                               (size_t)DESCRIPTOR_MIN_SIZE);
    if ((uint32_t)info->abi != d->abi_major)
        return pikos_error_set(why, PIKOS_EABI,
                               "%s: built for plugin ABI %u but %s says abi = "
                               "%d: make them agree",
                               lib, d->abi_major, info->manifest_path,
                               info->abi);
    return PIKOS_OK;
}

static int check_identity(const struct pikos_plugin_info *info,
                          const struct pikos_plugin *d, const char *lib,
                          struct pikos_error *why)
{
    if (d->kind != info->kind || d->name == NULL ||
        strcmp(d->name, info->name) != 0)
        return pikos_error_set(why, PIKOS_EABI,
                               "%s: the library is %s '%s' but %s says %s "
                               "'%s': make them agree",
                               lib, kind_singular(d->kind),
                               d->name != NULL ? d->name : "(no name)",
                               info->manifest_path, manifest_kind(info),
                               info->name);
    return PIKOS_OK;
}

static int option_mismatch(const struct pikos_plugin_info *info,
                           const char *lib, struct pikos_error *why,
                           const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int option_mismatch(const struct pikos_plugin_info *info,
                           const char *lib, struct pikos_error *why,
                           const char *fmt, ...)
{
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return pikos_error_set(why, PIKOS_EABI,
                           "%s: %s: make %s and the plugin's option table "
                           "agree",
                           lib, what, info->manifest_path);
}

static const struct pikos_option *
descriptor_option(const struct pikos_plugin *d, const char *name)
{
    for (const struct pikos_option *o = d->options; o && o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

static int same_text(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* "'text'", or "none" for a missing default. */
static const char *quoted(const char *text, char *buf, size_t size)
{
    if (text == NULL)
        return "none";
    snprintf(buf, size, "'%s'", text);
    return buf;
}

static int compare_option(const struct pikos_plugin_info *info,
                          const struct pikos_manifest_option *m,
                          const struct pikos_option *o, const char *lib,
                          struct pikos_error *why)
{
    char mine[160], theirs[160];
    int required = (o != NULL && (o->flags & PIKOS_OPTION_REQUIRED)) != 0;

    if (o == NULL)
        return option_mismatch(info, lib, why,
                               "option '%s' is in the manifest but not in "
                               "the plugin",
                               m->name);
    if (o->type != m->type)
        return option_mismatch(info, lib, why,
                               "option '%s' is %s in the manifest but %s in "
                               "the plugin",
                               m->name, pikos_option_type_name(m->type),
                               pikos_option_type_name(o->type));
    if (required != ((m->flags & PIKOS_OPTION_REQUIRED) != 0))
        return option_mismatch(info, lib, why,
                               "option '%s' is %s in the manifest but not in "
                               "the plugin",
                               m->name, required ? "optional" : "required");
    if (!same_text(m->default_value, o->default_value))
        return option_mismatch(
            info, lib, why,
            "option '%s' has default %s in the manifest "
            "but %s in the plugin",
            m->name, quoted(m->default_value, mine, sizeof(mine)),
            quoted(o->default_value, theirs, sizeof(theirs)));
    return PIKOS_OK;
}

static int manifest_has_option(const struct pikos_plugin_info *info,
                               const char *name)
{
    for (size_t i = 0; i < info->noptions; i++)
        if (strcmp(info->options[i].name, name) == 0)
            return 1;
    return 0;
}

/* One option of the plugin's table: in the manifest too, once in the
   table, and stored inside the plugin's context. */
static int check_plugin_option(const struct pikos_plugin_info *info,
                               const struct pikos_plugin *d,
                               const struct pikos_option *o, const char *lib,
                               struct pikos_error *why)
{
    if (!manifest_has_option(info, o->name))
        return option_mismatch(info, lib, why,
                               "option '%s' is in the plugin but not in the "
                               "manifest",
                               o->name);
    if (descriptor_option(d, o->name) != o)
        return pikos_error_set(why, PIKOS_EABI,
                               "%s: option '%s' appears twice in the plugin's "
                               "option table: fix the plugin",
                               lib, o->name);
    if (pikos_host_option(d, o->name) != NULL)
        return pikos_error_set(why, PIKOS_EABI,
                               "%s: option '%s' is the host's "
                               "(PIKOS_MONITOR_HOST_OPTIONS) but the plugin's "
                               "option table declares it too: fix the plugin",
                               lib, o->name);
    if (o->offset + pikos_option_storage_size(o->type) > d->ctx_size)
        return pikos_error_set(why, PIKOS_EABI,
                               "%s: option '%s' is stored at offset %zu, "
                               "outside the plugin's %zu-byte context: fix "
                               "the plugin's option table",
                               lib, o->name, o->offset, d->ctx_size);
    return PIKOS_OK;
}

/* The option tables must be equal both ways. */
static int check_options(const struct pikos_plugin_info *info,
                         const struct pikos_plugin *d, const char *lib,
                         struct pikos_error *why)
{
    int rc = PIKOS_OK;

    for (size_t i = 0; rc == PIKOS_OK && i < info->noptions; i++) {
        const struct pikos_manifest_option *m = &info->options[i];
        const struct pikos_option *o = descriptor_option(d, m->name);

        if (o == NULL)
            o = pikos_host_option(d, m->name);
        rc = compare_option(info, m, o, lib, why);
    }
    for (const struct pikos_option *o = d->options;
         rc == PIKOS_OK && o && o->name; o++)
        rc = check_plugin_option(info, d, o, lib, why);
    return rc;
}

static int check_callbacks(const struct pikos_plugin *d, const char *lib,
                           struct pikos_error *why)
{
    const char *missing = NULL;

    if (d->kind == PIKOS_KIND_MONITOR && !d->schema)
        missing = "a monitor needs a schema";
    else if (d->kind == PIKOS_KIND_FILTER && !d->filter &&
             !(PIKOS_PLUGIN_HAS(d, filter_schema) && d->filter_schema))
        missing = "a filter needs a filter or filter_schema callback";
    else if (d->kind == PIKOS_KIND_RECORDER && !d->record &&
             !(PIKOS_PLUGIN_HAS(d, record_schema) && d->record_schema))
        missing = "a recorder needs a record or record_schema callback";
    if (missing != NULL)
        return pikos_error_set(why, PIKOS_EABI, "%s: %s: fix the plugin", lib,
                               missing);
    return PIKOS_OK;
}

/* Checks in the order that makes each next read safe: no field beyond
   struct_size is read before struct_size is known to cover it. */
int pikos_registry_check_descriptor(const struct pikos_plugin_info *info,
                                    const struct pikos_plugin *d,
                                    const char *lib, struct pikos_error *why)
{
    int rc = check_abi(info, d, lib, why);

    if (rc == PIKOS_OK)
        rc = check_identity(info, d, lib, why);
    if (rc == PIKOS_OK)
        rc = check_options(info, d, lib, why);
    if (rc == PIKOS_OK)
        rc = check_callbacks(d, lib, why);
    return rc;
}
