/*
 * recorders/zmq - publishes records over ZeroMQ while the program runs.
 *
 * The seed's ZeroMQRecorder, with a language-neutral wire format instead
 * of pickles (docs/live.md): `pikos --plugin recorders/zmq app.py` binds
 * tcp://127.0.0.1:9001 and any ZeroMQ SUB socket (pyzmq, `pikos watch`)
 * reads the records as JSON.
 *
 *   init      checks the options (one clear line for a bad one) and warns
 *             when the endpoint is reachable from other machines;
 *   start     binds or connects the socket and starts the sending thread
 *             (a port in use fails here, before the program runs), then
 *             waits for a subscriber if wait_for_ready=true;
 *   prepare   starts one stream per record schema (the schema's context,
 *             ABI 1.2, kept for the recorder's life: each later start
 *             starts a stream again for every schema it knows);
 *   record    copies the record into its stream's batch (batch.c);
 *   stop      sends what is left and the end messages, closes the socket,
 *             and tells how many records a slow subscriber made it drop
 *             (finalize does the same when stop has not).
 *
 * A child made by fork() inherits the recorder but not its thread; it
 * never touches the parent's socket, lock or thread: every callback that
 * would is skipped in a process other than the one that started it.
 * after_fork lets a recorder that connects to a collector (`pikos watch
 * --bind`) go on in the child with a socket, a thread and streams of its
 * own, so that each worker of a multiprocessing pool is a stream; one that
 * binds cannot (the parent holds the address), and its child stops
 * recording (the core's rule for recorders that cannot follow a fork).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <pikos/plugin.h>

#include "batch.h"
#include "sender.h"
#include "settings.h"

struct zmq_recorder {
    struct zmq_options options; /* stored by the host */
    const struct pikos_host *host;
    struct live_settings settings;
    char hostname[256];
    pid_t owner;                /* the process that started it */
    struct sender *sender;      /* while it runs */
    struct batch_queue *queue;  /* the sender's */
    struct zmq_schema *schemas; /* every schema prepared, newest first */
};

/* A schema's context: its stream in the current run (NULL when stopped,
   and in a forked child until after_fork gives it one of its own). */
struct zmq_schema {
    const struct pikos_schema *schema;
    struct live_stream *stream;
    struct zmq_schema *next;
};

#define OPT(field) offsetof(struct zmq_recorder, options.field)

static const struct pikos_option zmq_options_table[] = {
    {"endpoint", PIKOS_OPT_STRING, 0, SETTINGS_DEFAULT_ENDPOINT,
     "where to publish: tcp://HOST:PORT, ipc://PATH or inproc://NAME",
     OPT(endpoint)},
    {"host", PIKOS_OPT_STRING, 0, "",
     "with port: publish on tcp://HOST:PORT (the seed's zmq_host; default "
     "127.0.0.1)",
     OPT(host)},
    {"port", PIKOS_OPT_INT, 0, "0",
     "with host: the TCP port (the seed's zmq_port; 0: 9001)", OPT(port)},
    {"connect", PIKOS_OPT_BOOL, 0, "false",
     "connect to a collector that binds (pikos watch --bind) instead of "
     "binding",
     OPT(connect)},
    {"wait_for_ready", PIKOS_OPT_BOOL, 0, "false",
     "before the program runs, wait for a subscriber (at most "
     "ready_timeout)",
     OPT(wait_for_ready)},
    {"ready_timeout", PIKOS_OPT_FLOAT, 0, "10",
     "wait_for_ready: seconds to wait before going on without a subscriber",
     OPT(ready_timeout)},
    {"hwm", PIKOS_OPT_INT, 0, "100",
     "messages (batches of up to 1000 records) queued for each subscriber "
     "before it counts as slow",
     OPT(hwm)},
    {"slow", PIKOS_OPT_STRING, 0, "drop",
     "when a subscriber cannot keep up: drop (count the records it misses) "
     "or block (the program waits)",
     OPT(slow)},
    {"curve_server", PIKOS_OPT_BOOL, 0, "false",
     "encrypt with CURVE: subscribers need the server's public key",
     OPT(curve_server)},
    {"curve_secret_key", PIKOS_OPT_STRING, 0, "",
     "curve_server: the server's secret key (40 characters, Z85)",
     OPT(curve_secret_key)},
    {"curve_public_key", PIKOS_OPT_STRING, 0, "",
     "curve_server: the server's public key, checked against the secret "
     "key (optional)",
     OPT(curve_public_key)},
    {0},
};

/* Streams are numbered per process: "<host>:<pid>:<k>". */
static unsigned long next_stream_number(void)
{
    static unsigned long counter;
    return __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
}

static int is_owner(const struct zmq_recorder *self)
{
    return self->sender != NULL && getpid() == self->owner;
}

static int zmq_init(struct pikos_instance *inst, void *ctx,
                    const struct pikos_host *host)
{
    struct zmq_recorder *self = ctx;
    char error[512];

    self->host = host;
    int rc =
        settings_check(&self->options, &self->settings, error, sizeof(error));
    if (rc < 0)
        return host->set_error(inst, PIKOS_EINVAL, "%s", error);
    if (!self->settings.connect &&
        !settings_endpoint_is_local(self->settings.endpoint))
        host->log(inst, PIKOS_LOG_WARNING,
                  "%s is not a loopback address: whoever can reach this "
                  "machine can read the records (see docs/live.md, "
                  "Security)",
                  self->settings.endpoint);
    return PIKOS_OK;
}

/* The socket and the thread (the start's first half; a forked child's
   after_fork does it again). */
static int open_sender(struct pikos_instance *inst, struct zmq_recorder *self)
{
    const struct live_settings *set = &self->settings;
    char error[512];

    if (gethostname(self->hostname, sizeof(self->hostname)) != 0)
        snprintf(self->hostname, sizeof(self->hostname), "localhost");
    self->hostname[sizeof(self->hostname) - 1] = '\0';
    self->owner = getpid();
    self->sender = sender_start(set, self->hostname, (long)self->owner, error,
                                sizeof(error));
    if (self->sender == NULL)
        return self->host->set_error(inst, PIKOS_EIO, "%s", error);
    self->queue = sender_queue(self->sender);
    return PIKOS_OK;
}

/* A stream for the schema's records, named after this process. */
static int add_stream(struct pikos_instance *inst, struct zmq_recorder *self,
                      struct zmq_schema *zs)
{
    const struct pikos_schema *schema = zs->schema;
    char id[STREAM_ID_MAX];

    if (schema->nfields == 0 || schema->nfields > BATCH_MAX_FIELDS)
        return self->host->set_error(inst, PIKOS_EINVAL,
                                     "cannot publish %s records: %zu fields "
                                     "(1 to %d can be)",
                                     schema->name, schema->nfields,
                                     BATCH_MAX_FIELDS);
    snprintf(id, sizeof(id), "%s:%ld:%lu", self->hostname, (long)self->owner,
             next_stream_number());
    zs->stream = batch_queue_add_stream(self->queue, schema, id);
    if (zs->stream == NULL)
        return self->host->set_error(
            inst, PIKOS_ENOMEM, "out of memory for a stream of %s records",
            schema->name);
    return PIKOS_OK;
}

/* A stream for every schema prepared in an earlier run (or, after a
   fork, in the parent). */
static int add_streams(struct pikos_instance *inst, struct zmq_recorder *self)
{
    int rc = PIKOS_OK;

    for (struct zmq_schema *zs = self->schemas; zs && rc == PIKOS_OK;
         zs = zs->next)
        rc = add_stream(inst, self, zs);
    return rc;
}

static int zmq_start(struct pikos_instance *inst, void *ctx)
{
    struct zmq_recorder *self = ctx;
    const struct live_settings *set = &self->settings;
    int rc = open_sender(inst, self);

    if (rc == PIKOS_OK)
        rc = add_streams(inst, self);
    if (rc != PIKOS_OK)
        return rc;
    if (set->wait_for_ready &&
        !sender_wait_for_subscriber(self->sender, set->ready_timeout))
        self->host->log(inst, PIKOS_LOG_WARNING,
                        "no subscriber on %s within %g s (ready_timeout): "
                        "going on without one",
                        set->endpoint, set->ready_timeout);
    return PIKOS_OK;
}

static void zmq_release(struct pikos_instance *inst, void *ctx,
                        const struct pikos_schema *schema, void *schema_ctx)
{
    struct zmq_recorder *self = ctx;

    for (struct zmq_schema **p = &self->schemas; *p != NULL; p = &(*p)->next)
        if (*p == schema_ctx) {
            *p = (*p)->next;
            break;
        }
    free(schema_ctx);
}

static int zmq_prepare(struct pikos_instance *inst, void *ctx,
                       const struct pikos_schema *schema, void **schema_ctx)
{
    struct zmq_recorder *self = ctx;
    struct zmq_schema *zs = calloc(1, sizeof(*zs));
    int rc = PIKOS_OK;

    if (zs == NULL)
        return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    *zs = (struct zmq_schema){schema, NULL, self->schemas};
    self->schemas = zs;
    if (is_owner(self))
        rc = add_stream(inst, self, zs);
    if (rc != PIKOS_OK) { /* the host keeps nothing of a failed prepare */
        zmq_release(inst, ctx, schema, zs);
        return rc;
    }
    *schema_ctx = zs;
    return PIKOS_OK;
}

/* In a forked child, before it runs any Python code: a recorder connected
   to a collector starts over with a sender and streams of the child's own
   (the parent's are left as they are: their lock may be held by a thread
   that does not exist here).  The collector listens already: the child
   waits only for its subscription to come through the new connection
   (about a millisecond; at most 1 s), so that its first records are not
   published to no one. */
static int zmq_after_fork(struct pikos_instance *inst, void *ctx)
{
    struct zmq_recorder *self = ctx;
    int rc;

    if (!self->settings.connect || self->queue == NULL)
        return PIKOS_ESTATE; /* bound: the address is the parent's */
    self->sender = NULL;
    self->queue = NULL;
    if ((rc = open_sender(inst, self)) == PIKOS_OK)
        rc = add_streams(inst, self);
    if (rc == PIKOS_OK)
        sender_wait_for_subscriber(self->sender, 1.0);
    return rc;
}

static int zmq_record(struct pikos_instance *inst, void *ctx, void *schema_ctx,
                      const struct pikos_record *rec)
{
    struct zmq_recorder *self = ctx;
    struct live_stream *stream = ((struct zmq_schema *)schema_ctx)->stream;

    /* No stream: stopped.  (A forked child gets records only once its
       after_fork has given each schema a stream of its own.) */
    if (stream == NULL)
        return PIKOS_OK;
    if (batch_queue_add(self->queue, stream, rec->values) < 0)
        return self->host->set_error(inst, PIKOS_ENOMEM,
                                     "out of memory for a %s record",
                                     rec->schema->name);
    return PIKOS_OK;
}

static int zmq_flush(struct pikos_instance *inst, void *ctx)
{
    struct zmq_recorder *self = ctx;
    if (is_owner(self))
        batch_queue_flush(self->queue);
    return PIKOS_OK;
}

/* Ends the streams and closes the socket; stop, finalize and fini all
   come here, and only the first does the work. */
static int zmq_finish(struct pikos_instance *inst, void *ctx)
{
    struct zmq_recorder *self = ctx;
    struct sender_report report;
    int owner = is_owner(self);
    struct sender *sender = self->sender;

    /* A forked child leaves the parent's sender alone (and its memory:
       freeing it would mean taking the parent's lock). */
    self->sender = NULL;
    self->queue = NULL;
    for (struct zmq_schema *zs = self->schemas; zs != NULL; zs = zs->next)
        zs->stream = NULL; /* the queue's, gone with it */
    if (!owner)
        return PIKOS_OK;
    sender_finish(sender, &report);
    if (report.dropped > 0)
        self->host->log(inst, PIKOS_LOG_WARNING,
                        "%llu of %llu records were dropped: the subscriber "
                        "or the network was slower than the program "
                        "(slow=drop; slow=block keeps every record)",
                        (unsigned long long)report.dropped,
                        (unsigned long long)(report.sent + report.dropped));
    if (report.error[0] != '\0')
        return self->host->set_error(inst, PIKOS_EIO, "%s on %s", report.error,
                                     self->settings.endpoint);
    return PIKOS_OK;
}

static void zmq_fini(struct pikos_instance *inst, void *ctx)
{
    zmq_finish(inst, ctx);
}

PIKOS_PLUGIN_DEFINE({
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_RECORDER,
    .name = "zmq",
    .version = "0.1.0",
    .description = "Publish records over ZeroMQ as JSON while the program "
                   "runs (pikos watch, or any SUB socket)",
    .options = zmq_options_table,
    .ctx_size = sizeof(struct zmq_recorder),
    .init = zmq_init,
    .start = zmq_start,
    .stop = zmq_finish,
    .fini = zmq_fini,
    .flush = zmq_flush,
    .finalize = zmq_finish,
    .after_fork = zmq_after_fork,
    .prepare_schema = zmq_prepare,
    .record_schema = zmq_record,
    .release_schema = zmq_release,
});
