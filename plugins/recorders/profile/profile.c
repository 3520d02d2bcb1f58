/*
 * recorders/profile - a profile built from timed function records
 * (monitors/functions or function_memory with time=true): each thread's
 * call tree, with call counts and inclusive and exclusive times, written
 * at the end of the run in one of four formats (docs/formats.md):
 *
 *   format=collapsed   folded stacks (flamegraph.pl, inferno, speedscope)
 *   format=speedscope  speedscope's JSON file format, a profile per thread
 *   format=pprof       pprof's gzipped profile.proto (go tool pprof)
 *   format=pstats      cProfile's marshalled stats (pstats, snakeviz)
 *
 * Or a memory profile, from allocation records (monitors/allocations:
 * StackAllocationRecord, or AllocationRecord as one-frame stacks): each
 * stack's bytes and counts allocated, freed, live at the peak and at exit
 * (allocations.h), as collapsed stacks and speedscope weighed by the
 * `memory` option's measure (peak by default), or as a pprof heap profile
 * (alloc_* and inuse_*).  pstats is refused for them, and so is a profile
 * given both kinds of record: the first schema prepared sets the kind.
 *
 * The hot path only walks and updates the tree (open_calls.h,
 * call_tree.h): it allocates when a call path is met for the first time,
 * never again for it.  Calls still open when the run ends are closed at its
 * last timestamp (docs/decisions.md).
 *
 * All it writes the file from lives in the host's durable state (store.h):
 * when the program ends before monitoring stops (os._exit, exec, a
 * signal, a crash), the `pikos` command makes this recorder again from the
 * same spec and calls its salvage, which takes the tree and the open calls
 * the program left and writes the file as finalize would have.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pikos/plugin.h>

#include "../common/timed.h"
#include "allocations.h"
#include "call_tree.h"
#include "formats.h"
#include "open_calls.h"
#include "store.h"

/* What takes timed records, in refusals (the host prefixes them with
   "[recorders/profile]"). */
#define RECORDER "a profile"

static const struct profile_format {
    const char *name;
    const char *default_filename;
    int compressed; /* gzip around the bytes */
    int (*write)(struct profile_writer *w);
    /* From a memory profile; NULL: the format takes no allocations. */
    int (*write_memory)(struct profile_writer *w);
} formats[] = {
    {"collapsed", "profile.collapsed", 0, write_collapsed,
     write_memory_collapsed},
    {"speedscope", "profile.speedscope.json", 0, write_speedscope,
     write_memory_speedscope},
    {"pprof", "profile.pb.gz", 1, write_pprof, write_memory_pprof},
    {"pstats", "profile.pstats", 0, write_pstats, NULL},
};
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

/* The `memory` option: what a memory profile's flame graphs weigh, and
   what pprof's inuse_* are. */
static const struct memory_measure measures[] = {
    {"peak", PEAK_BYTES, "live bytes at the peak",
     "inuse_objects, inuse_space: live when the program's live bytes were "
     "at their peak (pikos memory=peak)"},
    {"exit", EXIT_BYTES, "live bytes when monitoring stopped",
     "inuse_objects, inuse_space: live when monitoring stopped (pikos "
     "memory=exit)"},
    {"alloc", ALLOC_BYTES, "bytes allocated", NULL},
};
#define NMEASURES (sizeof(measures) / sizeof(measures[0]))

/* Which records the profile was given: the first schema prepared says,
   and the other kind is refused. */
enum profile_kind { KIND_NONE, KIND_CALLS, KIND_ALLOCATIONS };

/* What the profile keeps beside its tree (STORE_PROFILE). */
#define PROFILE_STATE_MAGIC UINT64_C(0x31666f7270736f6b) /* "kosprof1" */
struct profile_state {
    uint64_t magic;
    uint64_t last_ns;     /* the run's latest event */
    uint64_t recorded_ns; /* the finished runs' lengths, summed */
    /* The file, absolute: the salvage writes where this process would
       have ("" for standard output). */
    char path[PATH_MAX];
    /* enum profile_kind: a salvage writes a memory profile (empty: its
       records come only at stop) when the schemas were allocations'. */
    uint64_t kind;
};

/* Where an allocation record's fields are (the schema_ctx of its
   schema); `stack` -1 for AllocationRecord (aggregate=line). */
struct alloc_schema {
    int stack, function, filename, lineno;
    int values[ALLOC_NVALUES];
};

struct profile_ctx {
    /* Options, stored by the host. */
    char *format;
    char *filename;
    char *memory; /* "" when not given: peak */

    const struct pikos_host *host;
    const struct profile_format *writes;
    const char *path; /* filename, or the format's default */
    struct pikos_output *out;
    struct store store;
    struct profile_state *saved;
    struct call_tree *tree;
    struct open_calls *calls;
    int lost; /* out of memory on the hot path (reported) */

    enum profile_kind kind;
    const struct memory_measure *measure;
    struct alloc_profile *allocs; /* made with the first allocation schema */
    struct alloc_frame_text *frames; /* a record's stack, parsed */
    size_t frames_cap;
};

static const struct pikos_option profile_options[] = {
    {"format", PIKOS_OPT_STRING, 0, "collapsed",
     "collapsed, speedscope, pprof or pstats",
     offsetof(struct profile_ctx, format)},
    {"filename", PIKOS_OPT_STRING, 0, "",
     "file to write (empty: profile.collapsed, profile.speedscope.json, "
     "profile.pb.gz or profile.pstats; '-': standard output)",
     offsetof(struct profile_ctx, filename)},
    {"memory", PIKOS_OPT_STRING, 0, "",
     "allocation records: what the stacks weigh, peak (empty: live bytes "
     "at the peak), exit (live when monitoring stopped) or alloc (bytes "
     "allocated; not pprof, whose inuse_* it sets)",
     offsetof(struct profile_ctx, memory)},
    {0},
};

/* ------------------------------------------------------------ lifecycle */

static int choose_format(struct pikos_instance *inst, struct profile_ctx *self)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (self->format != NULL &&
            strcmp(self->format, formats[i].name) == 0) {
            self->writes = &formats[i];
            return PIKOS_OK;
        }
    return self->host->set_error(
        inst, PIKOS_EINVAL,
        "option 'format' must be collapsed, speedscope, pprof or pstats, "
        "not '%s'",
        self->format ? self->format : "");
}

/* The `memory` option, checked against the format. */
static int choose_measure(struct pikos_instance *inst, struct profile_ctx *self)
{
    const char *memory = self->memory != NULL ? self->memory : "";
    if (memory[0] != '\0' && self->writes->write_memory == NULL)
        return self->host->set_error(
            inst, PIKOS_EINVAL,
            "option 'memory' is for memory profiles, which format=%s does "
            "not write",
            self->writes->name);
    for (size_t i = 0; i < NMEASURES; i++)
        if (strcmp(memory[0] ? memory : "peak", measures[i].option) == 0) {
            self->measure = &measures[i];
            break;
        }
    if (self->measure == NULL)
        return self->host->set_error(
            inst, PIKOS_EINVAL,
            "option 'memory' must be peak, exit or alloc, not '%s'", memory);
    if (self->measure->comment == NULL &&
        self->writes->write_memory == write_memory_pprof)
        return self->host->set_error(
            inst, PIKOS_EINVAL,
            "option 'memory' of format=pprof must be peak or exit (what "
            "inuse_space is: alloc_space is always there), not '%s'",
            memory);
    return PIKOS_OK;
}

/* `path` made absolute into `dst`: the command that salvages may run
   elsewhere than the program by then.  Standard output stays "". */
static void absolute_path(char *dst, size_t cap, const char *path)
{
    char cwd[PATH_MAX];
    size_t len = strlen(path), dir = 0;
    dst[0] = '\0';
    if (strcmp(path, "-") == 0 || len >= cap)
        return;
    if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL)
        dir = strlen(cwd);
    if (dir + 1 + len >= cap)
        dir = 0; /* as given: the command starts where the program did */
    if (dir > 0) {
        memcpy(dst, cwd, dir);
        dst[dir++] = '/';
    }
    memcpy(dst + dir, path, len + 1);
}

/* The state, the tree and the open calls, in the store. */
static int make_state(struct pikos_instance *inst, struct profile_ctx *self)
{
    self->store = store_of(inst, self->host);
    self->saved = store_resize(&self->store, STORE_PROFILE, NULL,
                               sizeof(*self->saved));
    if (self->saved != NULL) {
        memset(self->saved, 0, sizeof(*self->saved));
        self->saved->magic = PROFILE_STATE_MAGIC;
        absolute_path(self->saved->path, sizeof(self->saved->path), self->path);
        self->tree = call_tree_new_in(&self->store);
    }
    self->calls = self->tree != NULL ? open_calls_new(self->tree) : NULL;
    if (self->calls == NULL)
        return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    return PIKOS_OK;
}

static int profile_init(struct pikos_instance *inst, void *ctx,
                        const struct pikos_host *host)
{
    struct profile_ctx *self = ctx;
    self->host = host;
    int rc = choose_format(inst, self);
    if (rc == PIKOS_OK)
        rc = choose_measure(inst, self);
    if (rc != PIKOS_OK)
        return rc;
    self->path = self->filename && self->filename[0]
                     ? self->filename
                     : self->writes->default_filename;
    rc = make_state(inst, self);
    if (rc != PIKOS_OK)
        return rc;
    /* Opened now, so that an unwritable path fails before the program
       runs; the host has set the error. */
    self->out = host->output_open(inst, self->path);
    return self->out != NULL ? PIKOS_OK : PIKOS_EIO;
}

static void profile_fini(struct pikos_instance *inst, void *ctx)
{
    struct profile_ctx *self = ctx;
    (void)inst;
    if (self->out != NULL)
        self->host->output_close(self->out);
    self->out = NULL;
    open_calls_free(self->calls);
    self->calls = NULL;
    call_tree_free(self->tree);
    self->tree = NULL;
    alloc_profile_free(self->allocs);
    self->allocs = NULL;
    free(self->frames);
    self->frames = NULL;
    store_free(&self->store, self->saved);
    self->saved = NULL;
}

/* ------------------------------------------------------------ schemas */

static const char *const kind_names[] = {"", "function", "allocation"};

/* The profile takes `schema`'s records, of `kind`, unless it was given
   the other kind before (one kind per file). */
static int take_kind(struct pikos_instance *inst, struct profile_ctx *self,
                     enum profile_kind kind, const struct pikos_schema *schema)
{
    if (self->kind != KIND_NONE && self->kind != kind)
        return self->host->set_error(
            inst, PIKOS_EINVAL,
            "%s holds one kind of record: %s (%s records) cannot join the "
            "%s records it takes; profile them in separate runs (every "
            "recorder of a run gets every monitor's records)",
            RECORDER, schema->name, kind_names[kind], kind_names[self->kind]);
    self->kind = kind;
    self->saved->kind = kind;
    return PIKOS_OK;
}

/* The index of the field `name` of `type` in `schema`, or -1. */
static int field_of(const struct pikos_schema *schema, const char *name,
                    uint32_t type)
{
    int i = pikos_schema_field_index(schema, name);
    return i >= 0 && schema->fields[i].type == type ? i : -1;
}

/* Allocation records (monitors/allocations) are told by their int
   alloc_bytes. */
static int is_allocation_schema(const struct pikos_schema *schema)
{
    return field_of(schema, alloc_value_names[ALLOC_BYTES],
                    PIKOS_FIELD_INT) >= 0;
}

/* What else monitors/allocations may emit beside its aggregates: the heap
   over time (interval=), single blocks (threshold=) and the live view's
   snapshots of its top lines (live=: HeapTopRecord, which has the
   aggregates' alloc_bytes and must not count twice).  A profile has no
   use for them and lets them pass (the schema context of each is this
   marker). */
static char passed_by;

static int is_allocation_byproduct(const struct pikos_schema *schema)
{
    return strcmp(schema->name, "HeapRecord") == 0 ||
           strcmp(schema->name, "BlockRecord") == 0 ||
           strcmp(schema->name, "HeapTopRecord") == 0;
}

/* Where the fields of an allocation schema are; an error when it lacks
   one (only `stack` may be missing: AllocationRecord). */
static int bind_allocations(struct pikos_instance *inst,
                            struct profile_ctx *self,
                            const struct pikos_schema *schema,
                            struct alloc_schema *b)
{
    static const char *const texts[] = {"function", "filename"};
    const char *missing = NULL, *type = "int";
    b->stack = field_of(schema, "stack", PIKOS_FIELD_STR);
    b->function = field_of(schema, texts[0], PIKOS_FIELD_STR);
    b->filename = field_of(schema, texts[1], PIKOS_FIELD_STR);
    b->lineno = field_of(schema, "lineno", PIKOS_FIELD_INT);
    for (int v = ALLOC_NVALUES - 1; v >= 0; v--) {
        b->values[v] = field_of(schema, alloc_value_names[v], PIKOS_FIELD_INT);
        if (b->values[v] < 0)
            missing = alloc_value_names[v];
    }
    if (b->lineno < 0)
        missing = "lineno";
    for (int t = 1; t >= 0; t--)
        if ((t ? b->filename : b->function) < 0) {
            missing = texts[t];
            type = "str";
        }
    if (missing == NULL)
        return PIKOS_OK;
    return self->host->set_error(inst, PIKOS_EINVAL,
                                 "a memory profile cannot read %s: it has no "
                                 "%s field '%s'",
                                 schema->name, type, missing);
}

static int prepare_allocations(struct pikos_instance *inst,
                               struct profile_ctx *self,
                               const struct pikos_schema *schema,
                               void **schema_ctx)
{
    if (self->writes->write_memory == NULL)
        return self->host->set_error(
            inst, PIKOS_EINVAL,
            "format=%s takes function records, not allocation records "
            "(%s): write a memory profile with format=pprof, collapsed "
            "or speedscope",
            self->writes->name, schema->name);
    struct alloc_schema *bound = malloc(sizeof(*bound));
    if (bound == NULL)
        return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    int rc = bind_allocations(inst, self, schema, bound);
    if (rc == PIKOS_OK)
        rc = take_kind(inst, self, KIND_ALLOCATIONS, schema);
    if (rc == PIKOS_OK && self->allocs == NULL &&
        (self->allocs = alloc_profile_new()) == NULL)
        rc = self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    if (rc != PIKOS_OK) {
        free(bound);
        return rc;
    }
    *schema_ctx = bound;
    return PIKOS_OK;
}

static int profile_prepare(struct pikos_instance *inst, void *ctx,
                           const struct pikos_schema *schema, void **schema_ctx)
{
    struct profile_ctx *self = ctx;
    if (is_allocation_byproduct(schema)) {
        *schema_ctx = &passed_by;
        return PIKOS_OK;
    }
    if (is_allocation_schema(schema))
        return prepare_allocations(inst, self, schema, schema_ctx);
    struct timed_schema *bound = malloc(sizeof(*bound));
    if (bound == NULL)
        return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    int rc = timed_schema_bind(inst, self->host, RECORDER, schema, bound);
    if (rc == PIKOS_OK && bound->type < 0)
        rc = self->host->set_error(
            inst, PIKOS_EINVAL,
            "%s takes function records (monitors/functions or "
            "function_memory with time=true), not %s",
            RECORDER, schema->name);
    if (rc == PIKOS_OK && self->memory != NULL && self->memory[0] != '\0')
        rc = self->host->set_error(
            inst, PIKOS_EINVAL,
            "option 'memory' is for allocation records "
            "(monitors/allocations), not %s",
            schema->name);
    if (rc == PIKOS_OK)
        rc = take_kind(inst, self, KIND_CALLS, schema);
    if (rc != PIKOS_OK) {
        free(bound);
        return rc;
    }
    *schema_ctx = bound;
    return PIKOS_OK;
}

static void profile_release(struct pikos_instance *inst, void *ctx,
                            const struct pikos_schema *schema, void *schema_ctx)
{
    (void)inst, (void)ctx, (void)schema;
    if (schema_ctx != &passed_by)
        free(schema_ctx);
}

/* ------------------------------------------------------------ reading */

/* A string of a record, as timed.c reads it: empty when absent. */
static struct timed_text text_at(const struct pikos_value *values, int i)
{
    struct timed_text t = {"", 0};
    if (i >= 0 && values[i].u.s.len > 0) {
        t.ptr = values[i].u.s.ptr;
        t.len = values[i].u.s.len;
    }
    return t;
}

/* The event a record's `type` names. */
static enum timed_kind kind_at(const struct timed_schema *bound,
                               const struct pikos_value *values)
{
    /* prepare_schema refused schemas without a type */
    struct timed_text type = {values[bound->type].u.s.ptr,
                              values[bound->type].u.s.len};
    return timed_kind_of(type);
}

/*
 * The hot path's timed_event_read: the same event, but only the fields a
 * profile uses - the kind, time and thread of every record, the function
 * of a call.  timed_event_read fills every field for every recorder (the
 * line's text, memory), which cost more per record than the rest of the
 * profile.
 */
static void read_event(const struct timed_schema *bound,
                       const struct pikos_value *values, struct timed_event *e)
{
    e->kind = kind_at(bound, values);
    e->time_ns = (uint64_t)values[bound->time].u.i;
    e->thread = (uint64_t)values[bound->thread].u.i;
    if (e->kind != TIMED_CALL && e->kind != TIMED_C_CALL)
        return;
    e->function = text_at(values, bound->function);
    e->filename = text_at(values, bound->filename);
    e->first_lineno =
        bound->first_lineno >= 0 ? values[bound->first_lineno].u.i : 0;
}

/* ------------------------------------------------------------ the hot path */

/* Out of memory on the hot path: the call (or stack) is not counted, and
   the run fails at stop with this one error. */
static int lose(struct pikos_instance *inst, struct profile_ctx *self)
{
    if (!self->lost)
        self->host->set_error(inst, PIKOS_ENOMEM,
                              "out of memory: %s were left out of the "
                              "profile",
                              self->kind == KIND_ALLOCATIONS ? "stacks"
                                                             : "calls");
    self->lost = 1;
    return PIKOS_ENOMEM;
}

/* Room for `depth` parsed frames; -1 when out of memory. */
static int reserve_frames(struct profile_ctx *self, size_t depth)
{
    if (depth <= self->frames_cap)
        return 0;
    struct alloc_frame_text *grown =
        realloc(self->frames, 2 * depth * sizeof(*grown));
    if (grown == NULL)
        return -1;
    self->frames = grown;
    self->frames_cap = 2 * depth;
    return 0;
}

/*
 * An allocation record (they come at stop, one per stack): its `stack`
 * split at ';' and each frame parsed (alloc_frame_parse); a record
 * without one (AllocationRecord, or an empty stack) is the one frame of
 * its function, filename and lineno.  Out of line: the function records'
 * hot path only tests the profile's kind.
 */
static __attribute__((noinline, cold)) int
record_allocations(struct pikos_instance *inst, struct profile_ctx *self,
                   const struct alloc_schema *b,
                   const struct pikos_value *values)
{
    int64_t counts[ALLOC_NVALUES];
    for (int v = 0; v < ALLOC_NVALUES; v++)
        counts[v] = values[b->values[v]].u.i;
    struct timed_text stack = text_at(values, b->stack);
    size_t depth = 1;
    for (size_t i = 0; i < stack.len; i++)
        depth += stack.ptr[i] == ';';
    if (reserve_frames(self, depth) < 0)
        return lose(inst, self);
    if (stack.len == 0) {
        struct timed_text function = text_at(values, b->function);
        struct timed_text filename = text_at(values, b->filename);
        self->frames[0] = (struct alloc_frame_text){
            function.ptr, function.len, filename.ptr, filename.len,
            values[b->lineno].u.i};
    }
    for (size_t d = 0, start = 0; stack.len > 0 && d < depth; d++) {
        size_t end = start;
        while (end < stack.len && stack.ptr[end] != ';')
            end++;
        alloc_frame_parse(stack.ptr + start, end - start, &self->frames[d]);
        start = end + 1;
    }
    return alloc_profile_add(self->allocs, self->frames, depth, counts) == 0
               ? PIKOS_OK
               : lose(inst, self);
}

static int profile_record(struct pikos_instance *inst, void *ctx,
                          void *schema_ctx, const struct pikos_record *rec)
{
    struct profile_ctx *self = ctx;
    struct timed_event e;

    if (__builtin_expect(schema_ctx == &passed_by, 0))
        return PIKOS_OK;
    if (__builtin_expect(self->kind == KIND_ALLOCATIONS, 0))
        return record_allocations(inst, self, schema_ctx, rec->values);

    read_event(schema_ctx, rec->values, &e);
    if (e.time_ns > self->saved->last_ns)
        self->saved->last_ns = e.time_ns;
    return open_calls_event(self->calls, &e) == 0 ? PIKOS_OK : lose(inst, self);
}

/* ------------------------------------------------------------ writing */

/* The whole profile (every run so far) into the output. */
static int write_profile(struct pikos_instance *inst, struct profile_ctx *self)
{
    struct host_sink hs;
    struct gzip_sink gz;
    host_sink_init(&hs, self->host, self->out);
    int (*write)(struct profile_writer *) = self->writes->write;
    if (self->kind == KIND_ALLOCATIONS) {
        write = self->writes->write_memory;
        if (self->allocs == NULL && (self->allocs = alloc_profile_new()) == NULL)
            return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    }
    struct profile_writer w = {.tree = self->tree,
                               .allocs = self->allocs,
                               .measure = self->measure,
                               .duration_ns = self->saved->recorded_ns,
                               .sink = &hs.sink,
                               .inst = inst,
                               .host = self->host};
    if (self->writes->compressed) {
        w.rc = gzip_sink_open(&gz, &hs.sink, inst, self->host);
        w.sink = &gz.sink;
    }
    if (w.rc == PIKOS_OK)
        write(&w);
    if (self->writes->compressed) {
        int closed = gzip_sink_close(&gz);
        if (w.rc == PIKOS_OK)
            w.rc = closed;
    }
    bytes_free(&w.unit);
    return w.rc;
}

/*
 * The end of a run: open calls end at its last timestamp, and the file
 * gets the profile of every run so far.  A later run's finalize opens the
 * file again (truncating it) and writes the grown profile, so the file
 * always holds one whole profile.
 */
static int profile_finalize(struct pikos_instance *inst, void *ctx)
{
    struct profile_ctx *self = ctx;
    open_calls_close_all(self->calls, self->saved->last_ns);
    self->saved->recorded_ns += self->saved->last_ns;
    self->saved->last_ns = 0;
    if (self->out == NULL)
        self->out = self->host->output_open(inst, self->path);
    if (self->out == NULL)
        return PIKOS_EIO;
    int rc = write_profile(inst, self);
    self->host->output_close(self->out);
    self->out = NULL;
    return rc;
}

/* ------------------------------------------------------------ salvage */

/* What the ended process left, in this instance's own store; -1 when it
   left nothing whole enough to write. */
static int restore(struct profile_ctx *self)
{
    size_t size;
    struct profile_state *left =
        store_restore(&self->store, STORE_PROFILE, &size);
    if (left == NULL || size < sizeof(*left) ||
        left->magic != PROFILE_STATE_MAGIC)
        return -1;
    self->saved = left;
    self->saved->path[sizeof(left->path) - 1] = '\0';
    /* A memory profile's records had not come: it writes an empty one. */
    if (left->kind == KIND_ALLOCATIONS && self->writes->write_memory != NULL)
        self->kind = KIND_ALLOCATIONS;
    return call_tree_restore(self->tree) == 0 &&
                   open_calls_restore(self->calls) == 0
               ? 0
               : -1;
}

/* The program ended before monitoring stopped: its profile, from the
   state it left, written where it would have written it, as finalize
   writes it (open calls ending at its last event). */
static int profile_salvage(struct pikos_instance *inst, void *ctx)
{
    struct profile_ctx *self = ctx;
    if (restore(self) < 0)
        return self->host->set_error(inst, PIKOS_EIO,
                                     "the program left no whole profile");
    if (self->saved->path[0] != '\0') {
        self->host->output_close(self->out);
        self->out = NULL;
        self->path = self->saved->path;
    }
    return profile_finalize(inst, ctx);
}

PIKOS_PLUGIN_DEFINE({
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_RECORDER,
    .name = "profile",
    .version = "0.1.0",
    .description = "Build each thread's call tree from timed function "
                   "records and write it as collapsed stacks, speedscope, "
                   "pprof or pstats; or a memory profile from allocation "
                   "records (monitors/allocations), as collapsed stacks, "
                   "speedscope or a pprof heap profile",
    .options = profile_options,
    .ctx_size = sizeof(struct profile_ctx),
    .init = profile_init,
    .fini = profile_fini,
    .finalize = profile_finalize,
    .prepare_schema = profile_prepare,
    .record_schema = profile_record,
    .release_schema = profile_release,
    .salvage = profile_salvage,
});
