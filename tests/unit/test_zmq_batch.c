/* recorders/zmq: the record queue between the program and the sender,
   driven from both sides in one thread (and, for slow=block, two). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "batch.h"

static const struct pikos_field fields[] = {{"i", PIKOS_FIELD_INT},
                                            {"s", PIKOS_FIELD_STR}};
static const struct pikos_schema schema = {"Pair", 2, fields, NULL, NULL};
static const struct pikos_schema other = {"Other", 2, fields, NULL, NULL};

static struct batch_queue *queue;

static void teardown(void)
{
    batch_queue_free(queue);
}

TestSuite(batch, .fini = teardown);

static void add(struct live_stream *s, int64_t i, const char *text, size_t len)
{
    struct pikos_value values[2] = {{.u.i = i}, {.u.s = {text, len}}};
    cr_assert_eq(batch_queue_add(queue, s, values), 0);
}

static void add_many(struct live_stream *s, int64_t from, int64_t to)
{
    for (int64_t i = from; i < to; i++)
        add(s, i, "x", 1);
}

/* A queue whose sender has a subscriber (records are queued). */
static struct batch_queue *listened_queue(int block, int wake_fd)
{
    struct batch_queue *q = batch_queue_new(block, wake_fd);
    cr_assert_not_null(q);
    batch_queue_set_listening(q, 1);
    return q;
}

static uint64_t dropped_of(const struct live_stream *s)
{
    uint64_t unheard, dropped;
    batch_queue_counts(queue, s, &unheard, &dropped);
    return dropped;
}

static size_t count_of(struct batch *b)
{
    return atomic_load(&b->count);
}

/* The int of record `row` of a batch. */
static int64_t index_of(struct batch *b, size_t row)
{
    return b->slots[row * 2].i;
}

Test(batch, records_go_out_in_batches_of_a_thousand)
{
    queue = listened_queue(0, -1);
    struct live_stream *s = batch_queue_add_stream(queue, &schema, "h:1:1");
    add_many(s, 0, 2500);

    for (int64_t first = 0; first < 2000; first += 1000) {
        struct batch *b = batch_queue_pop(queue);
        cr_assert_not_null(b);
        cr_assert_eq(b->stream, s);
        cr_assert_eq(count_of(b), BATCH_MAX_RECORDS);
        cr_assert_eq(index_of(b, 0), first);
        cr_assert_eq(index_of(b, 999), first + 999);
        batch_queue_recycle(queue, b);
    }
    cr_assert_null(batch_queue_pop(queue));
    batch_queue_flush(queue);
    struct batch *last = batch_queue_pop(queue);
    cr_assert_eq(count_of(last), 500);
    cr_assert_eq(index_of(last, 499), 2499);
    batch_queue_recycle(queue, last);
}

Test(batch, strings_are_copied)
{
    char text[8] = "abc";
    queue = listened_queue(0, -1);
    struct live_stream *s = batch_queue_add_stream(queue, &schema, "h:1:1");
    add(s, 1, text, 3);
    strcpy(text, "zzz"); /* a record lives only during record() */

    struct batch *b = s->current;
    cr_assert_eq(b->slots[1].s.len, 3);
    cr_assert_eq(memcmp(b->text + b->slots[1].s.offset, "abc", 3), 0);
}

Test(batch, a_batch_holds_about_64_KiB_of_json)
{
    char text[1024];
    memset(text, 'a', sizeof(text));
    queue = listened_queue(0, -1);
    struct live_stream *s = batch_queue_add_stream(queue, &schema, "h:1:1");
    for (int i = 0; i < 200; i++)
        add(s, i, text, sizeof(text));

    struct batch *b = batch_queue_pop(queue);
    cr_assert_not_null(b);
    size_t n = count_of(b);
    cr_assert(n * sizeof(text) <= BATCH_MAX_JSON, "%zu records", n);
    cr_assert((n + 1) * (sizeof(text) + 20) > BATCH_MAX_JSON, "%zu records", n);
    batch_queue_recycle(queue, b);
}

Test(batch, a_record_bigger_than_a_batch_goes_alone)
{
    size_t big = 3 * BATCH_TEXT;
    char *text = malloc(big);
    memset(text, 'b', big);
    queue = listened_queue(0, -1);
    struct live_stream *s = batch_queue_add_stream(queue, &schema, "h:1:1");
    add(s, 0, "small", 5);
    add(s, 1, text, big);
    add(s, 2, "small", 5);

    struct batch *first = batch_queue_pop(queue);
    struct batch *second = batch_queue_pop(queue);
    cr_assert_eq(count_of(first), 1);
    cr_assert_eq(count_of(second), 1);
    cr_assert_eq(second->slots[1].s.len, big);
    cr_assert_eq(memcmp(second->text + second->slots[1].s.offset, text, big),
                 0);
    cr_assert_eq(count_of(s->current), 1);
    batch_queue_recycle(queue, first);
    batch_queue_recycle(queue, second);
    free(text);
}

Test(batch, slow_drop_drops_the_oldest_batches_and_counts_them)
{
    queue = listened_queue(0, -1);
    struct live_stream *s = batch_queue_add_stream(queue, &schema, "h:1:1");
    /* One batch is the current one, 15 are free: the 16th to 19th full
       batches find none and the oldest ready ones make room. */
    add_many(s, 0, 20 * BATCH_MAX_RECORDS);

    cr_assert_eq(dropped_of(s), 4 * BATCH_MAX_RECORDS);
    int64_t expected = 4 * BATCH_MAX_RECORDS;
    struct batch *b;
    while ((b = batch_queue_pop(queue)) != NULL) {
        cr_assert_eq(index_of(b, 0), expected);
        expected += BATCH_MAX_RECORDS;
        batch_queue_recycle(queue, b);
    }
    cr_assert_eq(expected, 19 * BATCH_MAX_RECORDS);
    cr_assert_eq(index_of(s->current, 0), expected);
}

Test(batch, while_no_one_listens_full_batches_are_published_to_no_one)
{
    queue = batch_queue_new(0, -1);
    struct live_stream *s = batch_queue_add_stream(queue, &schema, "h:1:1");
    add_many(s, 0, 40 * BATCH_MAX_RECORDS + 7);

    uint64_t unheard, dropped;
    batch_queue_counts(queue, s, &unheard, &dropped);
    cr_assert_eq(unheard, 40 * BATCH_MAX_RECORDS);
    cr_assert_eq(dropped, 0);
    cr_assert_null(batch_queue_pop(queue));
    cr_assert_eq(count_of(s->current), 7);

    /* A subscriber came: batches are queued again. */
    batch_queue_set_listening(queue, 1);
    add_many(s, 0, BATCH_MAX_RECORDS);
    struct batch *b = batch_queue_pop(queue);
    cr_assert_not_null(b);
    cr_assert_eq(count_of(b), BATCH_MAX_RECORDS);
    batch_queue_recycle(queue, b);
}

Test(batch, records_sent_before_the_subscriber_left_are_not_unheard)
{
    queue = listened_queue(0, -1);
    struct live_stream *s = batch_queue_add_stream(queue, &schema, "h:1:1");
    size_t upto;
    add_many(s, 0, 600);
    struct batch *b = batch_queue_borrow(queue, batch_clock_ns(), 0, &upto);
    batch_queue_give_back(queue, b, upto, batch_clock_ns());
    batch_queue_set_listening(queue, 0);
    add_many(s, 600, BATCH_MAX_RECORDS + 1);

    uint64_t unheard, dropped;
    batch_queue_counts(queue, s, &unheard, &dropped);
    cr_assert_eq(unheard, BATCH_MAX_RECORDS - 600);
    cr_assert_null(batch_queue_pop(queue));
}

Test(batch, records_already_sent_from_a_dropped_batch_are_not_counted)
{
    queue = listened_queue(0, -1);
    struct live_stream *s = batch_queue_add_stream(queue, &schema, "h:1:1");
    add_many(s, 0, 600);
    size_t upto;
    struct batch *b = batch_queue_borrow(queue, batch_clock_ns(), 0, &upto);
    cr_assert_eq(upto, 600);
    batch_queue_give_back(queue, b, upto, batch_clock_ns());
    add_many(s, 600, 17 * BATCH_MAX_RECORDS);

    /* The first batch was dropped with 400 records not yet sent. */
    cr_assert_eq(dropped_of(s), 400);
}

Test(batch, the_sender_reads_records_that_waited)
{
    queue = listened_queue(0, -1);
    struct live_stream *s = batch_queue_add_stream(queue, &schema, "h:1:1");
    size_t upto = 0;
    uint64_t hour = 3600ull * 1000000000u;

    cr_assert_null(batch_queue_borrow(queue, batch_clock_ns(), 0, &upto));
    add_many(s, 0, 10);
    cr_assert_null(batch_queue_borrow(queue, batch_clock_ns(), hour, &upto));
    struct batch *b = batch_queue_borrow(queue, batch_clock_ns(), 0, &upto);
    cr_assert_eq(b, s->current);
    cr_assert_eq(upto, 10);
    cr_assert_eq(queue->reading, b);
    batch_queue_give_back(queue, b, upto, batch_clock_ns());
    cr_assert_null(queue->reading);
    cr_assert_null(batch_queue_borrow(queue, batch_clock_ns(), 0, &upto));

    /* Later records of the same batch: only those. */
    add_many(s, 10, 15);
    b = batch_queue_borrow(queue, batch_clock_ns(), 0, &upto);
    cr_assert_eq(b->sent, 10);
    cr_assert_eq(upto, 15);
    batch_queue_give_back(queue, b, upto, batch_clock_ns());
}

Test(batch, ready_batches_go_before_current_ones)
{
    queue = listened_queue(0, -1);
    struct live_stream *s = batch_queue_add_stream(queue, &schema, "h:1:1");
    size_t upto;
    add_many(s, 0, BATCH_MAX_RECORDS + 5);

    cr_assert_null(batch_queue_borrow(queue, batch_clock_ns(), 0, &upto));
    batch_queue_recycle(queue, batch_queue_pop(queue));
    cr_assert_not_null(batch_queue_borrow(queue, batch_clock_ns(), 0, &upto));
}

Test(batch, each_schema_is_its_own_stream)
{
    queue = listened_queue(0, -1);
    struct live_stream *a = batch_queue_add_stream(queue, &schema, "h:1:1");
    struct live_stream *b = batch_queue_add_stream(queue, &other, "h:1:2");
    for (int i = 0; i < 10; i++) {
        add(a, i, "a", 1);
        add(b, 100 + i, "b", 1);
    }
    cr_assert_neq(a->current, b->current);
    cr_assert_eq(count_of(a->current), 10);
    cr_assert_eq(index_of(b->current, 9), 109);
    cr_assert_str_eq(b->id, "h:1:2");
}

#define MANY_STREAMS (4 * QUEUE_BASE_STREAMS + 3)

Test(batch, there_is_no_limit_on_streams_and_they_keep_their_order)
{
    struct live_stream *made[MANY_STREAMS];
    char id[16];
    queue = listened_queue(0, -1);
    for (int i = 0; i < MANY_STREAMS; i++) {
        snprintf(id, sizeof(id), "h:1:%d", i);
        made[i] = batch_queue_add_stream(queue, &schema, id);
        cr_assert_not_null(made[i]);
    }
    cr_assert_eq(batch_queue_stream_count(queue), MANY_STREAMS);
    int i = 0;
    for (struct live_stream *s = batch_queue_first_stream(queue); s != NULL;
         s = batch_queue_next_stream(s), i++) {
        snprintf(id, sizeof(id), "h:1:%d", i);
        cr_assert_eq(s, made[i]);
        cr_assert_str_eq(s->id, id);
    }
    cr_assert_eq(i, MANY_STREAMS);
}

/* Pops every ready batch and checks it holds the next records of its
   stream; returns how many records it saw. */
static uint64_t pop_all(struct live_stream **streams, int64_t *next)
{
    uint64_t seen = 0;
    struct batch *b;
    while ((b = batch_queue_pop(queue)) != NULL) {
        int k = 0;
        while (streams[k] != b->stream)
            k++;
        cr_assert_eq(index_of(b, 0), next[k]);
        next[k] += (int64_t)count_of(b);
        seen += count_of(b);
        batch_queue_recycle(queue, b);
    }
    return seen;
}

/* Every stream past the first few brings batches to the pool: with
   slow=drop and no sender each stream fills two batches, and yet no
   record is dropped, for each stream has its current batch and one in
   flight. */
Test(batch, each_stream_brings_its_own_batches)
{
    struct live_stream *streams[MANY_STREAMS];
    int64_t next[MANY_STREAMS] = {0};
    queue = listened_queue(0, -1);
    for (int k = 0; k < MANY_STREAMS; k++)
        streams[k] = batch_queue_add_stream(queue, &schema, "s");
    for (int k = 0; k < MANY_STREAMS; k++)
        add_many(streams[k], 0, BATCH_MAX_RECORDS + 1);

    for (int k = 0; k < MANY_STREAMS; k++)
        cr_assert_eq(dropped_of(streams[k]), 0);
    cr_assert_eq(pop_all(streams, next), MANY_STREAMS * BATCH_MAX_RECORDS);
    for (int k = 0; k < MANY_STREAMS; k++)
        cr_assert_eq(next[k], BATCH_MAX_RECORDS);
}

/* slow=drop with many streams all filling batches: the queue finds room by
   dropping, never waits, and counts every record as either queued or
   dropped. */
Test(batch, many_busy_streams_under_slow_drop_lose_only_counted_records,
     .timeout = 20)
{
    struct live_stream *streams[MANY_STREAMS];
    queue = listened_queue(0, -1);
    for (int k = 0; k < MANY_STREAMS; k++)
        streams[k] = batch_queue_add_stream(queue, &schema, "s");
    for (int round = 0; round < 5; round++)
        for (int k = 0; k < MANY_STREAMS; k++)
            add_many(streams[k], round * BATCH_MAX_RECORDS,
                     (round + 1) * BATCH_MAX_RECORDS);
    batch_queue_flush(queue);

    uint64_t dropped = 0;
    for (int k = 0; k < MANY_STREAMS; k++)
        dropped += dropped_of(streams[k]);
    cr_assert_gt(dropped, 0);
    uint64_t queued = 0;
    struct batch *b;
    while ((b = batch_queue_pop(queue)) != NULL) {
        queued += count_of(b);
        batch_queue_recycle(queue, b);
    }
    cr_assert_eq(queued + dropped, 5u * MANY_STREAMS * BATCH_MAX_RECORDS);
}

Test(batch, a_ready_batch_wakes_the_sender_once)
{
    int fds[2];
    char bytes[8];
    cr_assert_eq(pipe(fds), 0);
    queue = listened_queue(0, fds[1]);
    struct live_stream *s = batch_queue_add_stream(queue, &schema, "h:1:1");
    cr_assert_eq(read(fds[0], bytes, sizeof(bytes)), 1); /* a new stream */

    add_many(s, 0, 3 * BATCH_MAX_RECORDS + 1);
    /* Three batches pushed, but only the first found the queue empty. */
    cr_assert_eq(read(fds[0], bytes, sizeof(bytes)), 1);
    close(fds[0]);
    close(fds[1]);
}

/* slow=block: a thread that frees batches a little later. */
static void *free_batches_later(void *arg)
{
    (void)arg;
    usleep(100 * 1000);
    struct batch *b;
    for (int i = 0; i < 4; i++)
        while ((b = batch_queue_pop(queue)) != NULL)
            batch_queue_recycle(queue, b);
    return NULL;
}

Test(batch, slow_block_waits_for_room_and_drops_nothing)
{
    pthread_t thread;
    queue = listened_queue(1, -1);
    struct live_stream *s = batch_queue_add_stream(queue, &schema, "h:1:1");
    add_many(s, 0, 16 * BATCH_MAX_RECORDS); /* every batch in use */
    cr_assert_eq(pthread_create(&thread, NULL, free_batches_later, NULL), 0);

    uint64_t before = batch_clock_ns();
    add(s, 16 * BATCH_MAX_RECORDS, "x", 1); /* waits for the thread */
    uint64_t waited_ms = (batch_clock_ns() - before) / 1000000u;
    pthread_join(thread, NULL);

    cr_assert_geq(waited_ms, 50);
    cr_assert_eq(dropped_of(s), 0);
    cr_assert_eq(index_of(s->current, 0), 16 * BATCH_MAX_RECORDS);
}
