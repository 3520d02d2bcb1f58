/*
 * pikos/pikos.h - the embedder API of libpikos.
 *
 * Used by the `pikos` command, the `pikos` Python extension and any C
 * program that wants to profile the Python it embeds:
 *
 *     struct pikos_error err;
 *     struct pikos_registry *reg = pikos_registry_new();
 *     pikos_registry_add_default_paths(reg);
 *     pikos_registry_scan(reg, &err);
 *     struct pikos_pipeline *pipe = pikos_pipeline_new();
 *     pikos_pipeline_add(pipe, pikos_instance_new(reg, "monitors/functions",
 *                                                  NULL, 0, &err), &err);
 *     ... recorders, filters ...
 *     pikos_pipeline_start(pipe, &err);   // installs the hooks (GIL held)
 *     ... run Python code ...
 *     pikos_pipeline_stop(pipe, &err);    // removes them, flushes recorders
 *     pikos_pipeline_free(pipe);
 *     pikos_registry_free(reg);
 *
 * Functions that can fail return 0 or a negative PIKOS_E* code (or NULL)
 * and fill `*err` with one line naming what was wrong.
 */
#ifndef PIKOS_PIKOS_H
#define PIKOS_PIKOS_H

#include <stddef.h>
#include <stdint.h>

#include <pikos/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One line, ready for stderr (without "pikos: " or a newline). */
struct pikos_error {
    int code;
    char message[1024];
};

const char *pikos_version(void);
const char *pikos_kind_plural(uint32_t kind); /* "monitors", ... or NULL */

/* The names pikos shows (`pikos plugins`, its --json, the Python module's
   dicts), so that no front end keeps its own copy; "?" for a value pikos
   does not know.  New with plugin ABI 1.2. */
const char *pikos_kind_name(uint32_t kind);        /* "monitor", ... */
const char *pikos_option_type_name(uint32_t type); /* "int", ... "list" */
const char *pikos_plugin_state_name(int state);    /* "ok", "broken", ... */

/* The options the host adds to a monitor that sets
   PIKOS_MONITOR_HOST_OPTIONS (functions, threads), {0}-terminated, with
   the help that fits a monitor of `event_mask` (a line monitor is focused
   on the focus functions' own frames).  Their offsets are the host's, not
   the plugin's.  pikos-manifest writes them into such a monitor's
   manifest.  New with plugin ABI 1.2. */
const struct pikos_option *pikos_monitor_host_options(uint32_t event_mask);

/* ------------------------------------------------------------ registry */

enum pikos_plugin_state {
    PIKOS_PLUGIN_UNCHECKED = 0, /* manifest read, library not opened yet */
    PIKOS_PLUGIN_OK = 1,        /* loaded and matched its manifest */
    PIKOS_PLUGIN_BROKEN = 2,    /* see `reason` */
    PIKOS_PLUGIN_UNAVAILABLE = 3 /* a Python package it needs is missing:
                                    see `reason` */
};

/* One option as the manifest declares it. */
struct pikos_manifest_option {
    char *name;
    uint32_t type; /* enum pikos_option_type */
    uint32_t flags;
    char *default_value; /* NULL: no default */
    char *help;
};

/* What the registry knows of one plugin (from its manifest). */
struct pikos_plugin_info {
    char *full_name; /* "monitors/functions" */
    char *name;      /* "functions" */
    uint32_t kind;   /* enum pikos_kind; 0 when the manifest is broken */
    char *summary;
    char *library; /* module name given to lt_dlopenext */
    char *manifest_path;
    char *directory;
    int abi;
    size_t noptions;
    struct pikos_manifest_option *options;
    int state;    /* enum pikos_plugin_state */
    char *reason; /* why it is broken, or NULL */
    const struct pikos_plugin *descriptor; /* once loaded */
    char *version; /* the manifest's optional version, or NULL */
    /* External monitors: the Python module they import when they start
       (manifest key python_module) and the package that provides it
       (`package`, e.g. python3-yappi), or NULL.  When Python runs, loading
       the plugin checks that the module can be found, and marks the plugin
       UNAVAILABLE if not. */
    char *python_module;
    char *package;
    /* The manifests of the same kind/name later in the search path, which
       this plugin shadows (the first one found wins), in search order;
       none: 0 and NULL. */
    size_t nshadowed;
    char **shadowed;
};

struct pikos_registry;

struct pikos_registry *pikos_registry_new(void);
void pikos_registry_free(struct pikos_registry *reg);

/* Directories are searched in the order they are added; the first manifest
   found for a kind/name wins. */
int pikos_registry_add_path(struct pikos_registry *reg, const char *dir);
/* Adds $PIKOS_PLUGIN_PATH (colon separated) and then the installed plugin
   directory (left out when PIKOS_NO_DEFAULT_PATH is set non-empty). */
int pikos_registry_add_default_paths(struct pikos_registry *reg);
/* Reads every manifest in the search path; never opens a shared object.
   Broken manifests become entries in state BROKEN. */
int pikos_registry_scan(struct pikos_registry *reg, struct pikos_error *err);

size_t pikos_registry_count(const struct pikos_registry *reg);
struct pikos_plugin_info *pikos_registry_at(struct pikos_registry *reg,
                                            size_t index);
/* "kind/name" or a bare "name" when unique; NULL and *err when not found. */
struct pikos_plugin_info *pikos_registry_find(struct pikos_registry *reg,
                                              const char *name,
                                              struct pikos_error *err);
/* Opens the plugin's library and checks its descriptor against the
   manifest; on failure marks it BROKEN with the reason. */
int pikos_registry_load(struct pikos_registry *reg,
                        struct pikos_plugin_info *info,
                        struct pikos_error *err);
/* Loads libraries in this process without trying them in a child first
   (pikos_registry_load forks one per plugin so that a library that
   crashes as it loads is only reported): for a process that must start
   fast and whose parent reports a crash, as the pikos command's
   interpreter.  Off by default. */
void pikos_registry_load_directly(struct pikos_registry *reg, int directly);

/* Registers a plugin compiled into the embedder (the Python extension's
   recorder and filter that call Python objects): no manifest, no library;
   the entry ("<kind plural>/<name>", summary, options) is made from the
   descriptor and is then found, listed and instantiated like any other.
   The descriptor must outlive the registry.  A taken name is an error. */
int pikos_registry_add_builtin(struct pikos_registry *reg,
                               const struct pikos_plugin *plugin,
                               struct pikos_error *err);

/* ------------------------------------------------------------ instances */

struct pikos_option_setting {
    const char *key;
    const char *value; /* text form; lists use ';' between items */
};

struct pikos_instance;

/* Loads the plugin if needed, validates the settings against the
   manifest, fills the context and calls `init`. */
struct pikos_instance *
pikos_instance_new(struct pikos_registry *reg, const char *name,
                   const struct pikos_option_setting *settings,
                   size_t nsettings, struct pikos_error *err);
void pikos_instance_free(struct pikos_instance *inst);
const struct pikos_plugin *
pikos_instance_plugin(const struct pikos_instance *inst);
const char *pikos_instance_name(const struct pikos_instance *inst);
void *pikos_instance_ctx(struct pikos_instance *inst);
/* Asks the plugin about its state (its `query` callback): e.g. "records"
   of recorders/list into a struct pikos_record_list.  PIKOS_ENOTFOUND when
   the plugin does not answer that question. */
int pikos_instance_query(struct pikos_instance *inst, const char *what,
                         void *answer);

/* The file the program runs from (the command line's script), so that
   focus names `__main__:function` can be resolved.  NULL: none. */
void pikos_set_main_filename(const char *filename);

/* Parses "kind/name:key=value,key=value" (the command line's --plugin).
   A backslash takes the next character literally (`\,`, `\=`, `\\`).
   `settings` and the strings it points into are malloc'ed into *buffer;
   free(*settings) and free(*buffer) when done. */
int pikos_parse_plugin_spec(const char *spec, char **name,
                            struct pikos_option_setting **settings,
                            size_t *nsettings, char **buffer,
                            struct pikos_error *err);

/* ------------------------------------------------------------ pipelines */

/*
 * A pipeline: monitors -> filters (all must pass) -> recorders.  Adding an
 * instance hands it over (it is freed with the pipeline, even on error).
 * Several pipelines may run at once; each has its own records.
 */
struct pikos_pipeline;

struct pikos_pipeline *pikos_pipeline_new(void);
int pikos_pipeline_add(struct pikos_pipeline *pipe,
                       struct pikos_instance *inst, struct pikos_error *err);
size_t pikos_pipeline_count(const struct pikos_pipeline *pipe, uint32_t kind);
/* Starts recorders, filters, monitors and installs the hooks.  With the
   GIL held.  Re-entrant: only the outermost start/stop pair does work. */
int pikos_pipeline_start(struct pikos_pipeline *pipe, struct pikos_error *err);
/* Removes the hooks, stops, flushes and finalizes.  Reports the first
   error any plugin recorded while running. */
int pikos_pipeline_stop(struct pikos_pipeline *pipe, struct pikos_error *err);
int pikos_pipeline_is_running(const struct pikos_pipeline *pipe);
/* After a stop: PIKOS_ENOTFOUND and one line naming them when focus names
   (a monitor's `functions`) matched no function that ran; 0 otherwise.
   The command line makes this a non-zero exit; the Python API is silent,
   as the seed's focused monitors were. */
int pikos_pipeline_check_focus(const struct pikos_pipeline *pipe,
                               struct pikos_error *err);
/* May be called from Python code a plugin runs while an event is being
   dispatched (a recorder dropping its monitor, the garbage collector,
   another thread meanwhile): the pipeline then stays whole, and running,
   until no thread dispatches, and is stopped and freed then. */
void pikos_pipeline_free(struct pikos_pipeline *pipe);

/* Flushes every open output (the CLI calls it before the process exits). */
void pikos_outputs_flush_all(void);

#ifdef __cplusplus
}
#endif
#endif /* PIKOS_PIKOS_H */
