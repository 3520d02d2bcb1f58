/*
 * cli/registry.c - the plugin registry as the commands see it: opened
 * with the --plugin-path directories first, listed sorted and loaded, and
 * the words used to show kinds, option types and states.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* A --plugin-path that names no directory is a typo worth reporting (the
   directories of PIKOS_PLUGIN_PATH may be missing, like those of PATH). */
static int check_plugin_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) < 0) {
        pikos_cli_error("--plugin-path '%s': %s", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        pikos_cli_error("--plugin-path '%s': not a directory", dir);
        return -1;
    }
    return 0;
}

struct pikos_registry *pikos_cli_open_registry(const char *const *paths,
                                               size_t npaths)
{
    struct pikos_error err = {0};
    struct pikos_registry *reg = pikos_registry_new();
    if (!reg) {
        pikos_cli_error("out of memory");
        return NULL;
    }
    for (size_t i = 0; i < npaths; i++) {
        if (check_plugin_dir(paths[i]) < 0)
            goto fail;
        if (pikos_registry_add_path(reg, paths[i]) < 0) {
            pikos_cli_error("cannot add '%s' to the plugin search path",
                            paths[i]);
            goto fail;
        }
    }
    if (pikos_registry_add_default_paths(reg) < 0) {
        pikos_cli_error("cannot read the plugin search path "
                        "(PIKOS_PLUGIN_PATH)");
        goto fail;
    }
    if (pikos_registry_scan(reg, &err) < 0) {
        pikos_cli_error("%s", err.message);
        goto fail;
    }
    return reg;
fail:
    pikos_registry_free(reg);
    return NULL;
}

void pikos_cli_check_plugin(struct pikos_registry *reg,
                            struct pikos_plugin_info *info)
{
    struct pikos_error err = {0};
    /* A failure marks the plugin BROKEN with its reason: nothing to add.
       The library is tried in a child process first (core/registry_load.c):
       one that crashes as it loads is marked, and this process goes on. */
    if (info->state == PIKOS_PLUGIN_UNCHECKED)
        pikos_registry_load(reg, info, &err);
}

static int by_full_name(const void *a, const void *b)
{
    const struct pikos_plugin_info *x =
        *(const struct pikos_plugin_info *const *)a;
    const struct pikos_plugin_info *y =
        *(const struct pikos_plugin_info *const *)b;
    return strcmp(x->full_name ? x->full_name : "",
                  y->full_name ? y->full_name : "");
}

struct pikos_plugin_info **pikos_cli_sorted_plugins(struct pikos_registry *reg,
                                                    size_t *count)
{
    *count = pikos_registry_count(reg);
    struct pikos_plugin_info **plugins =
        malloc((*count ? *count : 1) * sizeof(*plugins));
    if (!plugins) {
        pikos_cli_error("out of memory");
        return NULL;
    }
    for (size_t i = 0; i < *count; i++) {
        plugins[i] = pikos_registry_at(reg, i);
        pikos_cli_check_plugin(reg, plugins[i]);
    }
    qsort(plugins, *count, sizeof(*plugins), by_full_name);
    return plugins;
}
