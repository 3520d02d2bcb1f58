/*
 * pikos/plugin.h - the whole ABI between pikos and its plugins.
 *
 * A plugin is a shared object that exports one symbol, `pikos_plugin_entry`,
 * a `struct pikos_plugin` describing it.  It includes only this header (plus
 * its own dependencies), never links libpikos or libpython, and reaches the
 * core only through the `struct pikos_host` table handed to its `init`.
 *
 * Rules that keep old plugins working with new hosts and the other way round:
 *   - every struct here only grows at its end; readers check `struct_size`
 *     before touching a field that was added later, always with
 *     PIKOS_HOST_HAS (a plugin reading the host) or PIKOS_PLUGIN_HAS (the
 *     host reading a plugin), never by comparing abi_minor: see "since";
 *   - a field is never removed: one that falls out of use stays in place,
 *     marked reserved, and is neither read nor set;
 *   - ABI major must equal the host's, ABI minor must be <= the host's;
 *   - nothing of the host's internals (or of Python) is visible here.
 *
 * Threading: every callback is called with the Python GIL held (or, outside
 * Python, from one thread at a time).  Per-event callbacks (`on_event`,
 * `filter`, `record`) are the hot path: they never print, never allocate
 * without need and never fail loudly - a failure there is reported with
 * `host->set_error` and surfaces when monitoring stops.
 */
#ifndef PIKOS_PLUGIN_H
#define PIKOS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PIKOS_ABI_MAJOR 1
#define PIKOS_ABI_MINOR 5

/* The symbol every plugin exports (see PIKOS_PLUGIN_DEFINE below). */
#define PIKOS_PLUGIN_ENTRY_SYMBOL "pikos_plugin_entry"

/* ---------------------------------------------------------------- errors */

/* Every callback returns 0 (PIKOS_OK) or one of these negative codes. */
enum pikos_status {
    PIKOS_OK = 0,
    PIKOS_EINVAL = -1,    /* bad argument or option value */
    PIKOS_ENOMEM = -2,    /* out of memory */
    PIKOS_EIO = -3,       /* file, socket or other I/O failure */
    PIKOS_ENOTFOUND = -4, /* no such plugin, field, file, ... */
    PIKOS_EABI = -5,      /* incompatible plugin or host */
    PIKOS_ESTATE = -6,    /* called in the wrong state */
    PIKOS_EPLUGIN = -7,   /* the plugin failed for a reason of its own */
    PIKOS_EPYTHON = -8    /* a Python-level error (external monitors) */
};

/* Filter verdicts. */
#define PIKOS_DROP 0
#define PIKOS_PASS 1

/* Log levels for host->log. */
enum pikos_log_level {
    PIKOS_LOG_ERROR = 0,
    PIKOS_LOG_WARNING = 1,
    PIKOS_LOG_INFO = 2,
    PIKOS_LOG_DEBUG = 3
};

/* ---------------------------------------------------------------- options */

enum pikos_option_type {
    PIKOS_OPT_INT = 1,    /* stored as int64_t                          */
    PIKOS_OPT_FLOAT = 2,  /* stored as double                           */
    PIKOS_OPT_BOOL = 3,   /* stored as int (0 or 1)                     */
    PIKOS_OPT_STRING = 4, /* stored as char * (owned by the host)       */
    PIKOS_OPT_LIST = 5    /* stored as struct pikos_strlist (host's)    */
};

/* Storage of a PIKOS_OPT_LIST option. */
struct pikos_strlist {
    size_t count;
    char **items;
};

/* Option flags. */
#define PIKOS_OPTION_REQUIRED 0x1u

/*
 * One entry of a plugin's option table (terminated by an all-zero entry).
 * The host parses, validates and stores each option at `offset` inside the
 * plugin's context before `init` is called; the plugin never parses text.
 * Names, types and defaults must equal those of the plugin's manifest.
 */
struct pikos_option {
    const char *name;
    uint32_t type;             /* enum pikos_option_type */
    uint32_t flags;            /* PIKOS_OPTION_* */
    const char *default_value; /* text form, as in the manifest; NULL: none */
    const char *description;
    size_t offset;             /* offsetof(your_ctx, field) */
};

/* ---------------------------------------------------------------- records */

enum pikos_field_type {
    PIKOS_FIELD_INT = 1,   /* value.i */
    PIKOS_FIELD_FLOAT = 2, /* value.f */
    PIKOS_FIELD_STR = 3    /* value.s: UTF-8, not necessarily NUL-ended */
};

struct pikos_field {
    const char *name;
    uint32_t type; /* enum pikos_field_type */
};

/*
 * A record schema: the named, typed fields of a record plus the seed's
 * `header`/`line` templates (Python format-spec subset: `{}` or `{:<8}`,
 * alignments `<`, `>`, `^`, and a width).  Schemas are static data owned by
 * the plugin that emits them; recorders format by this description only.
 */
struct pikos_schema {
    const char *name; /* "FunctionRecord", ... */
    size_t nfields;
    const struct pikos_field *fields;
    const char *header_template; /* formatted with the field names */
    const char *line_template;   /* formatted with the values      */
};

struct pikos_value {
    union {
        int64_t i;
        double f;
        struct {
            const char *ptr;
            size_t len;
        } s;
    } u;
};

/* A record lives only for the duration of the call it is passed to. */
struct pikos_record {
    const struct pikos_schema *schema;
    const struct pikos_value *values; /* schema->nfields of them */
};

/* ---------------------------------------------------------------- events */

enum pikos_event_type {
    PIKOS_EVENT_CALL = 0,
    PIKOS_EVENT_RETURN = 1,
    PIKOS_EVENT_C_CALL = 2,
    PIKOS_EVENT_C_RETURN = 3,
    PIKOS_EVENT_C_EXCEPTION = 4,
    PIKOS_EVENT_LINE = 5,
    PIKOS_EVENT_EXCEPTION = 6,
    /* (since 1.5) Memory: a block allocated or freed (see struct
       pikos_event's allocation fields).  A host older than 1.5 never gives
       them. */
    PIKOS_EVENT_ALLOC = 7,
    PIKOS_EVENT_FREE = 8,
    PIKOS_EVENT_COUNT = 9
};

#define PIKOS_EVENT_BIT(type) (1u << (type))
#define PIKOS_EVENTS_ALLOCATION                                          \
    (PIKOS_EVENT_BIT(PIKOS_EVENT_ALLOC) | PIKOS_EVENT_BIT(PIKOS_EVENT_FREE))
#define PIKOS_EVENTS_FUNCTION                                            \
    (PIKOS_EVENT_BIT(PIKOS_EVENT_CALL) | PIKOS_EVENT_BIT(PIKOS_EVENT_RETURN) | \
     PIKOS_EVENT_BIT(PIKOS_EVENT_C_CALL) |                               \
     PIKOS_EVENT_BIT(PIKOS_EVENT_C_RETURN) |                             \
     PIKOS_EVENT_BIT(PIKOS_EVENT_C_EXCEPTION))

/* The seed's name of an event type ("call", "c_return", ...). */
static inline const char *pikos_event_name(uint32_t type)
{
    static const char *const names[PIKOS_EVENT_COUNT] = {
        "call", "return", "c_call", "c_return", "c_exception", "line",
        "exception", "alloc", "free"};
    return type < PIKOS_EVENT_COUNT ? names[type] : "unknown";
}

/* An integer's decimal text as Python's str() writes it, at `dst` (room
   for 20 bytes); returns the end of what it wrote.  What format_value
   writes for an int, for a recorder that writes numbers per record in
   place (recorders/csv). */
static inline char *pikos_put_int(char *dst, int64_t value)
{
    static const char pairs[201] = "00010203040506070809"
                                   "10111213141516171819"
                                   "20212223242526272829"
                                   "30313233343536373839"
                                   "40414243444546474849"
                                   "50515253545556575859"
                                   "60616263646566676869"
                                   "70717273747576777879"
                                   "80818283848586878889"
                                   "90919293949596979899";
    uint64_t v = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
    size_t ndigits = 1;

    if (value < 0)
        *dst++ = '-';
    for (uint64_t rest = v / 10; rest > 0; rest /= 10)
        ndigits++;
    char *end = dst + ndigits;
    for (; v >= 10; v /= 100) {
        end -= 2;
        end[0] = pairs[(v % 100) * 2];
        end[1] = pairs[(v % 100) * 2 + 1];
    }
    if (end > dst) /* an odd number of digits: the first one */
        *dst = (char)('0' + v);
    return dst + ndigits;
}

/*
 * What the core knows about one code object, computed once per code object
 * and kept for its lifetime.  Strings are UTF-8 and NUL-terminated.
 */
struct pikos_code {
    const char *name; /* co_name */
    size_t name_len;
    const char *qualname; /* co_qualname */
    size_t qualname_len;
    const char *filename; /* co_filename */
    size_t filename_len;
    int firstlineno;
    uintptr_t id; /* opaque identity, stable while the code lives */
};

/*
 * One event, free of Python types.  `code` is the frame's code object; for
 * c_* events that is the caller's, and `function` is the C function's
 * __name__ (for the others, `function` equals code->name).
 */
struct pikos_event {
    uint32_t type; /* enum pikos_event_type */
    const struct pikos_code *code;
    const char *function;
    size_t function_len;
    uintptr_t function_id; /* code->id, or the identity of the C function */
    int lineno;            /* frame.f_lineno at the event */
    uint64_t thread_id;
    uint64_t time_ns; /* monotonic (clock_ns); 0 unless the monitor sets
                         PIKOS_MONITOR_WANTS_TIME, or (since 1.3)
                         PIKOS_MONITOR_TIME_OPTION with time=true */
    /*
     * (since 1.5) Allocation events only.  They come from inside the
     * program's allocator, where no Python code may run: `code` and
     * `function` are NULL and `lineno` 0, and the place is `stack`, which
     * host->stack_frame resolves later (at stop, never in on_event).
     * `time_ns` is 0 (read host->clock_ns when needed).  A free names only
     * its address: the monitor matches it to the allocation it keeps.
     */
    uint64_t address; /* the block */
    uint64_t size;    /* bytes asked for (alloc); 0 (free) */
    uint32_t domain;  /* enum pikos_alloc_domain */
    uint32_t stack;   /* (alloc) innermost Python frame's stack node; 0:
                         no Python frame (or a thread without the GIL) */
    /* (alloc) 0: every block is an event.  Else blocks are sampled, about
       one per `sample_bytes` bytes allocated (host->allocations_sample):
       a block of s bytes was picked with probability
       p = 1 - exp(-s / sample_bytes), so it stands for s / p bytes and
       1 / p blocks.  Frees come only for the blocks picked. */
    uint64_t sample_bytes;
};

/* (since 1.5) The allocator an allocation event comes from. */
enum pikos_alloc_domain {
    PIKOS_ALLOC_RAW = 0, /* PyMem_RawMalloc and friends */
    PIKOS_ALLOC_MEM = 1, /* PyMem_Malloc */
    PIKOS_ALLOC_OBJ = 2, /* PyObject_Malloc: objects */
    PIKOS_ALLOC_NATIVE = 3 /* the C library's malloc (native mode) */
};

/* monitor_flags */
#define PIKOS_MONITOR_WANTS_TIME 0x1u
/* (since 1.2) The monitor takes the host-handled options below without
   declaring them: the host adds them to its options (pikos-manifest
   writes them into its manifest, pikos_monitor_host_options), stores
   their values itself and the monitor's context holds no slot for them.
   Its option table must not declare them. */
#define PIKOS_MONITOR_HOST_OPTIONS 0x2u
/* (since 1.3) The monitor declares a PIKOS_OPT_BOOL option `time`: the
   instances where it is true get ev->time_ns, read once per event for all
   the monitors that want it (cheaper than each calling host->clock_ns).
   A host older than this flag ignores it and leaves time_ns 0: such a
   monitor reads host->clock_ns() when ev->time_ns is 0. */
#define PIKOS_MONITOR_TIME_OPTION 0x4u
#define PIKOS_MONITOR_OPTION_TIME "time"

/*
 * Options the host handles for every monitor that sets
 * PIKOS_MONITOR_HOST_OPTIONS (or, as before 1.2, declares them itself with
 * the same name and type), so that each monitor need not: the host reads them from the
 * context after storing them and delivers only the events that pass.
 *   functions (list)   focus: only events inside these functions
 *                      (qualified names: `f`, `Class.method`, `module:f`)
 *   threads   (string) "all" (every thread, those started later too) or
 *                      "current" (the thread that starts monitoring)
 * A monitor whose event mask has PIKOS_EVENT_LINE is focused on the focus
 * functions' own frames; any other on everything that runs while a focus
 * function is on the thread's stack (its own call and return included).
 */
#define PIKOS_MONITOR_OPTION_FUNCTIONS "functions"
#define PIKOS_MONITOR_OPTION_THREADS "threads"

/* ---------------------------------------------------------------- host */

struct pikos_instance; /* one configured plugin; opaque */
struct pikos_output;   /* a buffered output stream owned by the host */
struct pikos_template; /* a compiled record template */

/*
 * Services of the host.  Only `struct_size` bytes are valid: check it
 * (PIKOS_HOST_HAS(host, field)) before using a field added in a later minor.
 */
struct pikos_host {
    uint32_t abi_major;
    uint32_t abi_minor;
    uint32_t struct_size;

    /* Diagnostics, prefixed with the plugin's name by the host. */
    void (*log)(struct pikos_instance *inst, int level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
    /* Records an error (the first one sticks) and returns `code`. */
    int (*set_error)(struct pikos_instance *inst, int code, const char *fmt,
                     ...) __attribute__((format(printf, 3, 4)));

    /* Monitors: hand a record to the pipeline (filters, then recorders). */
    int (*emit)(struct pikos_instance *inst, const struct pikos_record *rec);

    uint64_t (*clock_ns)(void); /* monotonic nanoseconds */

    /*
     * Outputs: path NULL, "" or "-" is standard output.  The host buffers,
     * flushes on stop, on exit and on fatal signals, and makes sure a forked
     * child never writes into its parent's output.  `write` copies the bytes.
     * When write/flush/close return PIKOS_EIO, errno holds the cause.
     */
    struct pikos_output *(*output_open)(struct pikos_instance *inst,
                                        const char *path);
    int (*output_write)(struct pikos_output *out, const char *data, size_t len);
    int (*output_flush)(struct pikos_output *out);
    int (*output_close)(struct pikos_output *out);
    int (*output_is_terminal)(const struct pikos_output *out);

    /*
     * Templates (the seed's format-spec subset).  `format` writes at most
     * `cap` bytes (no NUL) and returns the length the full text needs, as
     * snprintf does; `values == NULL` formats the schema's field names.
     */
    struct pikos_template *(*template_compile)(struct pikos_instance *inst,
                                               const char *text);
    size_t (*template_format)(const struct pikos_template *tpl,
                              const struct pikos_schema *schema,
                              const struct pikos_value *values, char *buf,
                              size_t cap);
    void (*template_free)(struct pikos_template *tpl);

    /* The text of one value, as Python's str() would give it (same rules
       as template_format). */
    size_t (*format_value)(uint32_t field_type, const struct pikos_value *v,
                           char *buf, size_t cap);

    /*
     * ---- Since 1.1.  The entries from here to process_memory_sampled
     * were appended while ABI 1.0 was current, without a minor bump: a host
     * that says 1.0 may or may not have them, and every 1.1 host has them.
     * They count as ABI 1.1; test for each with PIKOS_HOST_HAS (which reads
     * struct_size), never with abi_minor.
     *
     * In-place writing, for recorders that build a line straight into the
     * output's buffer (no copy): `reserve` returns room for at least `len`
     * bytes at the end of the buffered data (flushing first if needed), or
     * NULL when `len` is larger than the buffer or the output has failed
     * (then use output_write); `commit` keeps the first `used` bytes of it.
     */
    char *(*output_reserve)(struct pikos_output *out, size_t len);
    int (*output_commit)(struct pikos_output *out, size_t used);

    /*
     * (since 1.1, see above) The source text of line `lineno` of a code
     * object's file, read once per file (as Python's linecache reads it,
     * decoded to UTF-8), trailing whitespace removed, indentation kept.  Where
     * there is no source the text is "<compiled string>".  The text stays valid
     * while monitoring runs.  Returns 0, or a negative code.
     */
    int (*source_line)(const struct pikos_code *code, int lineno,
                       const char **text, size_t *len);

    /*
     * (since 1.1, see above) Process memory in bytes: resident (RSS) and
     * virtual (VMS). `process_memory` reads the counters now (Linux: one pread
     * of a kept-open /proc/self/statm).  `memory_sampler_acquire` starts (or
     * shares) a background thread that reads them every `interval_us`
     * microseconds; `process_memory_sampled` then returns its latest
     * reading without a system call.  Each acquire needs one release.
     */
    int (*process_memory)(uint64_t *rss, uint64_t *vms);
    int (*memory_sampler_acquire)(struct pikos_instance *inst,
                                  uint64_t interval_us);
    void (*memory_sampler_release)(struct pikos_instance *inst);
    int (*process_memory_sampled)(uint64_t *rss, uint64_t *vms);

    /*
     * ---- Since 1.2.
     *
     * Focus matching, for a plugin that picks functions by name itself
     * (external/line_profiler): whether `code` is named by one of `names`,
     * by the rules of the host's own `functions` option (f, Class.method,
     * pkg.mod:f, __main__:f, /path/file.py:f; see
     * PIKOS_MONITOR_OPTION_FUNCTIONS).  Returns 1 or 0, or PIKOS_EINVAL for
     * a malformed name (the host has already refused one in a monitor's
     * `functions` option) or PIKOS_ENOMEM.  When `matched` is not NULL,
     * matched[i] is set to 1 for each names->items[i] that names the code
     * and left alone for the others, so that it gathers over a run which
     * names matched nothing.  The names are parsed at each call: call it
     * once per code object and keep the verdict.
     */
    int (*focus_matches)(const struct pikos_strlist *names,
                         const struct pikos_code *code, unsigned char *matched);

    /*
     * ---- Since 1.3.  Timed records (a monitor's `time` option).
     *
     * `run_started_ns` is the clock_ns() reading taken when the instance's
     * pipeline started its current run, before any monitor started: the
     * zero of "time since monitoring started", the same for every monitor
     * of the pipeline.  `os_thread_id` is the calling thread's operating
     * system id (Linux: gettid()), read once per thread and kept, so it
     * costs no system call; a forked child's thread gets its own.
     */
    uint64_t (*run_started_ns)(struct pikos_instance *inst);
    uint64_t (*os_thread_id)(void);

    /*
     * (since 1.3) An output's ending: `len` bytes (at most
     * PIKOS_OUTPUT_ENDING_MAX) that the host writes after everything else
     * however the output ends - at output_close and, under the `pikos`
     * command, after the tail it writes back for a process that died
     * (crash, kill, os._exit) - so that a format with closing brackets or
     * a trailer (JSON, concatenated gzip members) stays whole.  Not on the
     * hot path: set it once the header is written; setting it again
     * replaces it, len 0 removes it.  A forked child never writes its
     * parent's.  Returns 0, or PIKOS_EINVAL when `len` is too long.
     */
    int (*output_set_ending)(struct pikos_output *out, const char *data,
                             size_t len);

    /*
     * ---- Since 1.4.  Durable state, for a recorder that builds its file
     * in memory and writes it at finalize (recorders/profile): what it
     * keeps there outlives the process, so that the `pikos` command can
     * still write the file when the program ends before monitoring stops
     * (os._exit, exec, a signal, a crash; see the descriptor's `salvage`).
     *
     * `state_resize` gives the instance's buffer number `id` (a small
     * number the plugin chooses) `size` bytes, like realloc: made zeroed
     * the first time, its contents kept up to the smaller size, but it may
     * move, so what the plugin keeps inside its buffers are indexes and
     * offsets, never pointers.  NULL when there is no memory (the old
     * buffer stays).  Under the `pikos` command a buffer is a file mapping
     * the command reads after the process ended; elsewhere it is private
     * memory.  Not on the hot path: grow by doubling.  The buffers live
     * until the instance is freed, and a forked child gets private copies
     * that never reach its parent's.
     *
     * `state_get`, in `salvage` only: the buffer `id` the ended process
     * left for this instance, read-only, its size in *size; NULL when it
     * left none.
     */
    void *(*state_resize)(struct pikos_instance *inst, unsigned id,
                          size_t size);
    const void *(*state_get)(struct pikos_instance *inst, unsigned id,
                             size_t *size);

    /*
     * ---- Since 1.5.  Allocation events (PIKOS_EVENT_ALLOC/_FREE).
     *
     * Python's three allocator domains (PyMem_SetAllocator) give them to
     * a monitor whose event_mask asks for them.
     *
     * One frame of an allocation's stack: `stack` (ev->stack, or a
     * *parent given before) is the frame's code and line, and *parent
     * the frame that called it (0 at the outermost).  Stack numbers are
     * the same for the same frames for the whole run, so a monitor
     * aggregates by them and resolves each once.  Needs the GIL and may
     * run Python code (a code object's names): call it from start/stop
     * or a record's emission outside on_event, never from the on_event
     * of an allocation event.  0, or PIKOS_ENOTFOUND (stack 0 or unknown).
     */
    int (*stack_frame)(uint32_t stack, const struct pikos_code **code,
                       int *lineno, uint32_t *parent);
    /*
     * Sampling, from a monitor's `start`: 0 (the default) asks for every
     * block; N for about one block per N bytes allocated, picked at random
     * as tcmalloc and Go's heap profiler pick them (a Poisson process over
     * the bytes: the gaps between picks are exponential with mean N), so
     * the program pays for the stack walk and the monitor only for the
     * blocks picked.  Monitors running together get the events of the
     * finest rate any asks for (every block when one asks for 0), each
     * event saying its rate in ev->sample_bytes.  0, or PIKOS_EINVAL.
     */
    int (*allocations_sample)(struct pikos_instance *inst,
                              uint64_t mean_bytes);
    /*
     * Native mode, from a monitor's `start`: with `native` 1, the C
     * library's malloc, calloc, realloc, posix_memalign, aligned_alloc,
     * memalign, valloc and free give events too (PIKOS_ALLOC_NATIVE), as
     * every loaded library calls them - extension modules' buffers such as
     * numpy's array data - except where Python's own allocators called
     * them (those blocks are already events of their domain).  How: the
     * host points the libraries' entries for those functions (their
     * global offset tables) at its own, libraries loaded later included,
     * and puts them back at stop (docs/design.md).  0, or an error code
     * with the error set (a platform without it: PIKOS_EINVAL).
     */
    int (*allocations_native)(struct pikos_instance *inst, int native);
    /*
     * (since 1.5) A safe point soon, from the on_event of an allocation
     * event: the host calls the descriptor's `safe_point` once, with the
     * GIL held and outside any allocator, as soon as the interpreter can
     * (its pending calls: in the main thread, at the next check of its
     * eval loop), so that the monitor resolves there what it could not in
     * on_event (host->stack_frame).  Asking again before it came is one
     * call.  Never called once the monitor stopped.  0, PIKOS_ENOMEM (the
     * interpreter's queue is full: ask again later) or PIKOS_EINVAL (not
     * an allocation monitor, or no safe_point).
     */
    int (*safe_point_soon)(struct pikos_instance *inst);
};

/* The longest ending output_set_ending takes. */
#define PIKOS_OUTPUT_ENDING_MAX 1024

/* Whether the host table reaches `field`: a plugin tests every entry
   added after 1.0 this way before calling it. */
#define PIKOS_HOST_HAS(host, field)                                            \
    ((host)->struct_size >=                                                    \
     offsetof(struct pikos_host, field) + sizeof((host)->field))

/* ---------------------------------------------------------------- plugin */

enum pikos_kind {
    PIKOS_KIND_MONITOR = 1,
    PIKOS_KIND_FILTER = 2,
    PIKOS_KIND_RECORDER = 3
};

/*
 * The plugin descriptor.  Lifecycle, driven by the host:
 *   validate options -> allocate ctx (ctx_size bytes, zeroed) -> store options
 *   -> init -> start -> ... events ... -> stop -> finalize (recorders)
 *   -> fini -> unload.
 * Callbacks that are not needed may be NULL, except those marked required.
 */
struct pikos_plugin {
    uint32_t abi_major;   /* PIKOS_ABI_MAJOR */
    uint32_t abi_minor;   /* PIKOS_ABI_MINOR */
    uint32_t struct_size; /* sizeof(struct pikos_plugin) */
    uint32_t kind;        /* enum pikos_kind */
    const char *name;     /* as in the manifest */
    const char *version;
    const char *description;
    const struct pikos_option *options; /* {0}-terminated; NULL: none */
    size_t ctx_size;

    /* Every kind. */
    int (*init)(struct pikos_instance *inst, void *ctx,
                const struct pikos_host *host);
    int (*start)(struct pikos_instance *inst, void *ctx);
    int (*stop)(struct pikos_instance *inst, void *ctx);
    void (*fini)(struct pikos_instance *inst, void *ctx);

    /* Monitors (schema required).  A monitor without on_event is given no
       events: it emits from its own start, stop or threads (the external
       monitors emit their statistics at stop and from a timer thread). */
    uint32_t event_mask;    /* PIKOS_EVENT_BIT()s it wants */
    uint32_t monitor_flags; /* PIKOS_MONITOR_* */
    const struct pikos_schema *schema;
    void (*on_event)(struct pikos_instance *inst, void *ctx,
                     const struct pikos_event *ev);
    /* Reserved: was `snapshot` (1.0), which no host ever called; a monitor
       emits statistics when it chooses (see on_event above).  Kept so that
       the fields after it stay in place: leave it NULL; hosts ignore it. */
    int (*reserved_snapshot)(struct pikos_instance *inst, void *ctx);

    /* Filters (filter required). */
    int (*filter_prepare)(struct pikos_instance *inst, void *ctx,
                          const struct pikos_schema *schema);
    int (*filter)(struct pikos_instance *inst, void *ctx,
                  const struct pikos_record *rec); /* PIKOS_PASS/_DROP */

    /* Recorders (record required). */
    int (*prepare)(struct pikos_instance *inst, void *ctx,
                   const struct pikos_schema *schema);
    int (*record)(struct pikos_instance *inst, void *ctx,
                  const struct pikos_record *rec);
    int (*flush)(struct pikos_instance *inst, void *ctx);
    int (*finalize)(struct pikos_instance *inst, void *ctx);

    /* Any kind, optional (since 1.1: appended while 1.0 was current,
       without a minor bump, so a descriptor that says 1.0 may lack it; the
       host tests it with PIKOS_PLUGIN_HAS): answers an embedder's question
       about the instance's state (pikos_instance_query), e.g. "records" for
       recorders/list, which fills a struct pikos_record_list.  Returns 0,
       or PIKOS_ENOTFOUND for a question it does not know. */
    int (*query)(struct pikos_instance *inst, void *ctx, const char *what,
                 void *answer);

    /* Any kind, optional (since 1.1): called in a child made by fork()
       (os.fork, multiprocessing's fork start method) for each instance of
       a pipeline that was running at the fork, before the child runs any
       Python code.  A plugin that can go on in the child sets itself up
       again there (a new socket, thread or stream) and returns 0.  A
       pipeline keeps recording in the child only when each of its
       recorders has after_fork and every after_fork returned 0; otherwise
       it stops recording in the child, and its plugins get no callback
       there at all (not even stop or finalize: what they hold is the
       parent's).  Monitors and filters that hold only memory need none. */
    int (*after_fork)(struct pikos_instance *inst, void *ctx);

    /* Filters and recorders, optional (since 1.2): per-schema state, so
       that a plugin keeps no table of the schemas it has seen.  The host
       calls `prepare_schema` (instead of prepare/filter_prepare) the first
       time the instance is to see records of `schema`: once in the
       instance's life, however often monitoring restarts (prepare and
       filter_prepare are called again in each run).  What it stores in
       *schema_ctx (NULL to start with) the host keeps for that (instance,
       schema) pair, however many schemas there are, and passes back to
       `filter_schema` or `record_schema`, which then replace `filter` or
       `record` (a filter needs one of filter/filter_schema, a recorder one
       of record/record_schema).  When prepare_schema fails, the host keeps
       nothing: free what you allocated before returning.
       `release_schema` is called for each prepared schema just before
       `fini`. */
    int (*prepare_schema)(struct pikos_instance *inst, void *ctx,
                          const struct pikos_schema *schema, void **schema_ctx);
    int (*filter_schema)(struct pikos_instance *inst, void *ctx,
                         void *schema_ctx,
                         const struct pikos_record *rec); /* PASS/DROP */
    int (*record_schema)(struct pikos_instance *inst, void *ctx,
                         void *schema_ctx, const struct pikos_record *rec);
    void (*release_schema)(struct pikos_instance *inst, void *ctx,
                           const struct pikos_schema *schema, void *schema_ctx);

    /* External monitors, optional (since 1.2): the Python module the
       monitor imports (e.g. "yappi") and the distribution package that
       provides it (e.g. "python3-yappi").  Read only by pikos-manifest,
       which writes them as the manifest's python_module and package keys
       (`pikos plugins` names the package when the module is missing); the
       host never reads them from the descriptor.  NULL: none. */
    const char *python_module;
    const char *package;

    /* Monitors, optional (since 1.3): the schema this instance emits,
       given its options (e.g. a `time` option that adds fields), asked
       once after `init`; static data like `schema`.  Without it (or when
       it returns NULL) the instance emits `schema`, which stays the one
       the plugin's help describes. */
    const struct pikos_schema *(*instance_schema)(struct pikos_instance *inst,
                                                  void *ctx);

    /* Recorders with durable state, optional (since 1.4): called by the
       `pikos` command, in its own process, when the program ended before
       monitoring stopped (os._exit, exec, a signal, a crash) and this
       instance had state buffers (host->state_resize) between a start and
       the end of its finalize.  `inst` is a fresh instance made from the
       same spec (same options, `init` called); it reads what the ended
       process left with host->state_get and writes its output as
       finalize would have.  Returns 0, or an error code with the error
       set (the command shows it in one line). */
    int (*salvage)(struct pikos_instance *inst, void *ctx);

    /* Allocation monitors, optional (since 1.5): called once after each
       host->safe_point_soon, with the GIL held and outside any allocator,
       where host->stack_frame may be called.  Allocations made inside are
       pikos's own: no events.  Monitors (since 1.5) may also have a
       `salvage`: the `pikos` command then makes the run's pipeline again
       and the records it emits there reach the run's recorders (stream
       recorders go on after what the ended process wrote). */
    void (*safe_point)(struct pikos_instance *inst, void *ctx);

    /* Monitors, optional (since 1.5): every record type this instance
       may emit, given its options, asked once after `init` (before
       `instance_schema`, which it replaces when it answers).  It writes
       the schemas (static data, like `schema`) into out[0..max) and
       returns how many there are - more than `max` when out is too small:
       the host then asks again with room for all - or a negative code
       with the error set (the instance is not added to the pipeline).
       out[0] is the instance's schema, the one it emits most (records of
       it take the host's shortest path); 0 means "no answer": `schema`
       and `instance_schema` hold.  The host prepares every filter and
       recorder of the pipeline for each of them when the pipeline starts,
       before the program runs, so that a recorder refuses a combination
       it cannot hold (recorders/csv on standard output: one record type)
       at once and in one line, not when the record comes.  A record of a
       schema not declared is still taken (prepared when it first comes),
       as from a monitor without this callback. */
    int (*instance_schemas)(struct pikos_instance *inst, void *ctx,
                            const struct pikos_schema **out, size_t max);
};

/* Whether the descriptor reaches `field` (the host reads the fields
   appended after 1.0 only when it does), like PIKOS_HOST_HAS. */
#define PIKOS_PLUGIN_HAS(plugin, field)                                        \
    ((plugin)->struct_size >=                                                  \
     offsetof(struct pikos_plugin, field) + sizeof((plugin)->field))

/* The answer of recorders/list to query "records": the records kept, in
   order; valid until the next record or the instance is freed. */
struct pikos_record_list {
    size_t count;
    const struct pikos_record *records;
};

/* Exports the descriptor under the symbol the host looks for. */
#if defined(__GNUC__)
#define PIKOS_EXPORT __attribute__((visibility("default")))
#else
#define PIKOS_EXPORT
#endif
#define PIKOS_PLUGIN_DEFINE(...)                                            \
    PIKOS_EXPORT const struct pikos_plugin pikos_plugin_entry = __VA_ARGS__

/* Index of a field by name in a schema, or -1. */
static inline int pikos_schema_field_index(const struct pikos_schema *schema,
                                           const char *name)
{
    for (size_t i = 0; i < schema->nfields; i++) {
        const char *a = schema->fields[i].name, *b = name;
        while (*a && *a == *b) {
            a++;
            b++;
        }
        if (*a == '\0' && *b == '\0')
            return (int)i;
    }
    return -1;
}

#ifdef __cplusplus
}
#endif
#endif /* PIKOS_PLUGIN_H */
