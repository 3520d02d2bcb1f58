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
} formats[] = {
    {"collapsed", "profile.collapsed", 0, write_collapsed},
    {"speedscope", "profile.speedscope.json", 0, write_speedscope},
    {"pprof", "profile.pb.gz", 1, write_pprof},
    {"pstats", "profile.pstats", 0, write_pstats},
};
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

/* What the profile keeps beside its tree (STORE_PROFILE). */
#define PROFILE_STATE_MAGIC UINT64_C(0x31666f7270736f6b) /* "kosprof1" */
struct profile_state {
    uint64_t magic;
    uint64_t last_ns;     /* the run's latest event */
    uint64_t recorded_ns; /* the finished runs' lengths, summed */
    /* The file, absolute: the salvage writes where this process would
       have ("" for standard output). */
    char path[PATH_MAX];
};

struct profile_ctx {
    /* Options, stored by the host. */
    char *format;
    char *filename;

    const struct pikos_host *host;
    const struct profile_format *writes;
    const char *path; /* filename, or the format's default */
    struct pikos_output *out;
    struct store store;
    struct profile_state *saved;
    struct call_tree *tree;
    struct open_calls *calls;
    int lost; /* out of memory on the hot path (reported) */
};

static const struct pikos_option profile_options[] = {
    {"format", PIKOS_OPT_STRING, 0, "collapsed",
     "collapsed, speedscope, pprof or pstats",
     offsetof(struct profile_ctx, format)},
    {"filename", PIKOS_OPT_STRING, 0, "",
     "file to write (empty: profile.collapsed, profile.speedscope.json, "
     "profile.pb.gz or profile.pstats; '-': standard output)",
     offsetof(struct profile_ctx, filename)},
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
    store_free(&self->store, self->saved);
    self->saved = NULL;
}

/* ------------------------------------------------------------ schemas */

static int profile_prepare(struct pikos_instance *inst, void *ctx,
                           const struct pikos_schema *schema, void **schema_ctx)
{
    struct profile_ctx *self = ctx;
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

/* Out of memory on the hot path: the call is not counted, and the run
   fails at stop with this one error. */
static int lose(struct pikos_instance *inst, struct profile_ctx *self)
{
    if (!self->lost)
        self->host->set_error(inst, PIKOS_ENOMEM,
                              "out of memory: calls were left out of the "
                              "profile");
    self->lost = 1;
    return PIKOS_ENOMEM;
}

static int profile_record(struct pikos_instance *inst, void *ctx,
                          void *schema_ctx, const struct pikos_record *rec)
{
    struct profile_ctx *self = ctx;
    struct timed_event e;

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
    struct profile_writer w = {.tree = self->tree,
                               .duration_ns = self->saved->recorded_ns,
                               .sink = &hs.sink,
                               .inst = inst,
                               .host = self->host};
    if (self->writes->compressed) {
        w.rc = gzip_sink_open(&gz, &hs.sink, inst, self->host);
        w.sink = &gz.sink;
    }
    if (w.rc == PIKOS_OK)
        self->writes->write(&w);
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
                   "pprof or pstats",
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
