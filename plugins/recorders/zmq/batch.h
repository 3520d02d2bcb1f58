/*
 * recorders/zmq: the record queue between the program and the sender.
 *
 * The hot path (record) copies a record's values into its stream's current
 * batch: ints and floats into 8-byte slots, string bytes into the batch's
 * text - preallocated memory, no lock, no allocation, no system call.  A
 * full batch (BATCH_MAX_RECORDS records, about BATCH_MAX_JSON bytes of
 * JSON, or no room left) goes to the ready queue, which the sender thread
 * drains, and the stream takes a free batch.  There are QUEUE_BATCHES
 * batches for the first QUEUE_BASE_STREAMS streams and BATCHES_PER_STREAM
 * more for each stream after them, so memory is bounded by the number of
 * kinds of records, not by their rate: when none is free, slow=drop
 * drops the oldest batch waiting to be sent (counting its records) and
 * slow=block waits until the sender frees one.  While no subscriber
 * listens, a full batch is not queued at all: its records count as
 * published (a PUB socket drops what no one subscribed to), so a program
 * that no one watches never makes the sender work or drop.
 *
 * So that no record waits long in a batch that is not full, the sender may
 * also read the records of a current batch that are older than a moment:
 * `count` is published with release ordering after a record is written,
 * and a batch's written records never change until the sender itself puts
 * the batch back on the free list.
 */
#ifndef PIKOS_ZMQ_BATCH_H
#define PIKOS_ZMQ_BATCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <pikos/plugin.h>

#define BATCH_MAX_RECORDS 1000
#define BATCH_MAX_JSON (64 * 1024) /* estimated size of a batch's JSON */
#define BATCH_SLOTS 8192           /* values of a batch */
#define BATCH_TEXT (64 * 1024)     /* string bytes (more for one huge record) */
#define BATCH_MAX_FIELDS 256
#define QUEUE_BATCHES 16
#define QUEUE_BASE_STREAMS 8
#define BATCHES_PER_STREAM 2 /* its current batch and one in flight */
#define STREAM_ID_MAX 320

/* One value of a record in a batch; strings point into the batch's text. */
union batch_slot {
    int64_t i;
    double f;
    struct {
        uint32_t offset;
        uint32_t len;
    } s;
};

struct live_stream;

struct batch {
    struct live_stream *stream;
    atomic_size_t count; /* records written (release after each) */
    size_t sent;         /* sender: how many of them it has sent */
    uint64_t opened_ns;  /* when its first record was written */
    uint64_t flushed_ns; /* sender: when it last sent part of it */
    size_t json_size;    /* estimate of its records' JSON */
    size_t text_used;
    size_t text_cap;
    char *text;
    union batch_slot *slots; /* count * nfields of them in use */
    struct batch *next;      /* in the free list or the ready queue */
    struct batch *next_made; /* every batch, for freeing them */
};

/* One stream of the wire format: one schema of one recorder run. */
struct live_stream {
    char id[STREAM_ID_MAX]; /* "<host>:<pid>:<k>" */
    const struct pikos_schema *schema;
    struct batch *current; /* the batch records go into */
    uint64_t sent;         /* sender: records published */
    uint64_t unheard;      /* records published when no one listened */
    uint64_t dropped;      /* records dropped (under the queue's lock) */
    int announced;         /* sender: its schema went out once */
    /* Streams never move once made: the sender walks this list without
       the lock, and a stream is linked (release) only when complete. */
    _Atomic(struct live_stream *) next;
};

struct batch_queue {
    pthread_mutex_t lock;
    pthread_cond_t room; /* a batch went back on the free list */
    int block;           /* slow=block */
    int listening;       /* a subscriber wants records (the sender says) */
    int wake_fd;         /* written when the ready queue gets a batch */
    pid_t owner;         /* the process that made it */
    struct batch *made; /* every batch (next_made) */
    struct batch *free;
    struct batch *ready_head, *ready_tail;
    const struct batch *reading; /* the current batch the sender reads */
    _Atomic(struct live_stream *) streams; /* in the order added */
    struct live_stream *last_stream;
    size_t nstreams;
};

static inline uint64_t batch_clock_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* NULL when out of memory.  `wake_fd` (-1: none) is written a byte when the
   ready queue stops being empty. */
struct batch_queue *batch_queue_new(int block, int wake_fd);
void batch_queue_free(struct batch_queue *queue);

/* ---- the program's side (with the GIL) */

/* A new stream with its first batch (and, past QUEUE_BASE_STREAMS, more
   batches in the pool); NULL when out of memory. */
struct live_stream *batch_queue_add_stream(struct batch_queue *queue,
                                           const struct pikos_schema *schema,
                                           const char *id);
/* The hot path: 0, or -1 when a record too big for a batch finds no
   memory. */
int batch_queue_add(struct batch_queue *queue, struct live_stream *stream,
                    const struct pikos_value *values);
/* Hands every current batch that holds records to the sender. */
void batch_queue_flush(struct batch_queue *queue);

/* ---- the sender's side */

/* The oldest ready batch (its records [sent, count) are to be sent), or
   NULL. */
struct batch *batch_queue_pop(struct batch_queue *queue);
/* When no batch is ready: a current batch whose unsent records have waited
   `min_age_ns` (since it was opened or last read), marked as being read;
   *upto is how many of its records may be read.  NULL when there is none. */
struct batch *batch_queue_borrow(struct batch_queue *queue, uint64_t now_ns,
                                 uint64_t min_age_ns, size_t *upto);
/* Ends a borrow: the first `sent` records have been read. */
void batch_queue_give_back(struct batch_queue *queue, struct batch *batch,
                           size_t sent, uint64_t now_ns);
/* A popped batch is done with: back on the free list. */
void batch_queue_recycle(struct batch_queue *queue, struct batch *batch);
void batch_queue_count_dropped(struct batch_queue *queue,
                               struct live_stream *stream, uint64_t records);
/* Whether a subscriber wants records now. */
void batch_queue_set_listening(struct batch_queue *queue, int listening);
size_t batch_queue_stream_count(struct batch_queue *queue);
/* The streams in the order added, safe to walk without the lock while
   others are added: for (s = first(q); s; s = next(s)). */
struct live_stream *batch_queue_first_stream(struct batch_queue *queue);
struct live_stream *batch_queue_next_stream(const struct live_stream *stream);
/* A stream's records published when no one listened, and dropped. */
void batch_queue_counts(struct batch_queue *queue,
                        const struct live_stream *stream, uint64_t *unheard,
                        uint64_t *dropped);

#endif
