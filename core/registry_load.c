/*
 * core/registry_load.c - opening a plugin's library.
 *
 * A plugin's library is opened with libltdl on first use (scanning and
 * finding never open one), and its descriptor is checked against the
 * manifest (registry_check.c) before any of its code is called; but the
 * dynamic loader runs the library's constructors as it opens it, and a
 * constructor may crash.
 *
 * So every library is opened and checked first in a child process
 * (registry_probe.c), and only then in this one.  Listing (`pikos plugins`,
 * `pikos help`, which load every plugin to show its status) and a run
 * (pikos_instance_new) load alike, through pikos_registry_load: a run too
 * then says "plugin X is broken: ... crashed while loading (SIGSEGV)"
 * instead of dying of X.  The cost is one fork per plugin, once per
 * registry.  The probe never calls a plugin's init, nor asks Python
 * anything: whether an external monitor's Python module is there is asked
 * here, in this process, after the probe.  When no child can be made
 * (fork failing for want of memory or processes), the library is opened
 * here directly, as it was before probing.
 *
 * The pikos command's runs load directly (pikos_registry_load_directly):
 * a fork of the user's interpreter per plugin would cost every run, and
 * the command itself names a library that crashes there ("killed by
 * SIGSEGV in [kind/name] load"), from the plugin noted around the load.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ltdl.h>

#include "internal.h"

/* The file name extension of modules, which libltdl adds itself. */
#define MODULE_EXT ".so"

/* ------------------------------------------------------------ opening */

/* lt_dladvise_ext lets libltdl find a build tree's .la as well as an
   installed .so; _local keeps the plugin's symbols to itself. */
static lt_dlhandle open_module(const char *lib)
{
    lt_dladvise advise;
    lt_dlhandle handle = NULL;

    if (lt_dladvise_init(&advise) == 0 && lt_dladvise_local(&advise) == 0 &&
        lt_dladvise_ext(&advise) == 0)
        handle = lt_dlopenadvise(lib, advise);
    lt_dladvise_destroy(&advise);
    return handle;
}

/* The reason the dynamic loader gives for not opening `path`, into buf;
   NULL when it opens it after all. */
static const char *dlopen_reason(const char *path, char *buf, size_t size)
{
    void *handle = dlopen(path, RTLD_LAZY | RTLD_LOCAL); /* as libltdl */
    const char *reason;

    if (handle != NULL) {
        dlclose(handle);
        return NULL;
    }
    reason = dlerror();
    snprintf(buf, size, "%s", reason != NULL ? reason : "unknown error");
    return buf;
}

/*
 * libltdl reports every library it could not open as "file not found": the
 * last of its loaders to fail, the one of preloaded symbols, overwrites
 * the dynamic loader's reason.  When a file libltdl would have opened is
 * there (DIR/NAME.so, or DIR/.libs/NAME.so behind a build tree's .la), the
 * dynamic loader is asked again, for its reason: "invalid ELF header",
 * "libfoo.so.1: cannot open shared object file", ...
 */
static const char *loader_reason(const char *lib, char *buf, size_t size)
{
    const char *slash = strrchr(lib, '/');
    int dir = slash != NULL ? (int)(slash + 1 - lib) : 0;
    const char *cause = lt_dlerror();
    char path[4200];

    snprintf(path, sizeof(path), "%s" MODULE_EXT, lib);
    if (access(path, F_OK) != 0)
        snprintf(path, sizeof(path), "%.*s.libs/%s" MODULE_EXT, dir, lib,
                 lib + dir);
    if (access(path, F_OK) == 0 && dlopen_reason(path, buf, size) != NULL)
        return buf;
    return cause != NULL ? cause : "unknown error";
}

static int open_library(struct pikos_registry_entry *entry, const char *lib,
                        struct pikos_error *why)
{
    struct pikos_plugin_info *info = &entry->info;
    lt_dlhandle handle = open_module(lib);
    char reason[1024];
    void *symbol;

    if (handle == NULL)
        return pikos_error_set(why, PIKOS_ENOTFOUND,
                               "%s: cannot open it (%s): build or reinstall "
                               "the plugin, or fix 'library' in %s",
                               lib, loader_reason(lib, reason, sizeof(reason)),
                               info->manifest_path);
    symbol = lt_dlsym(handle, PIKOS_PLUGIN_ENTRY_SYMBOL);
    if (symbol == NULL) {
        lt_dlclose(handle);
        return pikos_error_set(why, PIKOS_ENOTFOUND,
                               "%s: no symbol " PIKOS_PLUGIN_ENTRY_SYMBOL
                               ": not a pikos plugin, or one built without "
                               "PIKOS_PLUGIN_DEFINE",
                               lib);
    }
    entry->handle = handle;
    info->descriptor = symbol;
    return PIKOS_OK;
}

/* Opens the library and checks its descriptor; on failure nothing stays
   open. */
static int open_checked(struct pikos_registry_entry *entry, const char *lib,
                        struct pikos_error *why)
{
    int rc = open_library(entry, lib, why);

    if (rc == PIKOS_OK)
        rc = pikos_registry_check_descriptor(&entry->info,
                                             entry->info.descriptor, lib, why);
    if (rc != PIKOS_OK && entry->handle != NULL) {
        lt_dlclose(entry->handle);
        entry->handle = NULL;
        entry->info.descriptor = NULL;
    }
    return rc;
}

/* ------------------------------------------------------------ probing */

struct probe_job {
    struct pikos_registry_entry *entry;
    const char *lib;
};

/* In the child: what it opens there stays there. */
static int probe_job_run(void *arg, struct pikos_error *why)
{
    struct probe_job *job = arg;

    return open_checked(job->entry, job->lib, why);
}

static int probe_library(struct pikos_registry_entry *entry, const char *lib,
                         struct pikos_error *why)
{
    struct probe_job job = {entry, lib};
    int rc = pikos_probe(probe_job_run, &job, lib, why);

    if (rc > 0) {
        if (pikos_debug_enabled())
            fprintf(stderr,
                    "pikos: debug: %s: no child process to try it in (%s): "
                    "opened here\n",
                    lib, strerror(errno));
        return PIKOS_OK;
    }
    return rc;
}

/* ------------------------------------------------------------ loading */

static int mark_broken(struct pikos_registry_entry *entry,
                       const struct pikos_error *why, struct pikos_error *err)
{
    if (entry->handle != NULL)
        lt_dlclose(entry->handle);
    entry->handle = NULL;
    entry->info.descriptor = NULL;
    entry->info.state = PIKOS_PLUGIN_BROKEN;
    entry->info.reason = strdup(why->message);
    entry->broken_code = why->code;
    return pikos_registry_broken_error(entry, NULL, err);
}

/* An external monitor whose Python package is missing: unavailable, with
   the package to install as the reason. */
static int mark_unavailable(struct pikos_registry_entry *entry,
                            struct pikos_error *err)
{
    struct pikos_plugin_info *info = &entry->info;
    struct pikos_error why;

    if (info->package != NULL)
        pikos_error_set(&why, PIKOS_ENOTFOUND,
                        "needs the Python package %s: apt-get install -y %s",
                        info->python_module, info->package);
    else
        pikos_error_set(&why, PIKOS_ENOTFOUND,
                        "needs the Python package %s: install it for this "
                        "Python",
                        info->python_module);
    mark_broken(entry, &why, NULL);
    info->state = PIKOS_PLUGIN_UNAVAILABLE;
    return pikos_registry_broken_error(entry, NULL, err);
}

/* Opened here, the plugin noted as the one running (for a crash report). */
static int open_noted(struct pikos_registry_entry *entry, const char *lib,
                      struct pikos_error *why)
{
    struct pikos_current_call outer = pikos_current_call;
    int rc;

    pikos_current_call.plugin = entry->info.full_name;
    pikos_current_call.callback = "load";
    rc = open_checked(entry, lib, why);
    pikos_current_call = outer;
    return rc;
}

/* Probed in a child first, then opened here (see the top of the file). */
static int load_library(const struct pikos_registry *reg,
                        struct pikos_registry_entry *entry,
                        struct pikos_error *why)
{
    const struct pikos_plugin_info *info = &entry->info;
    char lib[4096];
    int rc;

    if ((size_t)snprintf(lib, sizeof(lib), "%s/%s", info->directory,
                         info->library) >= sizeof(lib))
        return pikos_error_set(why, PIKOS_EINVAL, "%s/%s: path too long",
                               info->directory, info->library);
    rc = reg->load_directly ? PIKOS_OK : probe_library(entry, lib, why);
    return rc != PIKOS_OK ? rc : open_noted(entry, lib, why);
}

PIKOS_EXPORT void pikos_registry_load_directly(struct pikos_registry *reg,
                                               int directly)
{
    reg->load_directly = directly;
}

PIKOS_EXPORT int pikos_registry_load(struct pikos_registry *reg,
                                     struct pikos_plugin_info *info,
                                     struct pikos_error *err)
{
    struct pikos_registry_entry *entry = pikos_registry_entry_of(info);
    struct pikos_error why;

    if (info->state == PIKOS_PLUGIN_OK)
        return PIKOS_OK;
    if (info->state == PIKOS_PLUGIN_BROKEN ||
        info->state == PIKOS_PLUGIN_UNAVAILABLE)
        return pikos_registry_broken_error(entry, NULL, err);
    if (load_library(reg, entry, &why) != PIKOS_OK)
        return mark_broken(entry, &why, err);
    if (info->python_module != NULL &&
        !pikos_python_module_found(info->python_module))
        return mark_unavailable(entry, err);
    info->state = PIKOS_PLUGIN_OK;
    return PIKOS_OK;
}
