/*
 * recorders/zmq: the record queue (see batch.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"

/* JSON of a number and its comma, as an estimate: most are short. */
#define JSON_NUMBER_SIZE 12

/* ------------------------------------------------------------ batches */

static void batch_reset(struct batch *b)
{
    b->stream = NULL;
    atomic_store_explicit(&b->count, 0, memory_order_relaxed);
    b->sent = 0;
    b->opened_ns = 0;
    b->flushed_ns = 0;
    b->json_size = 0;
    b->text_used = 0;
    b->next = NULL;
}

/* What one record needs in a batch. */
struct record_size {
    size_t text; /* string bytes */
    size_t json; /* estimated JSON bytes */
};

static void measure(const struct pikos_schema *schema,
                    const struct pikos_value *values, struct record_size *size)
{
    size->text = 0;
    size->json = 3; /* [ ] , */
    for (size_t i = 0; i < schema->nfields; i++) {
        if (schema->fields[i].type == PIKOS_FIELD_STR) {
            size->text += values[i].u.s.len;
            size->json += values[i].u.s.len + 3; /* quotes, comma */
        } else {
            size->json += JSON_NUMBER_SIZE;
        }
    }
}

/* Whether one more record fits in a batch that holds some. */
static int fits(const struct batch *b, size_t nfields,
                const struct record_size *size)
{
    size_t n = atomic_load_explicit(&b->count, memory_order_relaxed);
    return n < BATCH_MAX_RECORDS && (n + 1) * nfields <= BATCH_SLOTS &&
           b->text_used + size->text <= b->text_cap &&
           b->json_size + size->json <= BATCH_MAX_JSON;
}

/* Only for an empty batch (which the sender never reads): room for one
   record with more string bytes than a batch holds. */
static int grow_text(struct batch *b, size_t need)
{
    char *text = realloc(b->text, need);
    if (text == NULL)
        return -1;
    b->text = text;
    b->text_cap = need;
    return 0;
}

static void write_record(struct batch *b, const struct pikos_schema *schema,
                         const struct pikos_value *values,
                         const struct record_size *size)
{
    size_t n = atomic_load_explicit(&b->count, memory_order_relaxed);
    union batch_slot *slot = b->slots + n * schema->nfields;

    for (size_t i = 0; i < schema->nfields; i++) {
        const struct pikos_value *v = &values[i];
        if (schema->fields[i].type == PIKOS_FIELD_INT) {
            slot[i].i = v->u.i;
        } else if (schema->fields[i].type == PIKOS_FIELD_FLOAT) {
            slot[i].f = v->u.f;
        } else {
            memcpy(b->text + b->text_used, v->u.s.ptr, v->u.s.len);
            slot[i].s.offset = (uint32_t)b->text_used;
            slot[i].s.len = (uint32_t)v->u.s.len;
            b->text_used += v->u.s.len;
        }
    }
    b->json_size += size->json;
    if (n == 0)
        b->opened_ns = batch_clock_ns();
    /* The sender may read the record from now on. */
    atomic_store_explicit(&b->count, n + 1, memory_order_release);
}

/* ------------------------------------------------------------ the queue */

/* One more batch in the pool, on the free list (with the lock held, once
   the queue is shared); -1 when out of memory. */
static int make_batch(struct batch_queue *q)
{
    struct batch *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return -1;
    b->slots = malloc(BATCH_SLOTS * sizeof(*b->slots));
    b->text = malloc(BATCH_TEXT);
    b->text_cap = BATCH_TEXT;
    b->next_made = q->made;
    q->made = b;
    if (b->slots == NULL || b->text == NULL)
        return -1;
    batch_reset(b);
    b->next = q->free;
    q->free = b;
    return 0;
}

struct batch_queue *batch_queue_new(int block, int wake_fd)
{
    struct batch_queue *q = calloc(1, sizeof(*q));
    if (q == NULL)
        return NULL;
    q->block = block;
    q->wake_fd = wake_fd;
    q->owner = getpid();
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->room, NULL);
    for (size_t i = 0; i < QUEUE_BATCHES; i++) {
        if (make_batch(q) < 0) {
            batch_queue_free(q);
            return NULL;
        }
    }
    return q;
}

void batch_queue_free(struct batch_queue *q)
{
    if (q == NULL)
        return;
    for (struct batch *b = q->made, *next; b != NULL; b = next) {
        next = b->next_made;
        free(b->slots);
        free(b->text);
        free(b);
    }
    struct live_stream *s = atomic_load(&q->streams);
    while (s != NULL) {
        struct live_stream *next = atomic_load(&s->next);
        free(s);
        s = next;
    }
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->room);
    free(q);
}

static void wake_sender(int fd)
{
    char byte = 1;
    ssize_t n = write(fd, &byte, 1);
    (void)n; /* a full pipe: the sender has wake-ups pending already */
}

/* With the lock held. */
static void push_ready(struct batch_queue *q, struct batch *b)
{
    int was_empty = q->ready_head == NULL;
    b->next = NULL;
    if (q->ready_tail != NULL)
        q->ready_tail->next = b;
    else
        q->ready_head = b;
    q->ready_tail = b;
    if (was_empty && q->wake_fd >= 0)
        wake_sender(q->wake_fd);
}

static void push_free(struct batch_queue *q, struct batch *b)
{
    batch_reset(b);
    b->next = q->free;
    q->free = b;
    pthread_cond_signal(&q->room);
}

/* slow=drop with no free batch: the oldest ready batch the sender is not
   reading loses its unsent records.  With QUEUE_BATCHES well above the
   streams' current batches there always is one; 0 if not. */
static int drop_oldest(struct batch_queue *q)
{
    struct batch **link = &q->ready_head, *prev = NULL;

    while (*link != NULL && *link == q->reading) {
        prev = *link;
        link = &(*link)->next;
    }
    struct batch *b = *link;
    if (b == NULL)
        return 0;
    *link = b->next;
    if (q->ready_tail == b)
        q->ready_tail = prev;
    size_t count = atomic_load_explicit(&b->count, memory_order_relaxed);
    b->stream->dropped += count - b->sent;
    push_free(q, b);
    return 1;
}

/* With the lock held: a free batch, waiting for one (block) or dropping
   queued records (drop) when there is none. */
static struct batch *take_free(struct batch_queue *q)
{
    while (q->free == NULL)
        if (q->block || !drop_oldest(q))
            pthread_cond_wait(&q->room, &q->lock);
    struct batch *b = q->free;
    q->free = b->next;
    b->next = NULL;
    return b;
}

/* Empties a batch to fill it again. */
static struct batch *reuse(struct batch *b, struct live_stream *s)
{
    batch_reset(b);
    b->stream = s;
    return b;
}

/* The stream's full batch goes to the sender; it gets a fresh one.  While
   no one listens (and the sender is not reading it) the batch is emptied
   instead, its records published to no one; in a forked child, which must
   not touch the parent's lock or sender, it is emptied too. */
static struct batch *rotate(struct batch_queue *q, struct live_stream *s)
{
    struct batch *full = s->current;

    if (getpid() != q->owner)
        return reuse(full, s);
    pthread_mutex_lock(&q->lock);
    if (!q->listening && q->reading != full) {
        size_t count = atomic_load_explicit(&full->count, memory_order_relaxed);
        s->unheard += count - full->sent; /* sent while someone listened */
        reuse(full, s);
    } else {
        push_ready(q, full);
        s->current = take_free(q);
        s->current->stream = s;
    }
    pthread_mutex_unlock(&q->lock);
    return s->current;
}

/* With the lock held: the batches a new stream brings to the pool, so
   that every stream past the first few has its own current batch and one
   in flight.  0, or -1 when out of memory. */
static int grow_pool(struct batch_queue *q)
{
    if (q->nstreams < QUEUE_BASE_STREAMS)
        return 0;
    for (int i = 0; i < BATCHES_PER_STREAM; i++)
        if (make_batch(q) < 0)
            return -1;
    pthread_cond_broadcast(&q->room);
    return 0;
}

/* With the lock held: the stream joins the end of the list (release, so
   that the sender, walking it unlocked, sees it whole). */
static void link_stream(struct batch_queue *q, struct live_stream *s)
{
    if (q->last_stream == NULL)
        atomic_store_explicit(&q->streams, s, memory_order_release);
    else
        atomic_store_explicit(&q->last_stream->next, s, memory_order_release);
    q->last_stream = s;
    q->nstreams++;
}

struct live_stream *batch_queue_add_stream(struct batch_queue *q,
                                           const struct pikos_schema *schema,
                                           const char *id)
{
    struct live_stream *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    snprintf(s->id, sizeof(s->id), "%s", id);
    s->schema = schema;
    pthread_mutex_lock(&q->lock);
    if (grow_pool(q) < 0) {
        pthread_mutex_unlock(&q->lock);
        free(s);
        return NULL;
    }
    s->current = take_free(q);
    s->current->stream = s;
    link_stream(q, s);
    pthread_mutex_unlock(&q->lock);
    if (q->wake_fd >= 0)
        wake_sender(q->wake_fd); /* its schema goes out now */
    return s;
}

int batch_queue_add(struct batch_queue *q, struct live_stream *s,
                    const struct pikos_value *values)
{
    const struct pikos_schema *schema = s->schema;
    struct batch *b = s->current;
    struct record_size size;

    measure(schema, values, &size);
    if (atomic_load_explicit(&b->count, memory_order_relaxed) > 0 &&
        !fits(b, schema->nfields, &size))
        b = rotate(q, s);
    if (size.text > b->text_cap && grow_text(b, size.text) < 0)
        return -1;
    write_record(b, schema, values, &size);
    return 0;
}

void batch_queue_flush(struct batch_queue *q)
{
    pthread_mutex_lock(&q->lock);
    for (struct live_stream *s = batch_queue_first_stream(q); s != NULL;
         s = batch_queue_next_stream(s)) {
        if (atomic_load_explicit(&s->current->count, memory_order_relaxed) == 0)
            continue;
        push_ready(q, s->current);
        s->current = take_free(q);
        s->current->stream = s;
    }
    pthread_mutex_unlock(&q->lock);
}

/* ------------------------------------------------------------ the sender */

struct batch *batch_queue_pop(struct batch_queue *q)
{
    pthread_mutex_lock(&q->lock);
    struct batch *b = q->ready_head;
    if (b != NULL) {
        q->ready_head = b->next;
        if (q->ready_head == NULL)
            q->ready_tail = NULL;
        b->next = NULL;
    }
    pthread_mutex_unlock(&q->lock);
    return b;
}

/* Whether a current batch has records that waited long enough. */
static int is_due(struct batch *b, uint64_t now_ns, uint64_t min_age_ns,
                  size_t *upto)
{
    size_t n = atomic_load_explicit(&b->count, memory_order_acquire);
    if (n <= b->sent)
        return 0;
    uint64_t since =
        b->flushed_ns > b->opened_ns ? b->flushed_ns : b->opened_ns;
    *upto = n;
    return now_ns >= since + min_age_ns;
}

struct batch *batch_queue_borrow(struct batch_queue *q, uint64_t now_ns,
                                 uint64_t min_age_ns, size_t *upto)
{
    struct batch *found = NULL;

    pthread_mutex_lock(&q->lock);
    /* Ready batches are older than any current one: they go first. */
    for (struct live_stream *s = batch_queue_first_stream(q);
         q->ready_head == NULL && s != NULL; s = batch_queue_next_stream(s)) {
        struct batch *b = s->current;
        if (is_due(b, now_ns, min_age_ns, upto)) {
            found = b;
            q->reading = b;
            break;
        }
    }
    pthread_mutex_unlock(&q->lock);
    return found;
}

void batch_queue_give_back(struct batch_queue *q, struct batch *b, size_t sent,
                           uint64_t now_ns)
{
    pthread_mutex_lock(&q->lock);
    b->sent = sent;
    b->flushed_ns = now_ns;
    q->reading = NULL;
    pthread_mutex_unlock(&q->lock);
}

void batch_queue_recycle(struct batch_queue *q, struct batch *b)
{
    pthread_mutex_lock(&q->lock);
    push_free(q, b);
    pthread_mutex_unlock(&q->lock);
}

void batch_queue_count_dropped(struct batch_queue *q, struct live_stream *s,
                               uint64_t records)
{
    pthread_mutex_lock(&q->lock);
    s->dropped += records;
    pthread_mutex_unlock(&q->lock);
}

void batch_queue_set_listening(struct batch_queue *q, int listening)
{
    pthread_mutex_lock(&q->lock);
    q->listening = listening;
    pthread_mutex_unlock(&q->lock);
}

size_t batch_queue_stream_count(struct batch_queue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->nstreams;
    pthread_mutex_unlock(&q->lock);
    return n;
}

struct live_stream *batch_queue_first_stream(struct batch_queue *q)
{
    return atomic_load_explicit(&q->streams, memory_order_acquire);
}

struct live_stream *batch_queue_next_stream(const struct live_stream *s)
{
    return atomic_load_explicit(&s->next, memory_order_acquire);
}

void batch_queue_counts(struct batch_queue *q, const struct live_stream *s,
                        uint64_t *unheard, uint64_t *dropped)
{
    pthread_mutex_lock(&q->lock);
    *unheard = s->unheard;
    *dropped = s->dropped;
    pthread_mutex_unlock(&q->lock);
}
