/*
 * core/internal.h - what the parts of libpikos share and nobody else sees.
 *
 * One concept per file:
 *   error.c     struct pikos_error helpers
 *   manifest.c  reading NAME.plugin files (libinih)
 *   registry.c  the registry: its search path, its entries, built-ins
 *   registry_scan.c  listing: the manifests of the search path, shadowing;
 *               never opens a library
 *   registry_find.c  a name to a plugin, and "did you mean" when none
 *   registry_check.c  a plugin's descriptor against its manifest
 *   registry_load.c  opening a plugin's library (libltdl), probed first
 *               (but for the command's runs: pikos_registry_load_directly)
 *   registry_probe.c  the probe: a check run in a child process, so that
 *               a library that crashes as it loads takes only the child
 *   options.c   validating option settings and storing them in a context
 *   spec.c      parsing "kind/name:key=value,..." specs
 *   instance.c  one configured plugin: create/free, sticky errors, log
 *   host.c      the struct pikos_host handed to plugins
 *   template.c  the seed's format-spec subset and value formatting
 *   output.c    buffered outputs, flush at exit, fork safety; what they
 *               hold when the process dies is written by the pikos
 *               command (durable.c)
 *   pipeline.c  monitors -> filters -> recorders, start/stop, emit
 *               (pipeline.h: its insides, for pipeline_fork.c)
 *   pipeline_fork.c  the running pipelines in a forked child: go on or
 *               stop recording; stopped before the child exits
 *   fork.c      the Python side of fork: os.register_at_fork and
 *               multiprocessing's workers run pipeline_fork.c's steps
 *   hook.c      the only CPython profile/trace hook: dispatch, applying
 *               the monitors' limits to each event
 *   monitor_limits.c  the host-handled monitor options (threads=,
 *               functions=): checked, read into a monitor's limits
 *               (monitor_limits.h), focus verdict bits
 *   code_cache.c  the names of each code object, cached once
 *   focus.c     focused monitoring: focus names, threads inside them
 *   threads.c   the hook's callbacks in this thread or in every thread
 *   source.c    source lines for line monitors (source_read.c reads a
 *               file as linecache would, without importing it)
 *   program.c   the command line's program: monitored from its first line
 *               to its last
 *   monitoring.c  the program's start and end through sys.monitoring (3.12+)
 *   takeover.c  telling when the program takes CPython's hook from pikos
 *   python_module.c  whether an external monitor's Python module is there
 *   py_attr.c   attributes named by a C string, through the interned name
 *               (CPython's type cache keeps a fresh name string alive)
 *   memory.c    process memory for the memory monitors (memory_linux.c:
 *               reading it on Linux), the shared sampler thread
 *   version.c   pikos_version (in libpikos only)
 *   durable.c   the region shared with the pikos command (durable.h)
 *   state.c     instances' durable state buffers (ABI 1.4): files the
 *               command reads after the process ended, salvage
 *
 * Headers beside this one, for the files that need Python.h or share
 * insides: code_cache.h, threads.h, program.h, source.h, monitor_limits.h,
 * pipeline.h, py_attr.h; durable.h is shared with the pikos command.
 * docs/design.md has the map of the whole tree.
 */
#ifndef PIKOS_INTERNAL_H
#define PIKOS_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <pikos/pikos.h>
#include <pikos/plugin.h>

#define PIKOS_HIDDEN __attribute__((visibility("hidden")))

/* ------------------------------------------------------------ error.c */

/* Fills *err (if not NULL) and returns `code`. */
int pikos_error_set(struct pikos_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4))) PIKOS_HIDDEN;
int pikos_error_setv(struct pikos_error *err, int code, const char *fmt,
                     va_list ap) PIKOS_HIDDEN;
void pikos_error_clear(struct pikos_error *err) PIKOS_HIDDEN;

/* ------------------------------------------------------------ manifest.c */

/* Reads one manifest into *info (which it zeroes first).  Returns 0, or a
   negative code with info->state = BROKEN and info->reason set; the entry
   is still filled as far as the file allowed (name from the file name). */
int pikos_manifest_read(const char *path, struct pikos_plugin_info *info)
    PIKOS_HIDDEN;
void pikos_manifest_info_clear(struct pikos_plugin_info *info) PIKOS_HIDDEN;
/* "monitor" -> PIKOS_KIND_MONITOR etc.; 0 when unknown.  Accepts the
   singular and the plural. */
uint32_t pikos_kind_from_string(const char *text) PIKOS_HIDDEN;
/* "int" -> PIKOS_OPT_INT etc.; 0 when unknown. */
uint32_t pikos_option_type_from_string(const char *text) PIKOS_HIDDEN;

/* ------------------------------------------------------------ registry */

/* The registry's insides, shared by registry*.c. */
struct pikos_registry_entry {
    struct pikos_plugin_info info; /* callers hold &entry->info */
    void *handle;                  /* the lt_dlhandle, once loaded */
    int broken_code;               /* the PIKOS_E* code of `info.reason` */
    /* The manifest did not read: the entry names no plugin and is listed
       under the manifest's path (info.full_name), with what it could read
       (name, kind) kept to tell a user asking for it that it is broken. */
    int bad_manifest;
};

struct pikos_registry {
    char **paths;
    size_t npaths;
    struct pikos_registry_entry **entries;
    size_t nentries;
    int load_directly; /* no probe (pikos_registry_load_directly) */
};

static inline struct pikos_registry_entry *
pikos_registry_entry_of(struct pikos_plugin_info *info)
{
    return (struct pikos_registry_entry *)((char *)info -
                                           offsetof(struct pikos_registry_entry,
                                                    info));
}

/* registry.c: the entry named `full_name`, or NULL. */
struct pikos_registry_entry *
pikos_registry_entry_find(const struct pikos_registry *reg,
                          const char *full_name) PIKOS_HIDDEN;
int pikos_registry_entry_append(struct pikos_registry *reg,
                                struct pikos_registry_entry *entry)
    PIKOS_HIDDEN;
void pikos_registry_entry_free(struct pikos_registry_entry *entry)
    PIKOS_HIDDEN;
/* "plugin 'NAME' is broken: REASON" (an unavailable one: "[NAME] REASON")
   into *err, NAME being `shown` or, when NULL, the entry's full name;
   returns the entry's code. */
int pikos_registry_broken_error(const struct pikos_registry_entry *entry,
                                const char *shown,
                                struct pikos_error *err) PIKOS_HIDDEN;

/* registry_check.c: whether the descriptor `d` in library `lib` is the one
   its manifest describes (ABI, kind and name, options, callbacks); reads no
   field beyond d->struct_size.  PIKOS_EABI and *why when not. */
int pikos_registry_check_descriptor(const struct pikos_plugin_info *info,
                                    const struct pikos_plugin *d,
                                    const char *lib,
                                    struct pikos_error *why) PIKOS_HIDDEN;

/*
 * registry_probe.c: runs check(arg, why) in a child process made by fork,
 * and brings its verdict back through a pipe.  Returns 0 (the check
 * passed), a negative code with *why (the check failed, or the child died
 * or hung: "LABEL: crashed while loading (SIGSEGV): ..."), or 1 when no
 * child could be made (no check was run).  The child runs no Python, no
 * atexit handler and flushes no stdio buffer: it ends with _exit.
 */
typedef int (*pikos_probe_check)(void *arg, struct pikos_error *why);
int pikos_probe(pikos_probe_check check, void *arg, const char *label,
                struct pikos_error *why) PIKOS_HIDDEN;

/* ------------------------------------------------------------ options.c */

/*
 * Checks `settings` against the manifest's options (unknown option, wrong
 * type, missing required value) and stores every option (given or default)
 * into ctx at the descriptor's offsets.  Errors name the plugin, the option
 * and what was expected.  On failure nothing stays allocated.
 */
/* Where the host stores a PIKOS_MONITOR_HOST_OPTIONS monitor's functions
   and threads options (options.c). */
struct pikos_host_option_values {
    struct pikos_strlist functions;
    char *threads;
};

/* The host option `name` the monitor takes without declaring it
   (PIKOS_MONITOR_HOST_OPTIONS), or NULL. */
const struct pikos_option *pikos_host_option(const struct pikos_plugin *d,
                                             const char *name) PIKOS_HIDDEN;
int pikos_options_apply(const struct pikos_plugin_info *info,
                        const struct pikos_option_setting *settings,
                        size_t nsettings, void *ctx,
                        struct pikos_host_option_values *host,
                        struct pikos_error *err) PIKOS_HIDDEN;
/* Frees the strings and lists pikos_options_apply stored in ctx and host. */
void pikos_options_release(const struct pikos_plugin *plugin, void *ctx,
                           struct pikos_host_option_values *host) PIKOS_HIDDEN;
/*
 * The one parser of each option type, shared by manifest defaults and
 * settings.  Parses `text` as an option of `type`: with `out` NULL it only
 * checks; otherwise it stores the value as plugin.h describes (strings and
 * lists malloc'ed).  Returns 0, PIKOS_EINVAL (not of that type) or
 * PIKOS_ENOMEM.
 */
int pikos_option_parse(uint32_t type, const char *text, void *out)
    PIKOS_HIDDEN;
/* Bytes an option of `type` takes in a plugin's context; 0 if unknown. */
size_t pikos_option_storage_size(uint32_t type) PIKOS_HIDDEN;

/* ------------------------------------------------------------ instance.c */

/* A schema a recorder or filter was prepared for in this run, and the
   context its prepare_schema (ABI 1.2) gave for it. */
struct pikos_prepared {
    const struct pikos_schema *schema;
    void *ctx;
};

struct pikos_instance {
    struct pikos_plugin_info *info;
    const struct pikos_plugin *plugin;
    void *ctx;
    struct pikos_pipeline *pipeline; /* set by pikos_pipeline_add */
    int initialized;
    int started;
    /* Sticky error: the first one set while running, reported at stop. */
    int error_code;
    char *error_message;
    /* Recorders and filters: the schemas prepared in this run, in order
       (a growable array: no cap on the number of schemas). */
    struct pikos_prepared *prepared;
    size_t nprepared, prepared_cap;
    /* The descriptor's ABI 1.2 callbacks, or NULL where an older
       descriptor stops before them (set by pikos_pipeline_add). */
    int (*prepare_schema)(struct pikos_instance *, void *,
                          const struct pikos_schema *, void **);
    int (*filter_schema)(struct pikos_instance *, void *, void *,
                         const struct pikos_record *);
    int (*record_schema)(struct pikos_instance *, void *, void *,
                         const struct pikos_record *);
    void (*release_schema)(struct pikos_instance *, void *,
                           const struct pikos_schema *, void *);
    /* Monitors: focus names that matched nothing in the last run
       ("'a', 'b'"), or NULL. */
    char *unmatched_focus;
    /* Monitors with PIKOS_MONITOR_HOST_OPTIONS: the host options' values
       (at the offsets of pikos_monitor_host_options). */
    struct pikos_host_option_values host_values;
    /* Monitors: the schema it emits (instance_schemas' first,
       instance_schema, else the descriptor's), set by pikos_pipeline_add. */
    const struct pikos_schema *schema;
    /* Monitors with instance_schemas (ABI 1.5): every schema it declared
       (schemas[0] == schema), malloc'ed; NULL and 0 otherwise. */
    const struct pikos_schema **schemas;
    size_t nschemas;
    /* "kind/name\0key=value\0..." as it was made, and its durable state
       buffers (state.c), NULL until the first. */
    char *spec;
    size_t spec_len;
    struct pikos_state *state;
    /* Allocation monitors: the sampling asked by host->allocations_sample
       (0: every block). */
    uint64_t alloc_sample_bytes;
    int alloc_native; /* host->allocations_native */
};

/* host->log and host->set_error: messages are prefixed "[kind/name] ".
   log writes errors and warnings to stderr (info/debug only when the
   environment variable PIKOS_DEBUG is set); set_error keeps the first
   error until pikos_instance_take_error. */
void pikos_instance_log(struct pikos_instance *inst, int level,
                        const char *fmt, ...)
    __attribute__((format(printf, 3, 4))) PIKOS_HIDDEN;
int pikos_instance_set_error(struct pikos_instance *inst, int code,
                             const char *fmt, ...)
    __attribute__((format(printf, 3, 4))) PIKOS_HIDDEN;
/* Whether PIKOS_DEBUG is set non-empty: info and debug notes are shown. */
int pikos_debug_enabled(void) PIKOS_HIDDEN;

/* Moves the sticky error (if any) into *err, prefixed with the plugin
   name, and clears it.  Returns the code or 0. */
int pikos_instance_take_error(struct pikos_instance *inst,
                              struct pikos_error *err) PIKOS_HIDDEN;

/* ------------------------------------------------------------ host.c */

/* alloc_hook.c: host->allocations_sample. */
int pikos_alloc_sample(struct pikos_instance *inst,
                       uint64_t mean_bytes) PIKOS_HIDDEN;
/* alloc_hook.c: host->allocations_native. */
int pikos_alloc_native_ask(struct pikos_instance *inst,
                           int native) PIKOS_HIDDEN;
/* alloc_hook.c: host->safe_point_soon. */
int pikos_alloc_safe_point_soon(struct pikos_instance *inst) PIKOS_HIDDEN;
/* stack_tree.c: host->stack_frame, one frame of an allocation's stack. */
int pikos_stack_frame(uint32_t stack, const struct pikos_code **code,
                      int *lineno, uint32_t *parent) PIKOS_HIDDEN;
extern const struct pikos_host pikos_host_table PIKOS_HIDDEN;

/* ------------------------------------------------------------ template.c */

struct pikos_template *pikos_template_compile(const char *text,
                                              struct pikos_error *err)
    PIKOS_HIDDEN;
size_t pikos_template_format(const struct pikos_template *tpl,
                             const struct pikos_schema *schema,
                             const struct pikos_value *values, char *buf,
                             size_t cap) PIKOS_HIDDEN;
void pikos_template_free(struct pikos_template *tpl) PIKOS_HIDDEN;
size_t pikos_format_value(uint32_t field_type, const struct pikos_value *v,
                          char *buf, size_t cap) PIKOS_HIDDEN;

/* ------------------------------------------------------------ durable.c */

/* The plugin callback this thread is in, for a crash report ("[name]
   callback"); set around the calls into plugins. */
struct pikos_current_call {
    const char *plugin;
    const char *callback;
};
extern _Thread_local struct pikos_current_call pikos_current_call
    __attribute__((tls_model("initial-exec"))) PIKOS_HIDDEN;

/* Around a call into a plugin: `saved` keeps the outer call (a monitor's
   on_event emits into recorders). */
#define PIKOS_CALL_ENTER(saved, inst, name)                                    \
    struct pikos_current_call saved = pikos_current_call;                      \
    pikos_current_call.plugin = (inst)->info->full_name;                       \
    pikos_current_call.callback = (name)
#define PIKOS_CALL_LEAVE(saved) pikos_current_call = (saved)

struct pikos_durable_slot;
/* A slot of the attached region for an output (path NULL: the screen), or
   NULL when there is no region or no free slot. */
struct pikos_durable_slot *pikos_durable_slot_take(const char *path)
    PIKOS_HIDDEN;
void pikos_durable_slot_release(struct pikos_durable_slot *slot) PIKOS_HIDDEN;
/* In a forked child: the region is the parent's; never touch it again. */
void pikos_durable_forget(void) PIKOS_HIDDEN;
/* The run's state directory (the command's "state_dir"), or NULL: no
   region, or a command that makes none. */
const char *pikos_durable_state_dir(void) PIKOS_HIDDEN;
/* A record of the region for an instance's state (spec: `len` bytes of
   "kind/name\0key=value\0...", and the current directory), or -1 when
   there is no region or no free record. */
int pikos_durable_state_take(const char *spec, size_t len,
                             int active) PIKOS_HIDDEN;
/* Whether the command salvages the record's instance should the process
   end now: from its start to the end of its finalize. */
void pikos_durable_state_set_active(int record, int active) PIKOS_HIDDEN;
void pikos_durable_state_release(int record) PIKOS_HIDDEN;

/* ------------------------------------------------------------ state.c */

struct pikos_state;
/* Keeps "kind/name\0key=value\0..." of a new instance, for the record
   of its state.  PIKOS_ENOMEM. */
int pikos_state_keep_spec(struct pikos_instance *inst,
                          const struct pikos_option_setting *settings,
                          size_t nsettings) PIKOS_HIDDEN;
/* host->state_resize and host->state_get (ABI 1.4). */
void *pikos_state_resize(struct pikos_instance *inst, unsigned id,
                         size_t size) PIKOS_HIDDEN;
const void *pikos_state_get(struct pikos_instance *inst, unsigned id,
                            size_t *size) PIKOS_HIDDEN;
/* The instance was started (inst->started 1) or has finalized (0): tells
   the region whether the command should salvage it. */
void pikos_state_running(struct pikos_instance *inst) PIKOS_HIDDEN;
/* Frees the buffers, their files and the record (instance's end). */
void pikos_state_free(struct pikos_instance *inst) PIKOS_HIDDEN;

/* ------------------------------------------------------------ output.c */

struct pikos_output *pikos_output_open(const char *path,
                                       struct pikos_error *err) PIKOS_HIDDEN;
/* `resume`: after what the file holds, muted until pikos_outputs_unmute
   (pikos_outputs_resume); pikos_output_open resumes while that is on. */
struct pikos_output *pikos_output_open_as(const char *path, int resume,
                                          struct pikos_error *err) PIKOS_HIDDEN;
int pikos_outputs_resuming(void) PIKOS_HIDDEN;
int pikos_output_write(struct pikos_output *out, const char *data, size_t len)
    PIKOS_HIDDEN;
int pikos_output_flush(struct pikos_output *out) PIKOS_HIDDEN;
int pikos_output_set_ending(struct pikos_output *out, const char *data,
                            size_t len) PIKOS_HIDDEN;
char *pikos_output_reserve(struct pikos_output *out, size_t len) PIKOS_HIDDEN;
int pikos_output_commit(struct pikos_output *out, size_t used) PIKOS_HIDDEN;
int pikos_output_close(struct pikos_output *out) PIKOS_HIDDEN;
int pikos_output_is_terminal(const struct pikos_output *out) PIKOS_HIDDEN;
/* Who is told, once, of the output's first failed write (the host tells
   the instance it opened the output for: "cannot write to 'path': ...").
   PIKOS_ENOMEM when the name cannot be kept. */
typedef int (*pikos_output_report_fn)(struct pikos_instance *inst, int code,
                                      const char *fmt, ...);
int pikos_output_set_owner(struct pikos_output *out,
                           struct pikos_instance *owner,
                           pikos_output_report_fn report,
                           const char *path) PIKOS_HIDDEN;
/* The last I/O error of an output (errno value) or 0. */
int pikos_output_errno(const struct pikos_output *out) PIKOS_HIDDEN;

/* ------------------------------------------------------------ source.c */

/* host->source_line. */
int pikos_source_line(const struct pikos_code *code, int lineno,
                      const char **text, size_t *len) PIKOS_HIDDEN;
/* Frees every cached file (called when the last monitor stops). */
void pikos_source_cache_clear(void) PIKOS_HIDDEN;

/* ------------------------------------------------------------ memory.c */

/* host->process_memory & co; the platform part is memory_linux.c. */
int pikos_process_memory(uint64_t *rss, uint64_t *vms) PIKOS_HIDDEN;
int pikos_memory_sampler_acquire(struct pikos_instance *inst,
                                 uint64_t interval_us) PIKOS_HIDDEN;
void pikos_memory_sampler_release(struct pikos_instance *inst) PIKOS_HIDDEN;
int pikos_process_memory_sampled(uint64_t *rss, uint64_t *vms) PIKOS_HIDDEN;

/* ------------------------------------------------------------ pipeline.c */

/* host->emit: filters then recorders of the monitor's pipeline. */
int pikos_pipeline_emit(struct pikos_instance *monitor,
                        const struct pikos_record *rec) PIKOS_HIDDEN;

/* ------------------------------------------------------------ hook.c */

/* Starts/stops dispatching events to a started monitor.  The first monitor
   installs the CPython hooks it needs; the last removal removes them.  With
   the GIL held. */
int pikos_hook_add_monitor(struct pikos_instance *monitor,
                           struct pikos_error *err) PIKOS_HIDDEN;
void pikos_hook_remove_monitor(struct pikos_instance *monitor) PIKOS_HIDDEN;
/* Whether some thread is inside a monitor's on_event (pipeline.c then
   defers freeing pipelines); and the deferred frees, run when none is. */
int pikos_hook_dispatching(void) PIKOS_HIDDEN;
void pikos_pipelines_free_deferred(void) PIKOS_HIDDEN;
/* Whether frees wait (the hook tests this after every event it
   dispatched; the frees are rare, the test is inline). */
extern struct pikos_pipeline *pikos_pipelines_deferred PIKOS_HIDDEN;

/* ------------------------------------------------------ monitor_limits.c */

/* Checks a monitor's host-handled options (threads, functions) when the
   instance is made, before any recorder starts.  (What hook.c asks of
   monitor_limits.c is in monitor_limits.h.) */
int pikos_hook_check_options(struct pikos_instance *monitor,
                             struct pikos_error *err) PIKOS_HIDDEN;

/* ------------------------------------------------------- pipeline_fork.c */

/* In a forked child: each running pipeline goes on (every recorder has
   after_fork and all succeeded) or stops recording; returns how many go
   on. */
size_t pikos_pipelines_after_fork(void) PIKOS_HIDDEN;
/* Stops every pipeline that went on in a forked child which is about to
   exit (multiprocessing's workers end with os._exit). */
void pikos_pipelines_finish(void) PIKOS_HIDDEN;

/* python_module.c: whether Python finds `module` (1 when Python is not
   running, so cannot be asked). */
int pikos_python_module_found(const char *module) PIKOS_HIDDEN;

/* fork.c: registers (once per interpreter) what a forked child does. */
int pikos_fork_watch(struct pikos_error *err) PIKOS_HIDDEN;
/* A per-code-object pointer for the core's own caches (source.c keeps the
   code's file there); NULL until set; lives as long as the code object. */
void **pikos_code_source_slot(const struct pikos_code *code) PIKOS_HIDDEN;

/* ------------------------------------------------------------ focus.c */

/* The `functions` option of one monitor: its names, parsed, and the
   threads inside them (see focus.c).  Defined here so that the hook's
   test for "no thread inside" is inline. */
struct pikos_focus {
    struct focus_name *names;
    size_t nnames;
    size_t codes_checked; /* code objects compared with the names */
    struct focus_thread *threads; /* those with a focus frame on the stack */
    size_t nthreads;
    size_t capacity;
};

/* Parses the names into *out; a malformed one is an error naming `owner`
   (the monitor). */
int pikos_focus_new(const struct pikos_strlist *names, const char *owner,
                    struct pikos_focus **out,
                    struct pikos_error *err) PIKOS_HIDDEN;
void pikos_focus_free(struct pikos_focus *focus) PIKOS_HIDDEN;
/* Whether `code` is one of the focus functions (the caller caches it). */
int pikos_focus_matches(struct pikos_focus *focus,
                        const struct pikos_code *code) PIKOS_HIDDEN;
/* The host's focus_matches (plugin.h): the names parsed, compared with
   `code` and freed, for plugins that match by themselves. */
int pikos_focus_match_names(const struct pikos_strlist *names,
                            const struct pikos_code *code,
                            unsigned char *matched) PIKOS_HIDDEN;
/* The TSC's scale once calibrated (clock.c): ns = ns0 + (tsc - tsc0) *
   mult >> shift. */
struct pikos_tsc_clock {
    uint64_t tsc0, ns0;
    uint32_t mult, shift;
    int enabled; /* 0: every reading is clock_gettime */
};
extern struct pikos_tsc_clock pikos_tsc_clock PIKOS_HIDDEN;

/* Measures the TSC's rate, once per process, if the kernel trusts the
   TSC; called as a pipeline starts, before its first reading. */
void pikos_clock_calibrate(void) PIKOS_HIDDEN;

/* host->clock_ns: CLOCK_MONOTONIC in ns, from the TSC once calibrated
   (clock.c).  Inline so that the hook reads the clock for the timed
   monitors without a call. */
static inline uint64_t pikos_clock_ns(void)
{
#if defined(__x86_64__)
    if (pikos_tsc_clock.enabled) {
        int64_t ticks = (int64_t)(__builtin_ia32_rdtsc() - pikos_tsc_clock.tsc0);
        return pikos_tsc_clock.ns0 +
               (uint64_t)(((__int128)ticks * pikos_tsc_clock.mult) >>
                          pikos_tsc_clock.shift);
    }
#endif
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* The calling thread's OS id (gettid), cached per thread (host->os_thread_id). */
uint64_t pikos_os_thread_id(void) PIKOS_HIDDEN;
/* The names that matched no code object that ran, as "'a', 'b'"
   (malloc'ed), or NULL: all matched, or no code ran. */
char *pikos_focus_unmatched(const struct pikos_focus *focus) PIKOS_HIDDEN;
/* Function monitors: whether any thread / this thread has a focus frame
   on its stack; a focus frame starts (0 or PIKOS_ENOMEM) or ends on it. */
static inline int pikos_focus_anyone_inside(const struct pikos_focus *focus)
{
    return focus->nthreads > 0;
}
int pikos_focus_inside(const struct pikos_focus *focus,
                       uint64_t thread_id) PIKOS_HIDDEN;
int pikos_focus_enter(struct pikos_focus *focus,
                      uint64_t thread_id) PIKOS_HIDDEN;
void pikos_focus_leave(struct pikos_focus *focus,
                       uint64_t thread_id) PIKOS_HIDDEN;

#endif /* PIKOS_INTERNAL_H */
