/*
 * recorders/zmq: the socket and the sending thread (see sender.h).
 *
 * The socket is an XPUB: a PUB that also reads its subscribers'
 * subscriptions (ZMQ_XPUB_VERBOSE and VERBOSER: every subscription and
 * unsubscription, not only the first and last of a topic), which is how
 * wait_for_ready knows a subscriber is there, when to re-send the schemas,
 * and that no one listens (then batches are not even written as JSON: the
 * socket would drop them unread).  ZMQ_XPUB_NODROP makes a send that finds
 * a subscriber's queue full (hwm) fail with EAGAIN instead of losing the
 * message silently, so that drops are counted (slow=drop) or waited out
 * (slow=block).  Only the thread uses the socket once it runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "sender.h"
#include "wire.h"

#define NS_PER_MS 1000000ull
#define SCHEMA_PERIOD_NS (1000 * NS_PER_MS) /* schemas re-sent each second */
#define TICK_MS 40 /* the thread looks at the batches this often */
#define DUE_AGE_NS (50 * NS_PER_MS) /* records older than this go out */
#define SEND_SLICE_MS 100    /* a blocking send waits this long at a time */
#define CLOSING_WAIT_MS 1000 /* at the end, how long one send may wait */
#define LINGER_MS 1000

struct sender {
    struct live_settings settings;
    char host[256];
    long pid;
    void *context;
    void *socket;
    int wake[2]; /* a pipe: the queue writes a byte to wake the thread */
    pthread_t thread;
    struct batch_queue *queue;
    struct wire wire;

    pthread_mutex_t lock;
    pthread_cond_t changed; /* subscribed */
    int closing;            /* under lock: finish sending and stop */
    int subscribed;         /* under lock: a subscriber to the records */

    /* The thread's own. */
    int subscriptions; /* to the records, of the subscribers there now */
    int gave_up;       /* a send at the end found no room for CLOSING_WAIT_MS */
    uint64_t next_schemas_ns;
    char error[SENDER_ERROR_MAX];
};

__attribute__((format(printf, 2, 3))) static void
note_error(struct sender *s, const char *fmt, ...)
{
    va_list ap;
    if (s->error[0] != '\0')
        return;
    va_start(ap, fmt);
    vsnprintf(s->error, sizeof(s->error), fmt, ap);
    va_end(ap);
}

static int is_closing(struct sender *s)
{
    pthread_mutex_lock(&s->lock);
    int closing = s->closing;
    pthread_mutex_unlock(&s->lock);
    return closing;
}

/* ------------------------------------------------------------ sending */

/* Records, or the schema and end messages a subscriber needs to read
   them. */
enum message_kind { RECORDS, CONTROL };

/* How long a message may wait for room, in ms: 0 not at all, -1 as long
   as it takes.  While the program runs, slow=block waits as long as it
   takes and slow=drop never waits.  At the end, slow=block (and slow=drop
   for the end messages) waits at most CLOSING_WAIT_MS, and once a send has
   waited that long, no other waits at all. */
static int send_budget_ms(struct sender *s, enum message_kind kind)
{
    if (s->gave_up)
        return 0;
    int closing = is_closing(s);
    if (s->settings.block)
        return closing ? CLOSING_WAIT_MS : -1;
    return closing && kind == CONTROL ? CLOSING_WAIT_MS : 0;
}

/* One try at sending the topic and the message built in s->wire: 1 sent,
   0 no room (a subscriber's queue is full), -1 failed. */
static int try_send(struct sender *s, const char *topic, int flags)
{
    if (zmq_send(s->socket, topic, strlen(topic), flags | ZMQ_SNDMORE) < 0) {
        if (errno == EAGAIN)
            return 0;
    } else if (zmq_send(s->socket, s->wire.text, s->wire.len, flags) >= 0) {
        return 1; /* once the first frame is taken, so is the second */
    }
    note_error(s, "cannot send: %s", zmq_strerror(errno));
    return -1;
}

/* Sends the message built in s->wire, waiting for room as long as
   send_budget_ms allows (each blocking try waits SEND_SLICE_MS at most).
   1 when sent, 0 when not. */
static int send_message(struct sender *s, const char *topic,
                        enum message_kind kind)
{
    uint64_t deadline = 0;

    for (;;) {
        int budget = send_budget_ms(s, kind);
        int sent = try_send(s, topic, budget == 0 ? ZMQ_DONTWAIT : 0);
        if (sent != 0 || budget == 0)
            return sent > 0;
        if (budget < 0)
            continue;
        uint64_t now = batch_clock_ns();
        if (deadline == 0) {
            deadline = now + (uint64_t)budget * NS_PER_MS;
        } else if (now >= deadline) {
            s->gave_up = 1;
            return 0;
        }
    }
}

static void send_schema(struct sender *s, struct live_stream *stream)
{
    if (wire_schema(&s->wire, stream, s->host, s->pid) < 0) {
        note_error(s, "out of memory");
        return;
    }
    if (send_message(s, WIRE_TOPIC_SCHEMA, CONTROL))
        stream->announced = 1;
}

static void send_all_schemas(struct sender *s)
{
    for (struct live_stream *stream = batch_queue_first_stream(s->queue);
         stream != NULL; stream = batch_queue_next_stream(stream))
        send_schema(s, stream);
}

/* A stream's schema goes out when it starts, before its records. */
static void announce_new_streams(struct sender *s)
{
    for (struct live_stream *stream = batch_queue_first_stream(s->queue);
         stream != NULL; stream = batch_queue_next_stream(stream))
        if (!stream->announced)
            send_schema(s, stream);
}

/* Records [from, to) of a batch: sent, or counted as dropped. */
static void send_records(struct sender *s, struct batch *b, size_t from,
                         size_t to)
{
    struct live_stream *stream = b->stream;

    if (from >= to)
        return;
    if (s->subscriptions == 0) {
        /* No one to send them to: the socket would drop them unread. */
        stream->sent += to - from;
        return;
    }
    if (!stream->announced)
        send_schema(s, stream);
    if (wire_records(&s->wire, stream, b, from, to) < 0)
        note_error(s, "out of memory");
    else if (send_message(s, WIRE_TOPIC_RECORDS, RECORDS)) {
        stream->sent += to - from;
        return;
    }
    batch_queue_count_dropped(s->queue, stream, to - from);
}

static void send_ready_batches(struct sender *s)
{
    struct batch *b;

    while ((b = batch_queue_pop(s->queue)) != NULL) {
        size_t count = atomic_load_explicit(&b->count, memory_order_relaxed);
        send_records(s, b, b->sent, count);
        batch_queue_recycle(s->queue, b);
    }
}

/* The latency bound: records that waited DUE_AGE_NS in a batch that is not
   full go out without it; with TICK_MS between looks, none waits more
   than about 90 ms. */
static void send_due_records(struct sender *s)
{
    uint64_t now = batch_clock_ns();
    size_t upto;
    struct batch *b;

    if (s->subscriptions == 0)
        return; /* the queue empties batches itself while no one listens */
    while ((b = batch_queue_borrow(s->queue, now, DUE_AGE_NS, &upto)) != NULL) {
        send_records(s, b, b->sent, upto);
        batch_queue_give_back(s->queue, b, upto, now);
    }
}

static void send_end_messages(struct sender *s)
{
    uint64_t unheard, dropped;

    for (struct live_stream *stream = batch_queue_first_stream(s->queue);
         stream != NULL; stream = batch_queue_next_stream(stream)) {
        batch_queue_counts(s->queue, stream, &unheard, &dropped);
        if (wire_end(&s->wire, stream, stream->sent + unheard, dropped) < 0)
            note_error(s, "out of memory");
        else
            send_message(s, WIRE_TOPIC_END, CONTROL);
    }
}

/* ------------------------------------------------------------ listening */

/* Whether a subscription (its topic prefix) lets records through. */
static int wants_records(const char *prefix, size_t len)
{
    return len <= strlen(WIRE_TOPIC_RECORDS) &&
           memcmp(prefix, WIRE_TOPIC_RECORDS, len) == 0;
}

/* Reads the subscriptions and unsubscriptions that came in (a byte 1 or 0,
   then the topic prefix; ZMQ_XPUB_VERBOSE and VERBOSER pass on every one,
   those of subscribers that went away included); a new subscriber gets
   the schemas at once. */
static void take_subscriptions(struct sender *s)
{
    char message[64];
    int arrived = 0;
    int n;

    while ((n = zmq_recv(s->socket, message, sizeof(message), ZMQ_DONTWAIT)) >=
           0) {
        if (n < 1 || (size_t)n > sizeof(message) ||
            !wants_records(message + 1, (size_t)n - 1))
            continue;
        if (message[0] == 1) {
            s->subscriptions++;
            arrived = 1;
        } else if (message[0] == 0 && s->subscriptions > 0) {
            s->subscriptions--;
        }
        batch_queue_set_listening(s->queue, s->subscriptions > 0);
    }
    if (!arrived)
        return;
    pthread_mutex_lock(&s->lock);
    s->subscribed = 1;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    send_all_schemas(s);
}

static void resend_schemas_when_due(struct sender *s)
{
    uint64_t now = batch_clock_ns();
    if (now < s->next_schemas_ns)
        return;
    send_all_schemas(s);
    s->next_schemas_ns = now + SCHEMA_PERIOD_NS;
}

/* Sleeps until a batch is ready, a subscription comes, or the next tick. */
static void wait_for_work(struct sender *s)
{
    zmq_pollitem_t items[2] = {{s->socket, 0, ZMQ_POLLIN, 0},
                               {NULL, s->wake[0], ZMQ_POLLIN, 0}};
    char drain[64];

    zmq_poll(items, 2, TICK_MS);
    if (items[1].revents & ZMQ_POLLIN)
        while (read(s->wake[0], drain, sizeof(drain)) > 0)
            continue;
}

static void *sender_main(void *arg)
{
    struct sender *s = arg;

    s->next_schemas_ns = batch_clock_ns() + SCHEMA_PERIOD_NS;
    while (!is_closing(s)) {
        take_subscriptions(s);
        announce_new_streams(s);
        send_ready_batches(s);
        send_due_records(s);
        resend_schemas_when_due(s);
        wait_for_work(s);
    }
    /* The program flushed every batch before it asked to close. */
    announce_new_streams(s);
    send_ready_batches(s);
    send_end_messages(s);
    return NULL;
}

/* ------------------------------------------------------------ set-up */

static int set_option(struct sender *s, int option, int value)
{
    return zmq_setsockopt(s->socket, option, &value, sizeof(value));
}

static int configure_socket(struct sender *s)
{
    const struct live_settings *set = &s->settings;
    const struct {
        int option;
        int value;
    } options[] = {
        {ZMQ_SNDHWM, set->hwm},  {ZMQ_XPUB_NODROP, 1},
        {ZMQ_XPUB_VERBOSE, 1},   {ZMQ_XPUB_VERBOSER, 1},
        {ZMQ_LINGER, LINGER_MS}, {ZMQ_SNDTIMEO, SEND_SLICE_MS},
        {ZMQ_IPV6, 1}, /* IPv6 addresses too (libzmq falls back to IPv4) */
    };

    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
        if (set_option(s, options[i].option, options[i].value) != 0)
            return -1;
    if (!set->curve_server)
        return 0;
    if (set_option(s, ZMQ_CURVE_SERVER, 1) != 0)
        return -1;
    return zmq_setsockopt(s->socket, ZMQ_CURVE_SECRETKEY, set->curve_secret_key,
                          strlen(set->curve_secret_key));
}

static int open_socket(struct sender *s, char *error, size_t cap)
{
    const char *endpoint = s->settings.endpoint;

    s->context = zmq_ctx_new();
    s->socket = s->context ? zmq_socket(s->context, ZMQ_XPUB) : NULL;
    if (s->socket == NULL || configure_socket(s) != 0) {
        snprintf(error, cap, "cannot make a ZeroMQ socket: %s",
                 zmq_strerror(errno));
        return -1;
    }
    int rc = s->settings.connect ? zmq_connect(s->socket, endpoint)
                                 : zmq_bind(s->socket, endpoint);
    if (rc == 0)
        return 0;
    int cause = errno;
    const char *hint = cause == EADDRINUSE
                           ? " (another program listens there: choose "
                             "another endpoint= or port=)"
                           : "";
    snprintf(error, cap, "cannot %s %s: %s%s",
             s->settings.connect ? "connect to" : "bind", endpoint,
             zmq_strerror(cause), hint);
    return -1;
}

/* The thread takes no signal: they stay with the program's threads. */
static int start_thread(struct sender *s)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&s->thread, NULL, sender_main, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

static int init_sync(struct sender *s)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&s->lock, NULL);
    int rc = pthread_cond_init(&s->changed, &attr);
    pthread_condattr_destroy(&attr);
    return rc;
}

/* Non-blocking both ends: the queue never waits to wake the thread. */
static int make_wake_pipe(int fds[2])
{
    if (pipe(fds) != 0)
        return -1;
    for (int i = 0; i < 2; i++)
        if (fcntl(fds[i], F_SETFL, O_NONBLOCK) != 0 ||
            fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0)
            return -1;
    return 0;
}

/* Everything but the thread, in the reverse order of making it. */
static void release(struct sender *s)
{
    if (s->socket != NULL)
        zmq_close(s->socket);
    if (s->context != NULL)
        zmq_ctx_term(s->context); /* waits at most LINGER_MS */
    batch_queue_free(s->queue);
    wire_free(&s->wire);
    for (int i = 0; i < 2; i++)
        if (s->wake[i] >= 0)
            close(s->wake[i]);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->changed);
    free(s);
}

struct sender *sender_start(const struct live_settings *settings,
                            const char *host, long pid, char *error, size_t cap)
{
    struct sender *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(error, cap, "out of memory");
        return NULL;
    }
    s->settings = *settings;
    snprintf(s->host, sizeof(s->host), "%s", host);
    s->pid = pid;
    s->wake[0] = s->wake[1] = -1;
    int ok = init_sync(s) == 0 && wire_init(&s->wire) == 0 &&
             make_wake_pipe(s->wake) == 0 &&
             (s->queue = batch_queue_new(settings->block, s->wake[1])) != NULL;
    if (!ok)
        snprintf(error, cap, "out of memory (or of file descriptors)");
    if (ok && open_socket(s, error, cap) == 0) {
        if (start_thread(s) == 0)
            return s;
        snprintf(error, cap, "cannot start the sending thread");
    }
    release(s);
    return NULL;
}

struct batch_queue *sender_queue(struct sender *s)
{
    return s->queue;
}

int sender_wait_for_subscriber(struct sender *s, double timeout)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    uint64_t ns = (uint64_t)deadline.tv_nsec + (uint64_t)(timeout * 1e9);
    deadline.tv_sec += (time_t)(ns / 1000000000u);
    deadline.tv_nsec = (long)(ns % 1000000000u);

    pthread_mutex_lock(&s->lock);
    int rc = 0;
    while (!s->subscribed && rc == 0)
        rc = pthread_cond_timedwait(&s->changed, &s->lock, &deadline);
    int subscribed = s->subscribed;
    pthread_mutex_unlock(&s->lock);
    return subscribed;
}

void sender_finish(struct sender *s, struct sender_report *report)
{
    char byte = 1;

    batch_queue_flush(s->queue);
    pthread_mutex_lock(&s->lock);
    s->closing = 1;
    pthread_mutex_unlock(&s->lock);
    /* Should the write fail, the thread still sees `closing` within
       TICK_MS. */
    ssize_t n = write(s->wake[1], &byte, 1);
    (void)n;
    pthread_join(s->thread, NULL);

    memset(report, 0, sizeof(*report));
    for (const struct live_stream *stream = batch_queue_first_stream(s->queue);
         stream != NULL; stream = batch_queue_next_stream(stream)) {
        report->sent += stream->sent + stream->unheard;
        report->dropped += stream->dropped;
    }
    snprintf(report->error, sizeof(report->error), "%s", s->error);
    release(s);
}
