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
 *   prepare   starts one stream per record schema;
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
    pid_t owner;               /* the process that started it */
    struct sender *sender;     /* while it runs */
    struct batch_queue *queue; /* the sender's */
    /* record()'s last lookup: almost every record has the same schema. */
    const struct pikos_schema *last_schema;
    struct live_stream *last_stream;
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
    self->last_schema = NULL;
    self->last_stream = NULL;
    return PIKOS_OK;
}

static int zmq_start(struct pikos_instance *inst, void *ctx)
{
    struct zmq_recorder *self = ctx;
    const struct live_settings *set = &self->settings;
    int rc = open_sender(inst, self);

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

/* A stream for the schema's records, named after this process. */
static int add_stream(struct pikos_instance *inst, struct zmq_recorder *self,
                      const struct pikos_schema *schema)
{
    char id[STREAM_ID_MAX];

    if (schema->nfields == 0 || schema->nfields > BATCH_MAX_FIELDS)
        return self->host->set_error(inst, PIKOS_EINVAL,
                                     "cannot publish %s records: %zu fields "
                                     "(1 to %d can be)",
                                     schema->name, schema->nfields,
                                     BATCH_MAX_FIELDS);
    snprintf(id, sizeof(id), "%s:%ld:%lu", self->hostname, (long)self->owner,
             next_stream_number());
    if (batch_queue_add_stream(self->queue, schema, id) == NULL)
        return self->host->set_error(
            inst, PIKOS_EINVAL,
            "cannot publish more than %d kinds of records in one run",
            QUEUE_MAX_STREAMS);
    return PIKOS_OK;
}

static int zmq_prepare(struct pikos_instance *inst, void *ctx,
                       const struct pikos_schema *schema)
{
    struct zmq_recorder *self = ctx;

    return is_owner(self) ? add_stream(inst, self, schema) : PIKOS_OK;
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
    const struct batch_queue *inherited = self->queue;
    const struct pikos_schema *schemas[QUEUE_MAX_STREAMS];
    size_t count = inherited != NULL ? inherited->nstreams : 0;
    int rc;

    if (!self->settings.connect || inherited == NULL)
        return PIKOS_ESTATE; /* bound: the address is the parent's */
    for (size_t i = 0; i < count; i++)
        schemas[i] = inherited->streams[i].schema;
    self->sender = NULL;
    self->queue = NULL;
    if ((rc = open_sender(inst, self)) != PIKOS_OK)
        return rc;
    for (size_t i = 0; i < count && rc == PIKOS_OK; i++)
        rc = add_stream(inst, self, schemas[i]);
    if (rc == PIKOS_OK)
        sender_wait_for_subscriber(self->sender, 1.0);
    return rc;
}

/* The stream of a schema (prepare made it); NULL if there is none. */
static struct live_stream *find_stream(struct zmq_recorder *self,
                                       const struct pikos_schema *schema)
{
    for (size_t i = 0; self->queue != NULL && i < self->queue->nstreams; i++) {
        if (self->queue->streams[i].schema == schema) {
            self->last_schema = schema;
            self->last_stream = &self->queue->streams[i];
            return self->last_stream;
        }
    }
    return NULL;
}

static int zmq_record(struct pikos_instance *inst, void *ctx,
                      const struct pikos_record *rec)
{
    struct zmq_recorder *self = ctx;
    struct live_stream *stream = self->last_stream;

    if (rec->schema != self->last_schema &&
        (stream = find_stream(self, rec->schema)) == NULL) {
        if (!is_owner(self))
            return PIKOS_OK; /* stopped, or a forked child */
        return self->host->set_error(inst, PIKOS_ESTATE,
                                     "a %s record came before its schema",
                                     rec->schema->name);
    }
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
    self->last_schema = NULL;
    self->last_stream = NULL;
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
    .prepare = zmq_prepare,
    .record = zmq_record,
    .flush = zmq_flush,
    .finalize = zmq_finish,
    .after_fork = zmq_after_fork,
});
