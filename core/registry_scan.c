/*
 * core/registry_scan.c - listing the plugins of the search path.
 *
 * Scanning reads manifests (manifest.c) and never opens a shared object, so
 * that listing plugins is cheap and safe whatever their libraries do.  The
 * first manifest of a kind/name wins; the later ones are noted on it as
 * shadowed, so that `pikos plugins` can tell which file is used.  A
 * manifest that does not read is listed, BROKEN, under its path.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

/* Manifests are looked for in a directory and its subdirectories down to
   this depth (plugins/recorders/csv/csv.plugin is at depth 2). */
#define SCAN_MAX_DEPTH 3
#define MANIFEST_SUFFIX ".plugin"

/* ------------------------------------------------------------ manifests */

/* What a broken manifest says its name and kind are cannot be trusted: it
   is listed under its path, and so never shadows a plugin, nor is
   shadowed.  Its name and kind stay, for finds to tell it is broken. */
static int name_by_path(struct pikos_registry_entry *entry)
{
    char *path = strdup(entry->info.manifest_path);

    if (path == NULL)
        return PIKOS_ENOMEM;
    free(entry->info.full_name);
    entry->info.full_name = path;
    entry->bad_manifest = 1;
    return PIKOS_OK;
}

static int already_noted(const struct pikos_plugin_info *info,
                         const char *path)
{
    if (strcmp(info->manifest_path, path) == 0)
        return 1; /* its own manifest, met again by a second scan */
    for (size_t i = 0; i < info->nshadowed; i++)
        if (strcmp(info->shadowed[i], path) == 0)
            return 1;
    return 0;
}

/* `first` wins over the manifest at `path`, of the same kind/name. */
static int note_shadowed(struct pikos_registry_entry *first, const char *path)
{
    struct pikos_plugin_info *info = &first->info;
    char **list;

    if (already_noted(info, path))
        return PIKOS_OK;
    list = realloc(info->shadowed, (info->nshadowed + 1) * sizeof(*list));
    if (list == NULL)
        return PIKOS_ENOMEM;
    info->shadowed = list;
    list[info->nshadowed] = strdup(path);
    if (list[info->nshadowed] == NULL)
        return PIKOS_ENOMEM;
    info->nshadowed++;
    if (pikos_debug_enabled())
        fprintf(stderr, "pikos: debug: %s is shadowed: %s is %s\n", path,
                info->full_name, info->manifest_path);
    return PIKOS_OK;
}

static int add_manifest(struct pikos_registry *reg, const char *path)
{
    struct pikos_registry_entry *entry = calloc(1, sizeof(*entry)), *first;
    int rc;

    if (entry == NULL)
        return PIKOS_ENOMEM;
    entry->broken_code = pikos_manifest_read(path, &entry->info);
    if (entry->info.full_name == NULL || /* only when memory ran out */
        (entry->broken_code != PIKOS_OK && name_by_path(entry) != PIKOS_OK)) {
        pikos_registry_entry_free(entry);
        return PIKOS_ENOMEM;
    }
    first = pikos_registry_entry_find(reg, entry->info.full_name);
    if (first != NULL) {
        rc = note_shadowed(first, path);
        pikos_registry_entry_free(entry);
        return rc;
    }
    rc = pikos_registry_entry_append(reg, entry);
    if (rc != PIKOS_OK)
        pikos_registry_entry_free(entry);
    return rc;
}

/* ------------------------------------------------------------ directories */

/* Hidden entries (".", "..", libtool's ".libs") are never searched. */
static int is_visible(const struct dirent *entry)
{
    return entry->d_name[0] != '.';
}

/* Byte order, whatever the locale, so every machine scans alike. */
static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int has_manifest_suffix(const char *name)
{
    size_t len = strlen(name), suffix = strlen(MANIFEST_SUFFIX);
    return len > suffix && strcmp(name + len - suffix, MANIFEST_SUFFIX) == 0;
}

static int scan_directory(struct pikos_registry *reg, const char *dir,
                          int depth);

static int scan_child(struct pikos_registry *reg, const char *dir,
                      const char *name, int depth)
{
    size_t size = strlen(dir) + 1 + strlen(name) + 1;
    char *path = malloc(size);
    struct stat st;
    int rc = PIKOS_OK;

    if (path == NULL)
        return PIKOS_ENOMEM;
    snprintf(path, size, "%s/%s", dir, name);
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode) && depth < SCAN_MAX_DEPTH)
            rc = scan_directory(reg, path, depth + 1);
        else if (S_ISREG(st.st_mode) && has_manifest_suffix(name))
            rc = add_manifest(reg, path);
    }
    free(path);
    return rc;
}

/* A directory that does not exist or cannot be read is skipped. */
static int scan_directory(struct pikos_registry *reg, const char *dir,
                          int depth)
{
    struct dirent **names;
    int count = scandir(dir, &names, is_visible, by_name);
    int rc = PIKOS_OK;

    for (int i = 0; i < count; i++) {
        if (rc == PIKOS_OK)
            rc = scan_child(reg, dir, names[i]->d_name, depth);
        free(names[i]);
    }
    if (count >= 0)
        free(names);
    return rc;
}

PIKOS_EXPORT int pikos_registry_scan(struct pikos_registry *reg,
                                     struct pikos_error *err)
{
    for (size_t i = 0; i < reg->npaths; i++) {
        if (scan_directory(reg, reg->paths[i], 0) != PIKOS_OK)
            return pikos_error_set(err, PIKOS_ENOMEM,
                                   "out of memory while reading the plugin "
                                   "manifests in %s",
                                   reg->paths[i]);
    }
    return PIKOS_OK;
}
