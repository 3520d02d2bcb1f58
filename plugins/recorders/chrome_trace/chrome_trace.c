/*
 * recorders/chrome_trace - timed records as Chrome's Trace Event Format
 * (JSON Object Format), for the tools that read only that: chrome://tracing,
 * Perfetto's JSON import, speedscope, vizviewer.  Plain JSON or gzip.
 *
 * Per thread, every Python call and C call becomes a slice: a "B" event
 * when it starts and an "E" event when it ends, written as the records
 * come (streamed: memory holds only the calls open now).  Calls are
 * matched to their ends by the shared rules of call_stacks.h (ends that
 * match nothing are dropped; calls still open when the run ends orderly
 * end at the run's last timestamp).  Memory records (RSS, VMS) add a
 * "memory" counter event whenever the numbers change; line records add an
 * instant event on their thread.  Each thread gets a thread_name event
 * when first seen, the process a process_name event (its command line).
 *
 * Valid JSON however the run ends: the header is written when the
 * recorder starts, every event brings its own leading comma, and the
 * closing brackets are the output's ending (ABI 1.3), which the host
 * writes at close or after what a killed process left.  Timestamps are
 * microseconds since monitoring started, with the records' nanoseconds as
 * three decimals; a later run of the same recorder goes on from the
 * first run's start.  Records without time and thread are refused (see
 * timed.h).  events.h describes the text, sink.h where it goes.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pikos/plugin.h>

#include "../common/call_stacks.h"
#include "../common/timed.h"
#include "events.h"
#include "sink.h"

/* Who takes timed records, in timed_schema_bind's refusal (the host
   prefixes it with "[recorders/chrome_trace]"). */
#define RECORDER_NAME "a Chrome trace"
#define PROCESS_NAME_MAX 512

struct chrome_trace_ctx {
    /* Options, stored by the host. */
    char *filename;
    char *compress;
    int64_t gzip_level;
    int64_t gzip_block;

    const struct pikos_host *host;
    struct pikos_instance *inst;
    struct trace_sink sink;
    uint64_t pid;
    struct call_stacks *stacks;
    /* Time: records count from their run's start; the trace from the
       first run's. */
    int started_before;
    uint64_t first_run_ns, run_offset_ns, last_ns;
    /* The last memory counter written. */
    int has_memory;
    int64_t rss, vms;
    int pop_rc; /* the first failure while ending slices */
};

static const struct pikos_option chrome_trace_options[] = {
    {"filename", PIKOS_OPT_STRING, 0, "pikos-trace.json",
     "file to write (\"-\": standard output); a name ending in .gz is "
     "written as gzip",
     offsetof(struct chrome_trace_ctx, filename)},
    {"compress", PIKOS_OPT_STRING, 0, "auto",
     "gzip, none, or auto: gzip when filename ends in .gz",
     offsetof(struct chrome_trace_ctx, compress)},
    {"gzip_level", PIKOS_OPT_INT, 0, "1",
     "gzip compression level, 1 (fastest) to 9 (smallest)",
     offsetof(struct chrome_trace_ctx, gzip_level)},
    {"gzip_block", PIKOS_OPT_INT, 0, "65536",
     "bytes of JSON per gzip member: what a crash can lose with gzip",
     offsetof(struct chrome_trace_ctx, gzip_block)},
    {0},
};

/* The thread's open slices' fragments (events.h), innermost last: each
   frame keeps where its own is, so that its "E" repeats its "B". */
struct trace_thread {
    char *text;
    size_t len, cap;
};

struct slice_frame {
    struct call_frame call; /* first, as call_stacks.h wants */
    size_t at, len;
};

/* ------------------------------------------------------------ writing */

/* Each event is built in the room the sink reserves for its bound, then
   the bytes used are kept.  Without room, the error is set and its code
   is the sink's `failure`. */
static char *room_for(struct chrome_trace_ctx *self, size_t max)
{
    return trace_sink_reserve(&self->sink, max);
}

static int keep(struct chrome_trace_ctx *self, const char *room,
                const char *end)
{
    return trace_sink_commit(&self->sink, (size_t)(end - room));
}

static int write_thread_name(struct chrome_trace_ctx *self, uint64_t tid)
{
    const char *name = tid == self->pid ? "main thread" : "thread";
    size_t len = strlen(name);
    char *room = room_for(self, thread_name_event_max(len));

    if (room == NULL)
        return self->sink.failure;
    return keep(self, room,
                thread_name_event(room, self->pid, tid, name, len));
}

/* The memory counter, when the numbers changed. */
static int write_memory(struct chrome_trace_ctx *self,
                        const struct timed_event *e)
{
    char *room;

    if (self->has_memory && e->rss == self->rss && e->vms == self->vms)
        return PIKOS_OK;
    self->has_memory = 1;
    self->rss = e->rss;
    self->vms = e->vms;
    if ((room = room_for(self, memory_event_max())) == NULL)
        return self->sink.failure;
    return keep(self, room,
                memory_event(room, e->time_ns, self->pid, e->thread, e->rss,
                             e->vms));
}

static int write_slice_edge(struct chrome_trace_ctx *self, char phase,
                            uint64_t ts_ns, uint64_t tid, const char *fragment,
                            size_t len)
{
    char *room = room_for(self, duration_event_max(len));

    if (room == NULL)
        return self->sink.failure;
    return keep(self, room,
                duration_event(room, phase, ts_ns, self->pid, tid, fragment,
                               len));
}

static int write_line(struct chrome_trace_ctx *self,
                      const struct timed_event *e)
{
    char *room = room_for(self, line_event_max(e, e->line.len));

    if (room == NULL)
        return self->sink.failure;
    return keep(self, room,
                line_event(room, e->time_ns, self->pid, e, e->line.ptr,
                           e->line.len));
}

/* ------------------------------------------------------------ threads */

/* The thread's state, made (and its thread_name event written) the
   first time it is seen. */
static struct trace_thread *thread_of(struct chrome_trace_ctx *self,
                                      struct call_stack *stack)
{
    if (stack->user != NULL)
        return stack->user;
    struct trace_thread *thread = calloc(1, sizeof(*thread));
    if (thread == NULL) {
        self->host->set_error(self->inst, PIKOS_ENOMEM, "out of memory");
        return NULL;
    }
    stack->user = thread;
    return write_thread_name(self, stack->thread) == PIKOS_OK ? thread : NULL;
}

/* Room for `more` bytes of fragments. */
static int thread_grow(struct chrome_trace_ctx *self,
                       struct trace_thread *thread, size_t more)
{
    if (more <= thread->cap - thread->len)
        return PIKOS_OK;
    size_t cap = thread->cap ? thread->cap : 4096;
    while (cap - thread->len < more)
        cap *= 2;
    char *grown = realloc(thread->text, cap);
    if (grown == NULL)
        return self->host->set_error(self->inst, PIKOS_ENOMEM,
                                     "out of memory");
    thread->text = grown;
    thread->cap = cap;
    return PIKOS_OK;
}

static void free_threads(struct call_stacks *stacks)
{
    struct call_stack *stack;

    for (size_t i = 0; (stack = call_stacks_at(stacks, i)) != NULL; i++) {
        struct trace_thread *thread = stack->user;
        if (thread != NULL)
            free(thread->text);
        free(thread);
        stack->user = NULL;
    }
}

/* ------------------------------------------------------------ slices */

/* A call begins: its fragment is kept on the thread, then written. */
static int begin_slice(struct chrome_trace_ctx *self, struct call_stack *stack,
                       const struct timed_event *e)
{
    struct slice_frame *frame = call_stack_top(self->stacks, stack);
    struct trace_thread *thread = thread_of(self, stack);

    if (thread == NULL ||
        thread_grow(self, thread, slice_fragment_max(e)) != PIKOS_OK)
        return PIKOS_ENOMEM;
    char *start = thread->text + thread->len;
    frame->at = thread->len;
    frame->len = (size_t)(slice_fragment(start, e) - start);
    thread->len += frame->len;
    return write_slice_edge(self, 'B', e->time_ns, stack->thread, start,
                            frame->len);
}

/* call_stacks' on_pop: a call ends, innermost first. */
static void end_slice(struct call_stack *stack, void *top, uint64_t end_ns,
                      void *arg)
{
    struct chrome_trace_ctx *self = arg;
    struct slice_frame *frame = top;
    struct trace_thread *thread = stack->user;
    int rc;

    if (thread == NULL || frame->len == 0) /* no begin: the error is set */
        return;
    rc = write_slice_edge(self, 'E', end_ns, stack->thread,
                          thread->text + frame->at, frame->len);
    if (rc != PIKOS_OK && self->pop_rc == PIKOS_OK)
        self->pop_rc = rc;
    thread->len = frame->at;
}

static int function_event(struct chrome_trace_ctx *self,
                          const struct timed_event *e)
{
    struct call_stack *stack;

    self->pop_rc = PIKOS_OK;
    switch (call_stacks_event(self->stacks, e, &stack, end_slice, self)) {
    case CALL_STACK_PUSHED:
        return begin_slice(self, stack, e);
    case CALL_STACK_NOMEM:
        return self->host->set_error(self->inst, PIKOS_ENOMEM,
                                     "out of memory");
    default:
        return self->pop_rc;
    }
}

static int line_event_of(struct chrome_trace_ctx *self,
                         const struct timed_event *e)
{
    struct call_stack *stack = call_stacks_get(self->stacks, e->thread);

    if (stack == NULL)
        return self->host->set_error(self->inst, PIKOS_ENOMEM,
                                     "out of memory");
    if (thread_of(self, stack) == NULL)
        return PIKOS_ENOMEM;
    return write_line(self, e);
}

/* ------------------------------------------------------------ records */

static int chrome_trace_prepare(struct pikos_instance *inst, void *ctx,
                                const struct pikos_schema *schema,
                                void **schema_ctx)
{
    struct chrome_trace_ctx *self = ctx;
    /* The schema's context: where its fields are. */
    struct timed_schema *mine = calloc(1, sizeof(*mine));
    int rc;

    if (mine == NULL)
        return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    rc = timed_schema_bind(inst, self->host, RECORDER_NAME, schema, mine);
    if (rc != PIKOS_OK) {
        free(mine);
        return rc;
    }
    *schema_ctx = mine;
    return PIKOS_OK;
}

static void chrome_trace_release(struct pikos_instance *inst, void *ctx,
                                 const struct pikos_schema *schema,
                                 void *schema_ctx)
{
    (void)inst;
    (void)ctx;
    (void)schema;
    free(schema_ctx);
}

static int chrome_trace_record(struct pikos_instance *inst, void *ctx,
                               void *schema_ctx,
                               const struct pikos_record *rec)
{
    struct chrome_trace_ctx *self = ctx;
    const struct timed_schema *bound = schema_ctx;
    struct timed_event e;
    int rc = PIKOS_OK;

    (void)inst;
    timed_event_read(bound, rec->values, &e);
    e.time_ns += self->run_offset_ns;
    if (e.time_ns > self->last_ns)
        self->last_ns = e.time_ns;
    if (e.has_memory)
        rc = write_memory(self, &e);
    if (rc != PIKOS_OK)
        return rc;
    if (e.kind == TIMED_LINE)
        return line_event_of(self, &e);
    return function_event(self, &e);
}

/* ------------------------------------------------------------ lifecycle */

/* The process's command line (/proc/self/cmdline, arguments joined by
   spaces), or "python". */
static size_t process_name(char *name, size_t cap)
{
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, name, cap) : -1;

    if (fd >= 0)
        close(fd);
    while (n > 0 && name[n - 1] == '\0')
        n--;
    if (n <= 0) {
        memcpy(name, "python", 6);
        return 6;
    }
    for (ssize_t i = 0; i < n; i++)
        if (name[i] == '\0')
            name[i] = ' ';
    return (size_t)n;
}

static int ends_with(const char *text, const char *suffix)
{
    size_t len = strlen(text), slen = strlen(suffix);
    return len >= slen && strcmp(text + len - slen, suffix) == 0;
}

/* gzip or not, from compress= and the file's name; -1: a bad value. */
static int wants_gzip(const struct chrome_trace_ctx *self)
{
    const char *compress = self->compress != NULL ? self->compress : "auto";
    const char *filename = self->filename != NULL ? self->filename : "";

    if (strcmp(compress, "auto") == 0)
        return ends_with(filename, ".gz");
    if (strcmp(compress, "gzip") == 0)
        return 1;
    return strcmp(compress, "none") == 0 ? 0 : -1;
}

static int check_options(struct pikos_instance *inst,
                         struct chrome_trace_ctx *self)
{
    if (wants_gzip(self) < 0)
        return self->host->set_error(
            inst, PIKOS_EINVAL,
            "option 'compress' must be auto, gzip or none, not '%s'",
            self->compress);
    if (self->gzip_level < 1 || self->gzip_level > 9)
        return self->host->set_error(
            inst, PIKOS_EINVAL,
            "option 'gzip_level' must be 1 to 9, not %lld",
            (long long)self->gzip_level);
    if (self->gzip_block < 1024 || self->gzip_block > (64 << 20))
        return self->host->set_error(
            inst, PIKOS_EINVAL,
            "option 'gzip_block' must be 1024 to 67108864 bytes, not %lld",
            (long long)self->gzip_block);
    if (!PIKOS_HOST_HAS(self->host, output_set_ending))
        return self->host->set_error(
            inst, PIKOS_EABI,
            "needs a host with output endings (ABI 1.3)");
    return PIKOS_OK;
}

/* The file, its header and its ending. */
static int open_trace(struct pikos_instance *inst,
                      struct chrome_trace_ctx *self)
{
    struct trace_sink_gzip gzip = {(int)self->gzip_level,
                                   (size_t)self->gzip_block};
    char name[PROCESS_NAME_MAX];
    size_t len = process_name(name, sizeof(name));
    char *header = malloc(trace_header_max(len));
    int rc = trace_sink_open(&self->sink, inst, self->host, self->filename,
                             wants_gzip(self) ? &gzip : NULL);

    if (rc == PIKOS_OK && header == NULL)
        rc = self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    if (rc == PIKOS_OK) {
        len = (size_t)(trace_header(header, self->pid, name, len) - header);
        rc = trace_sink_begin(&self->sink, header, len, TRACE_ENDING,
                              sizeof(TRACE_ENDING) - 1);
    }
    free(header);
    return rc;
}

static int chrome_trace_init(struct pikos_instance *inst, void *ctx,
                             const struct pikos_host *host)
{
    struct chrome_trace_ctx *self = ctx;
    int rc;

    self->host = host;
    self->inst = inst;
    self->pid = (uint64_t)getpid();
    if ((rc = check_options(inst, self)) != PIKOS_OK)
        return rc;
    self->stacks = call_stacks_new(sizeof(struct slice_frame));
    if (self->stacks == NULL)
        return host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    /* Opened now, so that an unwritable path fails before the program
       runs. */
    return open_trace(inst, self);
}

static int chrome_trace_start(struct pikos_instance *inst, void *ctx)
{
    struct chrome_trace_ctx *self = ctx;
    uint64_t started = self->host->run_started_ns(inst);

    if (!self->started_before)
        self->first_run_ns = started;
    self->started_before = 1;
    self->run_offset_ns = started - self->first_run_ns;
    return PIKOS_OK;
}

static int chrome_trace_flush(struct pikos_instance *inst, void *ctx)
{
    (void)inst;
    return trace_sink_flush(&((struct chrome_trace_ctx *)ctx)->sink);
}

/* An orderly end: calls still open end at the last timestamp. */
static int chrome_trace_finalize(struct pikos_instance *inst, void *ctx)
{
    struct chrome_trace_ctx *self = ctx;

    self->pop_rc = PIKOS_OK;
    call_stacks_close_all(self->stacks, self->last_ns, end_slice, self);
    int flushed = chrome_trace_flush(inst, ctx);
    return self->pop_rc != PIKOS_OK ? self->pop_rc : flushed;
}

static void chrome_trace_fini(struct pikos_instance *inst, void *ctx)
{
    struct chrome_trace_ctx *self = ctx;

    (void)inst;
    trace_sink_close(&self->sink); /* the host writes the ending */
    if (self->stacks != NULL) {
        free_threads(self->stacks);
        call_stacks_free(self->stacks);
    }
    self->stacks = NULL;
}

PIKOS_PLUGIN_DEFINE({
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_RECORDER,
    .name = "chrome_trace",
    .version = "0.1.0",
    .description = "Write timed records as a Chrome trace (Trace Event "
                   "Format JSON, or gzip) for chrome://tracing, Perfetto, "
                   "speedscope",
    .options = chrome_trace_options,
    .ctx_size = sizeof(struct chrome_trace_ctx),
    .init = chrome_trace_init,
    .start = chrome_trace_start,
    .fini = chrome_trace_fini,
    .flush = chrome_trace_flush,
    .finalize = chrome_trace_finalize,
    .prepare_schema = chrome_trace_prepare,
    .record_schema = chrome_trace_record,
    .release_schema = chrome_trace_release,
});
