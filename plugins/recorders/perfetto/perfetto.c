/*
 * recorders/perfetto - timed records as a Perfetto trace (TrackEvent
 * protobuf), the format ui.perfetto.dev and trace_processor open natively.
 *
 * What the trace holds (docs/formats.md, "Perfetto"):
 *   - a track for the process (pid, program name, command line) and one
 *     per thread (its OS thread id; the thread whose id is the pid is the
 *     main thread);
 *   - a slice for every Python and C call, nested as the calls were, each
 *     named by its function, Python's with their file and first line as
 *     an interned source location;
 *   - an instant for every line event (`lines=true`, the default), named
 *     by the line's text, with its file, line and function;
 *   - RSS and VMS counter tracks when a memory monitor runs;
 *   - a "Python heap (bytes)" counter track from heap records
 *     (monitors/allocations interval=N: live_bytes, time, thread).
 *
 * As Perfetto's own SDK writes it, each thread's packets form a sequence
 * of their own (trusted_packet_sequence_id): its first packet clears the
 * sequence's state and sets its defaults, the thread's track and an
 * incremental clock whose timestamps are deltas from the packet before,
 * so that most timestamps take one or two bytes; names and source
 * locations are interned (InternedData) the first time a sequence uses
 * them.  Each packet goes to the host's output in one write, whole: the
 * file can be read up to the last packet written, whenever the program
 * stopped.
 *
 * The hot path (an event whose name its sequence has, later than the
 * sequence's last) reads only the fields its event needs, keeps the
 * thread's open calls with its track (open_slices.h), finds the name of
 * a call among the recent ones by its strings' addresses (intern.h) and
 * puts its packet straight into the output's buffer, copied from bytes
 * encoded ahead (packets.h, pieces). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pikos/plugin.h>

#include "../common/timed.h"
#include "intern.h"
#include "named_pieces.h"
#include "open_slices.h"
#include "packets.h"
#include "process.h"
#include "proto.h"

/* What takes timed records, in refusals (the host prefixes them with
   "[recorders/perfetto]"). */
#define RECORDER_NAME "a Perfetto trace"

/* The hot path's steps, inlined whatever the compiler's estimate of
   their size (each is one branch of perfetto_record). */
#define HOT static inline __attribute__((always_inline))

/* Track uuids: the process's and its counters' are fixed, each thread's
   follows from its sequence. */
#define PROCESS_UUID 1u
#define RSS_UUID 2u
#define VMS_UUID 3u
#define HEAP_UUID 4u
#define THREAD_UUID_BASE 16u
/* Sequence 1 holds the process's and the counters' tracks; threads get
   2, 3, ... in the order they first appear. */
#define PROCESS_SEQUENCE 1u

/* A thread's track and the state of its packet sequence. */
struct thread_track {
    uint64_t tid;
    uint32_t sequence;
    int started;      /* the sequence has its clock and track (this run) */
    uint64_t last_ns; /* the time of its last packet on the incremental
                         clock (ns since the run started) */
    /* The hot path's packets (packets.h): a slice end's piece, and the
       piece of each entry whose InternedData the sequence has. */
    struct packet_piece end;
    struct named_pieces named;
    struct open_slices calls; /* its open calls, each a slice begun */
};

struct perfetto_ctx {
    /* Options, stored by the host. */
    char *filename;
    int lines;

    const struct pikos_host *host;
    struct pikos_instance *inst;
    struct pikos_output *out;
    /* The host's output_reserve and output_commit, or (a host without
       them) a reserve that finds no room: packets are then written whole
       with output_write. */
    char *(*reserve)(struct pikos_output *out, size_t len);
    int (*commit)(struct pikos_output *out, size_t used);
    int status; /* the first failure of the hot path, to return */

    struct process_info process;
    struct intern_table *names;
    struct thread_track **threads; /* in the order first seen */
    size_t nthreads, threads_cap;
    struct thread_track *last_thread; /* the track of the last record */
    uint32_t next_sequence;
    uint64_t boottime_offset_ns; /* CLOCK_BOOTTIME - CLOCK_MONOTONIC */
    uint64_t last_ns;            /* the latest time seen in this run */

    int counters_described;
    int64_t last_rss, last_vms; /* the values last written, -1: none */
    int heap_described; /* the heap's counter track (heap records) */
    int64_t last_heap;  /* -1: none */

    unsigned char *scratch; /* packets too large for the output's buffer */
    size_t scratch_cap;
    int packet_in_place; /* the packet being written is in the output */
};

/* The context of one record schema. */
struct perfetto_schema {
    struct timed_schema bound;
    int has_memory; /* it has RSS and VMS */
    int heap;       /* a heap record: its live_bytes field, else -1 */
    int skipped;    /* an allocation aggregate beside heap records */
};

static const struct pikos_option perfetto_options[] = {
    {"filename", PIKOS_OPT_STRING, 0, "pikos.perfetto-trace",
     "file to write (- or empty: standard output)",
     offsetof(struct perfetto_ctx, filename)},
    {"lines", PIKOS_OPT_BOOL, 0, "true",
     "line events (line monitors) as instants on their thread's track",
     offsetof(struct perfetto_ctx, lines)},
    {0},
};

/* ------------------------------------------------------------ output */

/* Keeps the first failure for the record callback to return. */
static void failed(struct perfetto_ctx *self, int code)
{
    if (self->status == PIKOS_OK)
        self->status = code;
}

/* Room for a packet of at most `max` bytes: in the output's own buffer
   where it can, else in the context's (grown once for long names). */
static int begin_packet(struct perfetto_ctx *self, struct pb_buf *b, size_t max)
{
    void *dst = self->reserve(self->out, max);
    self->packet_in_place = dst != NULL;
    if (dst == NULL && max > self->scratch_cap) {
        unsigned char *grown = realloc(self->scratch, max);
        if (grown == NULL) {
            failed(self, self->host->set_error(self->inst, PIKOS_ENOMEM,
                                               "out of memory"));
            return 0;
        }
        self->scratch = grown;
        self->scratch_cap = max;
    }
    pb_init(b, dst != NULL ? dst : self->scratch, max);
    return 1;
}

/* Hands the packet to the output, whole, in one write. */
static void end_packet(struct perfetto_ctx *self, struct pb_buf *b)
{
    int rc;
    if (b->overflow) /* a bound in packets.c is wrong: a bug */
        rc = self->host->set_error(self->inst, PIKOS_EPLUGIN,
                                   "a packet outgrew its %zu bytes",
                                   (size_t)(b->end - b->start));
    else if (self->packet_in_place)
        rc = self->commit(self->out, pb_size(b));
    else
        rc = self->host->output_write(self->out, (const char *)b->start,
                                      pb_size(b));
    if (b->overflow && self->packet_in_place)
        self->commit(self->out, 0);
    if (rc != PIKOS_OK)
        failed(self, rc);
}

/* Packets with no strings of events' size. */
#define SMALL_PACKET 256

/* ------------------------------------------------------------ tracks */

static void write_process_track(struct perfetto_ctx *self)
{
    const struct process_info *p = &self->process;
    struct packet_head head = {PROCESS_SEQUENCE, SEQ_INCREMENTAL_STATE_CLEARED,
                               0, 0, 0};
    struct pb_buf b;

    /* Each argument adds its key and length, at most 11 bytes. */
    if (begin_packet(self, &b,
                     SMALL_PACKET + p->cmdline_size + 11 * p->nargs)) {
        packet_process_track(&b, &head, PROCESS_UUID, p->pid, p->name,
                             (const char *const *)p->args, p->nargs);
        end_packet(self, &b);
    }
}

/* RSS and VMS, once, when the first schema with them is prepared. */
static void describe_counters(struct perfetto_ctx *self)
{
    struct packet_head head = {PROCESS_SEQUENCE, 0, 0, 0, 0};
    struct pb_buf b;

    if (self->counters_described)
        return;
    self->counters_described = 1;
    if (begin_packet(self, &b, SMALL_PACKET)) {
        packet_counter_track(&b, &head, RSS_UUID, PROCESS_UUID, "RSS");
        end_packet(self, &b);
    }
    if (begin_packet(self, &b, SMALL_PACKET)) {
        packet_counter_track(&b, &head, VMS_UUID, PROCESS_UUID, "VMS");
        end_packet(self, &b);
    }
}

/* The heap's counter track, when a heap schema is first prepared. */
static void describe_heap(struct perfetto_ctx *self)
{
    struct packet_head head = {PROCESS_SEQUENCE, 0, 0, 0, 0};
    struct pb_buf b;

    if (self->heap_described)
        return;
    self->heap_described = 1;
    if (begin_packet(self, &b, SMALL_PACKET)) {
        packet_counter_track(&b, &head, HEAP_UUID, PROCESS_UUID,
                             "Python heap (bytes)");
        end_packet(self, &b);
    }
}

static uint64_t thread_uuid(const struct thread_track *t)
{
    return THREAD_UUID_BASE + t->sequence;
}

/* The head of a thread's next packet at `time_ns`: a delta on its
   incremental clock, or, should time go back, the absolute time on
   CLOCK_MONOTONIC (which leaves the incremental clock where it was). */
static struct packet_head head_at(struct perfetto_ctx *self,
                                  struct thread_track *t, uint64_t time_ns)
{
    struct packet_head head = {t->sequence, SEQ_NEEDS_INCREMENTAL_STATE, 1, 0,
                               0};
    if (time_ns >= t->last_ns) {
        head.timestamp = time_ns - t->last_ns;
        t->last_ns = time_ns;
    } else {
        head.monotonic = 1;
        head.timestamp = self->host->run_started_ns(self->inst) + time_ns;
    }
    return head;
}

/* Clears the thread's sequence and starts its clock at `time_ns`. */
static void start_sequence(struct perfetto_ctx *self, struct thread_track *t,
                           uint64_t time_ns)
{
    uint64_t monotonic = self->host->run_started_ns(self->inst) + time_ns;
    struct packet_head head = {t->sequence, SEQ_INCREMENTAL_STATE_CLEARED, 1, 0,
                               0};
    struct pb_buf b;

    if (begin_packet(self, &b, SMALL_PACKET)) {
        packet_sequence_start(&b, &head, time_ns, monotonic,
                              monotonic + self->boottime_offset_ns,
                              thread_uuid(t));
        end_packet(self, &b);
    }
    t->last_ns = time_ns;
    named_pieces_clear(&t->named); /* a clear: no entry has been sent */
    t->started = 1;
}

static void write_thread_track(struct perfetto_ctx *self,
                               struct thread_track *t, uint64_t time_ns)
{
    struct packet_head head = head_at(self, t, time_ns);
    char name[48];
    struct pb_buf b;

    if ((int64_t)t->tid == self->process.pid)
        snprintf(name, sizeof(name), "main thread");
    else
        snprintf(name, sizeof(name), "thread %llu", (unsigned long long)t->tid);
    if (begin_packet(self, &b, SMALL_PACKET)) {
        packet_thread_track(&b, &head, thread_uuid(t), PROCESS_UUID,
                            self->process.pid, (int32_t)t->tid, name);
        end_packet(self, &b);
    }
}

/* Both packets a thread's sequence starts with, once each run. */
static __attribute__((noinline)) void start_thread(struct perfetto_ctx *self,
                                                   struct thread_track *t,
                                                   uint64_t time_ns)
{
    start_sequence(self, t, time_ns);
    write_thread_track(self, t, time_ns);
}

/* A new thread's track, appended to the threads; NULL when out of
   memory. */
static struct thread_track *add_thread(struct perfetto_ctx *self, uint64_t tid)
{
    if (self->nthreads == self->threads_cap) {
        size_t cap = self->threads_cap ? 2 * self->threads_cap : 8;
        struct thread_track **grown =
            realloc(self->threads, cap * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        self->threads = grown;
        self->threads_cap = cap;
    }
    struct thread_track *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->tid = tid;
    t->sequence = self->next_sequence++;
    packet_piece_event(&t->end, t->sequence, SEQ_NEEDS_INCREMENTAL_STATE,
                       EVENT_SLICE_END, NULL);
    self->threads[self->nthreads++] = t;
    return t;
}

/* A thread other than the last record's: found among the threads (a
   program has few: a scan is cheaper than a hash), or made. */
static __attribute__((noinline)) struct thread_track *
find_thread(struct perfetto_ctx *self, uint64_t tid)
{
    for (size_t i = 0; i < self->nthreads; i++)
        if (self->threads[i]->tid == tid)
            return self->last_thread = self->threads[i];
    struct thread_track *t = add_thread(self, tid);
    if (t != NULL)
        self->last_thread = t;
    return t;
}

/* The thread's track (and open calls), made the first time; NULL when
   out of memory. */
HOT struct thread_track *thread_of(struct perfetto_ctx *self, uint64_t tid)
{
    if (self->last_thread != NULL && self->last_thread->tid == tid)
        return self->last_thread; /* most records follow one of theirs */
    return find_thread(self, tid);
}

/* ------------------------------------------------------------ events */

/* An event's packet, with the entry's InternedData if `with_interned`:
   the packets the hot path leaves out. */
static void write_whole_event(struct perfetto_ctx *self, struct thread_track *t,
                              uint64_t time_ns, enum packet_event_type type,
                              const struct intern_entry *entry,
                              int with_interned)
{
    struct packet_head head = head_at(self, t, time_ns);
    struct pb_buf b;

    if (begin_packet(self, &b,
                     with_interned ? packet_event_max_size(entry)
                                   : PACKET_SMALL_EVENT_MAX_SIZE)) {
        packet_event(&b, &head, type, entry, with_interned);
        end_packet(self, &b);
    }
}

/*
 * The hot path: the packet of an event on the sequence's incremental
 * clock (not before its last packet), from its piece, straight into the
 * output's buffer.  0 when the time went back or the buffer has no room
 * in place: the caller writes the packet whole.
 */
HOT int put_from_piece(struct perfetto_ctx *self, struct thread_track *t,
                       uint64_t time_ns, const struct packet_piece *piece)
{
    if (time_ns < t->last_ns)
        return 0;
    unsigned char *dst =
        (unsigned char *)self->reserve(self->out, PACKET_SMALL_EVENT_MAX_SIZE);
    if (dst == NULL)
        return 0;
    size_t size = packet_from_piece(dst, time_ns - t->last_ns, piece);
    t->last_ns = time_ns;
    int rc = self->commit(self->out, size);
    if (rc != PIKOS_OK)
        failed(self, rc);
    return 1;
}

/* A named event whichever way it goes: whole with the entry's
   InternedData the first time on the sequence (then its piece is
   encoded: the hot path writes the next ones), else from its piece;
   whole too when the time went back or the output has no room in place.
   Out of line: the hot path is write_named's. */
static __attribute__((noinline)) void
write_event(struct perfetto_ctx *self, struct thread_track *t, uint64_t time_ns,
            enum packet_event_type type, const struct intern_entry *entry)
{
    /* NULL (out of memory): the entry is sent again each time */
    struct packet_piece *piece = named_pieces_at(&t->named, entry->iid);
    int with_interned = piece == NULL || piece->len == 0;
    if (!with_interned && put_from_piece(self, t, time_ns, piece))
        return;
    write_whole_event(self, t, time_ns, type, entry, with_interned);
    if (with_interned && piece != NULL)
        packet_piece_event(piece, t->sequence, SEQ_NEEDS_INCREMENTAL_STATE,
                           type, entry);
}

/* An event named by `entry` (a slice's begin, an instant). */
HOT void write_named(struct perfetto_ctx *self, struct thread_track *t,
                     uint64_t time_ns, enum packet_event_type type,
                     const struct intern_entry *entry)
{
    const struct packet_piece *piece = named_pieces_sent(&t->named, entry->iid);
    if (piece == NULL || !put_from_piece(self, t, time_ns, piece))
        write_event(self, t, time_ns, type, entry);
}

/* `count` slice ends (calls that end), on the thread's track. */
HOT void end_slices(struct perfetto_ctx *self, struct thread_track *t,
                    uint64_t time_ns, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++)
        if (!put_from_piece(self, t, time_ns, &t->end))
            write_whole_event(self, t, time_ns, EVENT_SLICE_END, NULL, 0);
}

static __attribute__((noinline)) void out_of_memory(struct perfetto_ctx *self)
{
    failed(self,
           self->host->set_error(self->inst, PIKOS_ENOMEM, "out of memory"));
}

HOT const struct intern_entry *entry_of(struct perfetto_ctx *self,
                                        const struct intern_key *key,
                                        const struct timed_text *label)
{
    const struct intern_entry *entry = intern_get(self->names, key, label);
    if (entry == NULL)
        out_of_memory(self);
    return entry;
}

/* ------------------------------------------------------------ reading */

/*
 * perfetto_record reads of each record only what its event needs: the
 * kind, time and thread of every one, the names of calls and lines (here,
 * straight into their interning keys), memory when the schema has it.
 * (timed_event_read fills a whole struct timed_event for every record,
 * which cost more than the rest of the recorder's work.)
 */

/* A string of a record, empty when absent.  (An empty one may keep its
   pointer, even NULL: nothing reads the bytes of an empty text.) */
HOT struct timed_text text_at(const struct pikos_value *values, int i)
{
    struct timed_text t = {"", 0};
    if (i >= 0) {
        t.ptr = values[i].u.s.ptr;
        t.len = values[i].u.s.len;
    }
    return t;
}

HOT int64_t int_at(const struct pikos_value *values, int i)
{
    return i >= 0 ? values[i].u.i : 0;
}

/* The event a record is: a line record has no `type`. */
HOT enum timed_kind kind_at(const struct timed_schema *b,
                            const struct pikos_value *values)
{
    if (b->type < 0)
        return TIMED_LINE;
    struct timed_text type = {values[b->type].u.s.ptr, values[b->type].u.s.len};
    return timed_kind_of(type);
}

/* ------------------------------------------------------------ records */

/* A call: it opens, and its slice begins, named by its function. */
HOT void begin_slice(struct perfetto_ctx *self, struct thread_track *t,
                     const struct timed_schema *b,
                     const struct pikos_value *values, enum timed_kind kind,
                     uint64_t time_ns)
{
    if (open_slices_push(&t->calls, kind == TIMED_C_CALL) != 0) {
        out_of_memory(self);
        return;
    }
    struct intern_key key = {
        INTERN_C, text_at(values, b->function), {"", 0}, 0};
    if (kind == TIMED_CALL) {
        int64_t first = int_at(values, b->first_lineno);
        key.kind = INTERN_PYTHON;
        key.file = text_at(values, b->filename);
        key.line = first > 0 ? first : int_at(values, b->lineno);
    }
    const struct intern_entry *entry = entry_of(self, &key, NULL);
    if (entry != NULL)
        write_named(self, t, time_ns, EVENT_SLICE_BEGIN, entry);
}

/* The line's text without its indentation. */
static struct timed_text line_label(struct timed_text text)
{
    while (text.len > 0 && (*text.ptr == ' ' || *text.ptr == '\t')) {
        text.ptr++;
        text.len--;
    }
    return text;
}

static void write_line(struct perfetto_ctx *self, struct thread_track *t,
                       const struct timed_schema *b,
                       const struct pikos_value *values, uint64_t time_ns)
{
    struct intern_key key = {INTERN_LINE, text_at(values, b->function),
                             text_at(values, b->filename),
                             int_at(values, b->lineno)};
    struct timed_text label = line_label(text_at(values, b->line));
    char number[32];

    if (label.len == 0) { /* records without a line's text */
        label.len = (size_t)snprintf(number, sizeof(number), "line %lld",
                                     (long long)key.line);
        label.ptr = number;
    }
    const struct intern_entry *entry = entry_of(self, &key, &label);
    if (entry != NULL)
        write_named(self, t, time_ns, EVENT_INSTANT, entry);
}

/* A counter's value, when it differs from the one written last. */
static void write_counter(struct perfetto_ctx *self, struct thread_track *t,
                          uint64_t time_ns, uint64_t uuid, int64_t *last,
                          int64_t value)
{
    struct packet_head head;
    struct pb_buf b;

    if (value == *last)
        return;
    *last = value;
    head = head_at(self, t, time_ns);
    if (begin_packet(self, &b, SMALL_PACKET)) {
        packet_counter(&b, &head, uuid, value);
        end_packet(self, &b);
    }
}

/* RSS and VMS, when the schema has them.  Out of line: most schemas
   have not. */
static __attribute__((noinline)) void
write_memory(struct perfetto_ctx *self, struct thread_track *t,
             const struct timed_schema *b, const struct pikos_value *values,
             uint64_t time_ns)
{
    write_counter(self, t, time_ns, RSS_UUID, &self->last_rss,
                  values[b->rss].u.i);
    write_counter(self, t, time_ns, VMS_UUID, &self->last_vms,
                  values[b->vms].u.i);
}

/* What an event does to its thread's track. */
HOT void write_kind(struct perfetto_ctx *self, struct thread_track *t,
                    const struct timed_schema *b,
                    const struct pikos_value *values, uint64_t time_ns)
{
    enum timed_kind kind = kind_at(b, values);
    switch (kind) {
    case TIMED_CALL:
    case TIMED_C_CALL:
        begin_slice(self, t, b, values, kind, time_ns);
        break;
    case TIMED_RETURN:
    case TIMED_C_RETURN:
    case TIMED_C_EXCEPTION:
        end_slices(self, t, time_ns, open_slices_end(&t->calls, kind));
        break;
    case TIMED_LINE:
        if (self->lines)
            write_line(self, t, b, values, time_ns);
        break;
    default:
        break;
    }
}

static int perfetto_record(struct pikos_instance *inst, void *ctx,
                           void *schema_ctx, const struct pikos_record *rec)
{
    struct perfetto_ctx *self = ctx;
    const struct perfetto_schema *sc = schema_ctx;
    const struct timed_schema *b = &sc->bound;
    const struct pikos_value *values = rec->values;
    if (sc->skipped)
        return self->status;
    uint64_t time_ns = (uint64_t)values[b->time].u.i;
    struct thread_track *t = thread_of(self, (uint64_t)values[b->thread].u.i);

    (void)inst;
    if (t == NULL)
        return self->host->set_error(self->inst, PIKOS_ENOMEM, "out of memory");
    if (time_ns > self->last_ns)
        self->last_ns = time_ns;
    if (!t->started)
        start_thread(self, t, time_ns);
    if (sc->heap >= 0) {
        write_counter(self, t, time_ns, HEAP_UUID, &self->last_heap,
                      values[sc->heap].u.i);
        return self->status;
    }
    write_kind(self, t, b, values, time_ns);
    if (sc->has_memory)
        write_memory(self, t, b, values, time_ns);
    return self->status;
}

/* ------------------------------------------------------------ lifecycle */

/* CLOCK_BOOTTIME - CLOCK_MONOTONIC now (the time the machine slept). */
static uint64_t boottime_offset_ns(void)
{
    struct timespec boot, mono;
    if (clock_gettime(CLOCK_BOOTTIME, &boot) != 0 ||
        clock_gettime(CLOCK_MONOTONIC, &mono) != 0)
        return 0;
    int64_t ns = ((int64_t)boot.tv_sec - mono.tv_sec) * 1000000000 +
                 (boot.tv_nsec - mono.tv_nsec);
    return ns > 0 ? (uint64_t)ns : 0;
}

/* The reserve of a host without output_reserve. */
static char *no_room(struct pikos_output *out, size_t len)
{
    (void)out;
    (void)len;
    return NULL;
}

static int perfetto_init(struct pikos_instance *inst, void *ctx,
                         const struct pikos_host *host)
{
    struct perfetto_ctx *self = ctx;
    self->host = host;
    self->inst = inst;
    if (!PIKOS_HOST_HAS(host, run_started_ns))
        return host->set_error(inst, PIKOS_EABI,
                               "needs a pikos host of ABI 1.3 or later");
    self->reserve =
        PIKOS_HOST_HAS(host, output_commit) ? host->output_reserve : no_room;
    self->commit = host->output_commit; /* only after a reserve */
    self->next_sequence = PROCESS_SEQUENCE + 1;
    self->last_rss = self->last_vms = self->last_heap = -1;
    self->boottime_offset_ns = boottime_offset_ns();
    self->names = intern_new();
    if (self->names == NULL || process_info_read(&self->process) != 0)
        return host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    /* Opened now, so that an unwritable path fails before the program
       runs; the host has set the error. */
    self->out = host->output_open(inst, self->filename);
    if (self->out == NULL)
        return PIKOS_EIO;
    write_process_track(self);
    return self->status;
}

static int int_field(const struct pikos_schema *schema, const char *name)
{
    int i = pikos_schema_field_index(schema, name);
    return i >= 0 && schema->fields[i].type == PIKOS_FIELD_INT ? i : -1;
}

/*
 * The records of monitors/allocations (docs/formats.md): a heap record
 * (int live_bytes, time and thread) is drawn on the heap's counter track;
 * the aggregates it emits at the end (AllocationRecord,
 * StackAllocationRecord: no time) are skipped when heap records came
 * before them, and refused otherwise, saying how to get the heap over
 * time.  The live view's snapshots (HeapTopRecord, monitors/allocations
 * live=S: the top lines by live bytes, for pikos watch) are always
 * skipped: a timeline has no track for a table of lines, and the heap's
 * counter track shows the same totals over time.  1 when the schema is
 * one of these (sc is set), 0 for any other, or the refusal's code.
 */
static int bind_heap(struct perfetto_ctx *self,
                     const struct pikos_schema *schema,
                     struct perfetto_schema *sc)
{
    int live = int_field(schema, "live_bytes");
    int time = int_field(schema, "time"), thread = int_field(schema, "thread");

    sc->heap = -1;
    if (strcmp(schema->name, "HeapTopRecord") == 0) {
        sc->skipped = 1;
        return 1;
    }
    if (live >= 0 && time >= 0 && thread >= 0) {
        sc->heap = live;
        sc->bound.schema = schema;
        sc->bound.time = time;
        sc->bound.thread = thread;
        describe_heap(self);
        return 1;
    }
    if (int_field(schema, "alloc_bytes") < 0 || time >= 0)
        return 0;
    if (!self->heap_described)
        return self->host->set_error(
            self->inst, PIKOS_EINVAL,
            "%s draws allocations over time, and %s has no time: give "
            "monitors/allocations interval=N (microseconds) for its heap "
            "records; recorders/profile makes memory profiles of %s",
            RECORDER_NAME, schema->name, schema->name);
    sc->skipped = 1;
    return 1;
}

static int perfetto_prepare(struct pikos_instance *inst, void *ctx,
                            const struct pikos_schema *schema,
                            void **schema_ctx)
{
    struct perfetto_ctx *self = ctx;
    struct perfetto_schema *sc = calloc(1, sizeof(*sc));

    if (sc == NULL)
        return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    int rc = bind_heap(self, schema, sc);
    if (rc == 0)
        rc = timed_schema_bind(inst, self->host, RECORDER_NAME, schema,
                               &sc->bound);
    if (rc < 0) {
        free(sc);
        return rc;
    }
    if (rc > 0) { /* a heap record, or an aggregate skipped */
        *schema_ctx = sc;
        return self->status;
    }
    sc->heap = -1;
    sc->has_memory = sc->bound.rss >= 0 && sc->bound.vms >= 0;
    if (sc->has_memory)
        describe_counters(self);
    *schema_ctx = sc;
    return self->status;
}

static void perfetto_release(struct pikos_instance *inst, void *ctx,
                             const struct pikos_schema *schema,
                             void *schema_ctx)
{
    (void)inst;
    (void)ctx;
    (void)schema;
    free(schema_ctx);
}

static int perfetto_flush(struct pikos_instance *inst, void *ctx)
{
    struct perfetto_ctx *self = ctx;
    (void)inst;
    return self->host->output_flush(self->out);
}

/* The end of a run: the calls still open end at the last time seen; the
   next run (its times start again from 0) clears every sequence. */
static int perfetto_finalize(struct pikos_instance *inst, void *ctx)
{
    struct perfetto_ctx *self = ctx;

    for (size_t i = 0; i < self->nthreads; i++) {
        struct thread_track *t = self->threads[i];
        end_slices(self, t, self->last_ns, open_slices_close_all(&t->calls));
        t->started = 0;
    }
    self->last_ns = 0;
    self->last_rss = self->last_vms = self->last_heap = -1;
    int rc = perfetto_flush(inst, ctx);
    return self->status != PIKOS_OK ? self->status : rc;
}

static void perfetto_fini(struct pikos_instance *inst, void *ctx)
{
    struct perfetto_ctx *self = ctx;
    (void)inst;

    if (self->out != NULL)
        self->host->output_close(self->out);
    for (size_t i = 0; i < self->nthreads; i++) {
        open_slices_free(&self->threads[i]->calls);
        named_pieces_free(&self->threads[i]->named);
        free(self->threads[i]);
    }
    free(self->threads);
    self->threads = NULL;
    self->nthreads = self->threads_cap = 0;
    self->last_thread = NULL;
    intern_free(self->names);
    process_info_free(&self->process);
    free(self->scratch);
    self->out = NULL;
    self->names = NULL;
    self->scratch = NULL;
}

PIKOS_PLUGIN_DEFINE({
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_RECORDER,
    .name = "perfetto",
    .version = "0.1.0",
    .description = "Write timed records as a Perfetto trace (TrackEvent "
                   "protobuf: ui.perfetto.dev, trace_processor)",
    .options = perfetto_options,
    .ctx_size = sizeof(struct perfetto_ctx),
    .init = perfetto_init,
    .fini = perfetto_fini,
    .flush = perfetto_flush,
    .finalize = perfetto_finalize,
    .prepare_schema = perfetto_prepare,
    .record_schema = perfetto_record,
    .release_schema = perfetto_release,
});
