/*
 * core/registry.c - the registry: its search path, its entries and the
 * plugins compiled into the embedder.
 *
 * The registry knows plugins by their manifests.  Its other files each do
 * one thing with the entries kept here:
 *
 *   registry_scan.c   lists the manifests of the search path (never opens a
 *                     library), noting which plugin shadows which
 *   registry_find.c   turns a name into an entry, or says "did you mean"
 *   registry_load.c   opens a plugin's library with libltdl, first in a
 *                     child process (registry_probe.c) so that a library
 *                     that crashes as it loads takes only the child down
 *   registry_check.c  checks the library's descriptor against the manifest
 *
 * Whatever goes wrong marks the plugin BROKEN with a reason "LIBRARY: what:
 * fix" (or "MANIFEST:LINE: what" for a manifest), which later finds and
 * loads report again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ltdl.h>

#include "internal.h"

#if !defined(PIKOS_PLUGIN_DIR) || !defined(PIKOS_PYTHON_PLUGIN_DIR)
#error "PIKOS_PLUGIN_DIR and PIKOS_PYTHON_PLUGIN_DIR (the installed plugin directories) must be defined"
#endif

/* ------------------------------------------------------------ lifetime */

/* libltdl counts lt_dlinit/lt_dlexit pairs itself: each registry holds one
   reference, and the last registry freed shuts libltdl down. */
PIKOS_EXPORT struct pikos_registry *pikos_registry_new(void)
{
    struct pikos_registry *reg = calloc(1, sizeof(*reg));

    if (reg == NULL)
        return NULL;
    if (lt_dlinit() != 0) {
        free(reg);
        return NULL;
    }
    return reg;
}

void pikos_registry_entry_free(struct pikos_registry_entry *entry)
{
    if (entry->handle != NULL)
        lt_dlclose(entry->handle);
    pikos_manifest_info_clear(&entry->info);
    free(entry);
}

/* Instances of the registry's plugins must be freed before it. */
PIKOS_EXPORT void pikos_registry_free(struct pikos_registry *reg)
{
    if (reg == NULL)
        return;
    for (size_t i = 0; i < reg->nentries; i++)
        pikos_registry_entry_free(reg->entries[i]);
    for (size_t i = 0; i < reg->npaths; i++)
        free(reg->paths[i]);
    free(reg->entries);
    free(reg->paths);
    free(reg);
    lt_dlexit();
}

/* ------------------------------------------------------------ search path */

static int add_path_n(struct pikos_registry *reg, const char *dir, size_t len)
{
    char **paths = realloc(reg->paths, (reg->npaths + 1) * sizeof(*paths));

    if (paths == NULL)
        return PIKOS_ENOMEM;
    reg->paths = paths;
    paths[reg->npaths] = strndup(dir, len);
    if (paths[reg->npaths] == NULL)
        return PIKOS_ENOMEM;
    reg->npaths++;
    return PIKOS_OK;
}

PIKOS_EXPORT int pikos_registry_add_path(struct pikos_registry *reg,
                                         const char *dir)
{
    if (dir == NULL || *dir == '\0')
        return PIKOS_EINVAL; /* "" would mean the current directory */
    return add_path_n(reg, dir, strlen(dir));
}

/* A colon-separated list; empty entries are skipped, not taken as ".". */
static int add_path_list(struct pikos_registry *reg, const char *list)
{
    while (list != NULL && *list != '\0') {
        size_t len = strcspn(list, ":");
        if (len > 0) {
            int rc = add_path_n(reg, list, len);
            if (rc != PIKOS_OK)
                return rc;
        }
        list += len + (list[len] == ':');
    }
    return PIKOS_OK;
}

PIKOS_EXPORT int pikos_registry_add_default_paths(struct pikos_registry *reg)
{
    const char *no_default = getenv("PIKOS_NO_DEFAULT_PATH");
    int rc = add_path_list(reg, getenv("PIKOS_PLUGIN_PATH"));

    if (rc != PIKOS_OK || (no_default != NULL && *no_default != '\0'))
        return rc;
    /* The plugins built against this libpikos's Python (external
       monitors) have a directory of their own, beside the shared one. */
    rc = pikos_registry_add_path(reg, PIKOS_PLUGIN_DIR);
    return rc != PIKOS_OK ? rc : pikos_registry_add_path(reg,
                                                         PIKOS_PYTHON_PLUGIN_DIR);
}

/* ------------------------------------------------------------ entries */

struct pikos_registry_entry *
pikos_registry_entry_find(const struct pikos_registry *reg,
                          const char *full_name)
{
    for (size_t i = 0; i < reg->nentries; i++)
        if (strcmp(reg->entries[i]->info.full_name, full_name) == 0)
            return reg->entries[i];
    return NULL;
}

int pikos_registry_entry_append(struct pikos_registry *reg,
                                struct pikos_registry_entry *entry)
{
    struct pikos_registry_entry **entries =
        realloc(reg->entries, (reg->nentries + 1) * sizeof(*entries));

    if (entries == NULL)
        return PIKOS_ENOMEM;
    reg->entries = entries;
    entries[reg->nentries++] = entry;
    return PIKOS_OK;
}

PIKOS_EXPORT size_t pikos_registry_count(const struct pikos_registry *reg)
{
    return reg->nentries;
}

PIKOS_EXPORT struct pikos_plugin_info *
pikos_registry_at(struct pikos_registry *reg, size_t index)
{
    return index < reg->nentries ? &reg->entries[index]->info : NULL;
}

int pikos_registry_broken_error(const struct pikos_registry_entry *entry,
                                const char *shown, struct pikos_error *err)
{
    const char *reason =
        entry->info.reason != NULL ? entry->info.reason : "out of memory";

    if (shown == NULL)
        shown = entry->info.full_name;
    if (entry->info.state == PIKOS_PLUGIN_UNAVAILABLE)
        return pikos_error_set(err, entry->broken_code, "[%s] %s", shown,
                               reason);
    return pikos_error_set(err, entry->broken_code, "plugin '%s' is broken: %s",
                           shown, reason);
}

/* ------------------------------------------------------------ built-ins */

/* The manifest an in-process plugin would have, made from its descriptor. */
static int builtin_options(struct pikos_plugin_info *info,
                           const struct pikos_plugin *plugin)
{
    const struct pikos_option *opt = plugin->options;
    size_t count = 0;

    while (opt != NULL && opt[count].name != NULL)
        count++;
    info->options = calloc(count + 1, sizeof(*info->options));
    if (info->options == NULL)
        return PIKOS_ENOMEM;
    for (size_t i = 0; i < count; i++, info->noptions++) {
        struct pikos_manifest_option *m = &info->options[i];
        m->name = strdup(opt[i].name);
        m->type = opt[i].type;
        m->flags = opt[i].flags;
        m->default_value =
            opt[i].default_value ? strdup(opt[i].default_value) : NULL;
        m->help = strdup(opt[i].description ? opt[i].description : "");
        if (m->name == NULL || m->help == NULL ||
            (opt[i].default_value != NULL && m->default_value == NULL))
            return PIKOS_ENOMEM;
    }
    return PIKOS_OK;
}

static int builtin_info(struct pikos_plugin_info *info,
                        const struct pikos_plugin *plugin)
{
    const char *plural = pikos_kind_plural(plugin->kind);
    size_t len = strlen(plural) + 1 + strlen(plugin->name) + 1;

    info->full_name = malloc(len);
    if (info->full_name != NULL)
        snprintf(info->full_name, len, "%s/%s", plural, plugin->name);
    info->name = strdup(plugin->name);
    info->summary = strdup(plugin->description ? plugin->description : "");
    info->manifest_path = strdup("(built in)");
    info->kind = plugin->kind;
    info->abi = (int)plugin->abi_major;
    info->state = PIKOS_PLUGIN_OK;
    info->descriptor = plugin;
    if (info->full_name == NULL || info->name == NULL ||
        info->summary == NULL || info->manifest_path == NULL)
        return PIKOS_ENOMEM;
    return builtin_options(info, plugin);
}

PIKOS_EXPORT int pikos_registry_add_builtin(struct pikos_registry *reg,
                                            const struct pikos_plugin *plugin,
                                            struct pikos_error *err)
{
    struct pikos_registry_entry *entry;
    int rc;

    if (plugin == NULL || plugin->name == NULL ||
        pikos_kind_plural(plugin->kind) == NULL ||
        plugin->abi_major != PIKOS_ABI_MAJOR ||
        plugin->abi_minor > PIKOS_ABI_MINOR)
        return pikos_error_set(err, PIKOS_EABI,
                               "built-in plugin: bad descriptor (kind, name "
                               "or ABI version)");
    entry = calloc(1, sizeof(*entry));
    if (entry == NULL)
        return pikos_error_set(err, PIKOS_ENOMEM, "out of memory");
    if (builtin_info(&entry->info, plugin) != PIKOS_OK)
        rc = pikos_error_set(err, PIKOS_ENOMEM, "out of memory");
    else if (pikos_registry_entry_find(reg, entry->info.full_name) != NULL)
        rc = pikos_error_set(err, PIKOS_EINVAL,
                             "built-in plugin %s: the name is taken",
                             entry->info.full_name);
    else if (pikos_registry_entry_append(reg, entry) != PIKOS_OK)
        rc = pikos_error_set(err, PIKOS_ENOMEM, "out of memory");
    else
        return PIKOS_OK;
    pikos_registry_entry_free(entry);
    return rc;
}
