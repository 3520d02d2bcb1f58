/* recorders/zmq through the fake host, with real sockets: a libzmq SUB
   socket in the test reads what the recorder publishes (ipc:// endpoints in
   a temporary directory, or loopback TCP on a port the system picked). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <zmq.h>

#include "batch.h"
#include "fakehost.h"

extern const struct pikos_plugin pikos_plugin_entry;
#define PLUGIN pikos_plugin_entry

static const struct pikos_field fields[] = {{"index", PIKOS_FIELD_INT},
                                            {"function", PIKOS_FIELD_STR},
                                            {"time", PIKOS_FIELD_FLOAT}};
static const struct pikos_schema schema = {"Sample", 3, fields, NULL, NULL};

static void *zctx;
static void *sockets[4]; /* the test's, closed by teardown */
static size_t nsockets;
static char dir[64];
static char endpoint[128];         /* ipc://DIR/live */
static char endpoint_setting[160]; /* endpoint=ipc://DIR/live */

static void setup(void)
{
    zctx = zmq_ctx_new();
    snprintf(dir, sizeof(dir), "/tmp/pikos-zmq-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(endpoint, sizeof(endpoint), "ipc://%s/live", dir);
    snprintf(endpoint_setting, sizeof(endpoint_setting), "endpoint=%s",
             endpoint);
}

static void teardown(void)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/live", dir);
    unlink(path);
    rmdir(dir);
    for (size_t i = 0; i < nsockets; i++)
        zmq_close(sockets[i]);
    zmq_ctx_term(zctx);
}

TestSuite(zmq, .init = setup, .fini = teardown, .timeout = 60);

/* ------------------------------------------------------------ helpers */

/* A socket of the test's, which never lingers. */
static void *test_socket(int type)
{
    int linger = 0;
    cr_assert_lt(nsockets, sizeof(sockets) / sizeof(sockets[0]));
    void *socket = zmq_socket(zctx, type);
    cr_assert_not_null(socket);
    zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof(linger));
    sockets[nsockets++] = socket;
    return socket;
}

static void *subscriber(const char *where, int bind)
{
    void *sub = test_socket(ZMQ_SUB);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "pikos.", 6);
    cr_assert_eq(bind ? zmq_bind(sub, where) : zmq_connect(sub, where), 0);
    return sub;
}

/* One two-frame message within `timeout_ms`: its topic and parsed JSON
   body (NULL on timeout). */
static json_t *receive(void *sub, char *topic, size_t cap, int timeout_ms)
{
    zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
    char body[1 << 17];
    int more = 0;
    size_t more_size = sizeof(more);

    if (zmq_poll(&item, 1, timeout_ms) != 1)
        return NULL;
    int n = zmq_recv(sub, topic, cap - 1, 0);
    cr_assert(n > 0 && (size_t)n < cap);
    topic[n] = '\0';
    zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &more_size);
    cr_assert(more, "a message has two frames");
    n = zmq_recv(sub, body, sizeof(body), 0);
    cr_assert(n >= 0 && (size_t)n <= sizeof(body));
    json_error_t error;
    json_t *json = json_loadb(body, (size_t)n, 0, &error);
    cr_assert_not_null(json, "%s", error.text);
    return json;
}

/* A recorder with these settings ("name=value", at most four). */
static struct fake_instance *recorder_with(const char *const *settings)
{
    struct fake_instance *fi = fake_instance_new(&PLUGIN, settings);
    cr_assert_not_null(fi);
    cr_assert_eq(fi->init_rc, PIKOS_OK, "%s", fi->error);
    return fi;
}
#define recorder(...) recorder_with((const char *const[]){__VA_ARGS__, NULL})

static void start(struct fake_instance *fi)
{
    cr_assert_eq(PLUGIN.start(&fi->inst, fi->ctx), PIKOS_OK, "%s", fi->error);
    cr_assert_eq(fake_prepare(fi, &schema), PIKOS_OK, "%s", fi->error);
}

static void record(struct fake_instance *fi, int64_t index, const char *text)
{
    struct pikos_value values[3] = {
        {.u.i = index}, {.u.s = {text, strlen(text)}}, {.u.f = index / 2.0}};
    struct pikos_record rec = {&schema, values};
    cr_assert_eq(fake_record(fi, &rec), PIKOS_OK);
}

static void stop(struct fake_instance *fi)
{
    cr_assert_eq(PLUGIN.flush(&fi->inst, fi->ctx), PIKOS_OK);
    cr_assert_eq(PLUGIN.stop(&fi->inst, fi->ctx), PIKOS_OK, "%s", fi->error);
    cr_assert_eq(PLUGIN.finalize(&fi->inst, fi->ctx), PIKOS_OK);
}

static uint64_t elapsed_ms(uint64_t since_ns)
{
    return (batch_clock_ns() - since_ns) / 1000000u;
}

/* What a subscriber read of one stream, up to its end message. */
struct stream_read {
    char id[STREAM_ID_MAX];
    int schemas;
    int64_t records;
    int in_order;
    json_int_t end_count;
    json_int_t end_dropped;
};

static void read_records(json_t *body, struct stream_read *r)
{
    json_t *rows = json_object_get(body, "records"), *row;
    size_t i;
    json_array_foreach(rows, i, row)
    {
        cr_assert_eq(json_array_size(row), 3);
        json_int_t index = json_integer_value(json_array_get(row, 0));
        r->in_order &= index == r->records;
        cr_assert(json_is_real(json_array_get(row, 2)));
        r->records++;
    }
}

/* Reads one stream up to its end; `known_id`: its schema was read
   already. */
static void read_stream(void *sub, const char *known_id, struct stream_read *r)
{
    char topic[64];
    json_t *body;

    memset(r, 0, sizeof(*r));
    if (known_id != NULL)
        snprintf(r->id, sizeof(r->id), "%s", known_id);
    r->in_order = 1;
    r->end_count = -1;
    while ((body = receive(sub, topic, sizeof(topic), 5000)) != NULL) {
        const char *id = json_string_value(json_object_get(body, "stream"));
        cr_assert_not_null(id);
        if (strcmp(topic, "pikos.schema") == 0) {
            snprintf(r->id, sizeof(r->id), "%s", id);
            r->schemas++;
        } else if (strcmp(topic, "pikos.records") == 0) {
            cr_assert_str_eq(id, r->id, "records after their schema");
            read_records(body, r);
        } else {
            cr_assert_str_eq(topic, "pikos.end");
            r->end_count = json_integer_value(json_object_get(body, "count"));
            r->end_dropped =
                json_integer_value(json_object_get(body, "dropped"));
        }
        json_decref(body);
        if (r->end_count >= 0)
            return;
    }
}

/* ------------------------------------------------------------ tests */

Test(zmq, a_subscriber_reads_every_record_then_the_end)
{
    void *sub = subscriber(endpoint, 0);
    struct fake_instance *fi =
        recorder(endpoint_setting, "wait_for_ready=true", "slow=block");
    struct stream_read r;
    char host[256], expected_id[300];

    start(fi);
    for (int i = 0; i < 2500; i++)
        record(fi, i, i % 2 ? "odd" : "even");
    stop(fi);
    read_stream(sub, NULL, &r);

    gethostname(host, sizeof(host));
    snprintf(expected_id, sizeof(expected_id), "%s:%ld:", host, (long)getpid());
    cr_assert_eq(strncmp(r.id, expected_id, strlen(expected_id)), 0, "%s",
                 r.id);
    cr_assert_geq(r.schemas, 1);
    cr_assert_eq(r.records, 2500);
    cr_assert(r.in_order);
    cr_assert_eq(r.end_count, 2500);
    cr_assert_eq(r.end_dropped, 0);
    cr_assert_eq(fi->nlogs, 0, "%s", fi->last_log);
    fake_instance_free(fi);
}

#define KINDS 20 /* more kinds of records than the queue's first batches */

/* Which of the KINDS schemas a schema message names ("Kind<k>"). */
static int kind_of(json_t *body)
{
    const char *name = json_string_value(json_object_get(body, "schema"));
    cr_assert_not_null(name);
    return atoi(name + strlen("Kind"));
}

/* Reads every stream up to its end: the records and end count of each
   kind, in ids[] order of their schema messages. */
static void read_kinds(void *sub, char ids[KINDS][STREAM_ID_MAX],
                       int64_t records[KINDS], json_int_t ends[KINDS])
{
    char topic[64];
    json_t *body;
    int nends = 0;

    while (nends < KINDS &&
           (body = receive(sub, topic, sizeof(topic), 5000)) != NULL) {
        const char *id = json_string_value(json_object_get(body, "stream"));
        int k = 0;
        if (strcmp(topic, "pikos.schema") == 0)
            snprintf(ids[kind_of(body)], STREAM_ID_MAX, "%s", id);
        while (k < KINDS && strcmp(ids[k], id) != 0)
            k++;
        cr_assert_lt(k, KINDS, "a message before its schema: %s", id);
        if (strcmp(topic, "pikos.records") == 0)
            records[k] +=
                (int64_t)json_array_size(json_object_get(body, "records"));
        else if (strcmp(topic, "pikos.end") == 0 && ends[k] < 0) {
            ends[k] = json_integer_value(json_object_get(body, "count"));
            nends++;
        }
        json_decref(body);
    }
}

Test(zmq, twenty_kinds_of_records_each_get_a_stream)
{
    struct pikos_schema schemas[KINDS];
    char names[KINDS][16], ids[KINDS][STREAM_ID_MAX] = {{0}};
    int64_t records[KINDS] = {0};
    json_int_t ends[KINDS];
    void *sub = subscriber(endpoint, 0);
    struct fake_instance *fi =
        recorder(endpoint_setting, "wait_for_ready=true", "slow=block");

    cr_assert_eq(PLUGIN.start(&fi->inst, fi->ctx), PIKOS_OK, "%s", fi->error);
    for (int k = 0; k < KINDS; k++) {
        snprintf(names[k], sizeof(names[k]), "Kind%d", k);
        schemas[k] = (struct pikos_schema){names[k], 3, fields, NULL, NULL};
        cr_assert_eq(fake_prepare(fi, &schemas[k]), PIKOS_OK, "%s", fi->error);
        ends[k] = -1;
    }
    for (int i = 0; i < 1500; i++)
        for (int k = 0; k < KINDS; k++) {
            struct pikos_value values[3] = {
                {.u.i = i}, {.u.s = {"x", 1}}, {.u.f = 0.5}};
            struct pikos_record rec = {&schemas[k], values};
            cr_assert_eq(fake_record(fi, &rec), PIKOS_OK);
        }
    stop(fi);
    read_kinds(sub, ids, records, ends);

    for (int k = 0; k < KINDS; k++) {
        cr_assert_eq(records[k], 1500, "Kind%d: %ld", k, (long)records[k]);
        cr_assert_eq(ends[k], 1500, "Kind%d", k);
    }
    fake_instance_free(fi);
}

/* The next message of a topic within `timeout_ms` (others are skipped). */
static json_t *receive_topic(void *sub, const char *wanted, int timeout_ms)
{
    char topic[64];
    uint64_t deadline = batch_clock_ns() + (uint64_t)timeout_ms * 1000000u;
    json_t *body;

    for (;;) {
        int64_t left = (int64_t)(deadline - batch_clock_ns()) / 1000000;
        if (left <= 0 ||
            (body = receive(sub, topic, sizeof(topic), (int)left)) == NULL)
            return NULL;
        if (strcmp(topic, wanted) == 0)
            return body;
        json_decref(body);
    }
}

Test(zmq, no_record_waits_more_than_100_ms)
{
    void *sub = subscriber(endpoint, 0);
    struct fake_instance *fi =
        recorder(endpoint_setting, "wait_for_ready=true");

    start(fi);
    cr_assert_null(receive_topic(sub, "pikos.records", 300), "no record yet");
    for (int i = 0; i < 3; i++) {
        uint64_t made = batch_clock_ns();
        record(fi, i, "one");
        json_t *body = receive_topic(sub, "pikos.records", 1000);
        uint64_t waited = elapsed_ms(made);

        cr_assert_not_null(body);
        cr_assert_eq(json_array_size(json_object_get(body, "records")), 1);
        cr_assert_leq(waited, 150, "%llu ms", (unsigned long long)waited);
        json_decref(body);
        usleep(30 * 1000 * (unsigned)i);
    }
    stop(fi);
    fake_instance_free(fi);
}

Test(zmq, the_schema_is_sent_again_every_second)
{
    struct fake_instance *fi = recorder(endpoint_setting);
    char topic[64];
    json_t *body;

    start(fi);
    void *late = subscriber(endpoint, 0);
    body = receive(late, topic, sizeof(topic), 3000);
    cr_assert_not_null(body);
    cr_assert_str_eq(topic, "pikos.schema");
    cr_assert_str_eq(json_string_value(json_object_get(body, "schema")),
                     "Sample");
    json_decref(body);
    stop(fi);
    fake_instance_free(fi);
}

Test(zmq, connect_to_a_collector_that_binds)
{
    void *collector = subscriber(endpoint, 1);
    struct fake_instance *fi = recorder(endpoint_setting, "connect=true");
    struct stream_read r;

    /* A bound SUB sends its subscription only when its own thread uses the
       socket: this one does so while it waits for the first schema. */
    start(fi);
    json_t *schema_message = receive_topic(collector, "pikos.schema", 3000);
    cr_assert_not_null(schema_message);
    for (int i = 0; i < 10; i++)
        record(fi, i, "x");
    stop(fi);
    read_stream(collector,
                json_string_value(json_object_get(schema_message, "stream")),
                &r);
    json_decref(schema_message);

    cr_assert_eq(r.records, 10);
    cr_assert_eq(r.end_count, 10);
    fake_instance_free(fi);
}

Test(zmq, a_port_in_use_fails_the_start_with_one_clear_line)
{
    void *other = test_socket(ZMQ_PUB);
    char taken[128], setting[160], expected[512];
    size_t size = sizeof(taken);
    cr_assert_eq(zmq_bind(other, "tcp://127.0.0.1:*"), 0);
    zmq_getsockopt(other, ZMQ_LAST_ENDPOINT, taken, &size);
    snprintf(setting, sizeof(setting), "endpoint=%s", taken);
    struct fake_instance *fi = recorder(setting);

    cr_assert_eq(PLUGIN.start(&fi->inst, fi->ctx), PIKOS_EIO);
    snprintf(expected, sizeof(expected),
             "cannot bind %s: Address already in use (another program "
             "listens there: choose another endpoint= or port=)",
             taken);
    cr_assert_str_eq(fi->error, expected);
    fake_instance_free(fi);
}

Test(zmq, wait_for_ready_gives_up_after_ready_timeout)
{
    struct fake_instance *fi =
        recorder(endpoint_setting, "wait_for_ready=true", "ready_timeout=0.2");
    char expected[512];

    uint64_t before = batch_clock_ns();
    start(fi);
    uint64_t waited = elapsed_ms(before);

    cr_assert_geq(waited, 190);
    cr_assert_lt(waited, 2000);
    snprintf(expected, sizeof(expected),
             "no subscriber on %s within 0.2 s (ready_timeout): going on "
             "without one",
             endpoint);
    cr_assert_eq(fi->nlogs, 1);
    cr_assert_str_eq(fi->last_log, expected);
    stop(fi);
    fake_instance_free(fi);
}

Test(zmq, binding_beyond_loopback_warns)
{
    struct fake_instance *fi = recorder("endpoint=tcp://0.0.0.0:9001");
    cr_assert_eq(fi->nlogs, 1);
    cr_assert_str_eq(fi->last_log,
                     "tcp://0.0.0.0:9001 is not a loopback address: whoever "
                     "can reach this machine can read the records (see "
                     "docs/live.md, Security)");
    fake_instance_free(fi);

    fi = recorder("endpoint=tcp://127.0.0.1:9001");
    cr_assert_eq(fi->nlogs, 0);
    fake_instance_free(fi);
}

Test(zmq, a_subscriber_that_does_not_read_makes_drop_count_and_never_stall)
{
    void *sub = test_socket(ZMQ_SUB);
    int one = 1, small = 4096;
    zmq_setsockopt(sub, ZMQ_RCVHWM, &one, sizeof(one));
    zmq_setsockopt(sub, ZMQ_RCVBUF, &small, sizeof(small));
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    cr_assert_eq(zmq_connect(sub, endpoint), 0);
    struct fake_instance *fi =
        recorder(endpoint_setting, "wait_for_ready=true", "hwm=1");
    char text[200];
    memset(text, 'y', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';

    start(fi);
    for (int i = 0; i < 100000; i++)
        record(fi, i, text);
    uint64_t before = batch_clock_ns();
    stop(fi);
    uint64_t stopping = elapsed_ms(before);

    unsigned long long dropped, total;
    cr_assert_eq(fi->nlogs, 1);
    cr_assert_eq(sscanf(fi->last_log, "%llu of %llu records were dropped",
                        &dropped, &total),
                 2, "%s", fi->last_log);
    cr_assert_eq(total, 100000);
    cr_assert_gt(dropped, 0);
    /* A stuck subscriber holds up the end by about a second at most. */
    cr_assert_lt(stopping, 3000, "%llu ms", (unsigned long long)stopping);
    fake_instance_free(fi);
}

Test(zmq, curve_encrypts_for_subscribers_that_know_the_server_key)
{
    char server_public[41], server_secret[41], client_public[41],
        client_secret[41], setting[80];
    zmq_curve_keypair(server_public, server_secret);
    zmq_curve_keypair(client_public, client_secret);
    snprintf(setting, sizeof(setting), "curve_secret_key=%s", server_secret);
    void *sub = test_socket(ZMQ_SUB);
    zmq_setsockopt(sub, ZMQ_CURVE_SERVERKEY, server_public, 40);
    zmq_setsockopt(sub, ZMQ_CURVE_PUBLICKEY, client_public, 40);
    zmq_setsockopt(sub, ZMQ_CURVE_SECRETKEY, client_secret, 40);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "pikos.", 6);
    cr_assert_eq(zmq_connect(sub, endpoint), 0);
    void *plain = subscriber(endpoint, 0); /* no keys: never let in */
    struct fake_instance *fi = recorder(endpoint_setting, "curve_server=true",
                                        setting, "wait_for_ready=true");
    struct stream_read r;
    char topic[64];

    start(fi);
    for (int i = 0; i < 5; i++)
        record(fi, i, "secret");
    stop(fi);
    read_stream(sub, NULL, &r);

    cr_assert_eq(r.records, 5);
    cr_assert_eq(r.end_count, 5);
    cr_assert_null(receive(plain, topic, sizeof(topic), 300));
    fake_instance_free(fi);
}

Test(zmq, a_forked_child_leaves_the_parents_stream_alone)
{
    void *sub = subscriber(endpoint, 0);
    struct fake_instance *fi =
        recorder(endpoint_setting, "wait_for_ready=true", "slow=block");
    struct stream_read r;

    start(fi);
    for (int i = 0; i < 1500; i++)
        record(fi, i, "before");
    pid_t child = fork();
    if (child == 0) {
        /* What a child would do with the recorder it inherited. */
        for (int i = 0; i < 3000; i++)
            record(fi, 100000 + i, "child");
        PLUGIN.flush(&fi->inst, fi->ctx);
        PLUGIN.stop(&fi->inst, fi->ctx);
        PLUGIN.finalize(&fi->inst, fi->ctx);
        _exit(0);
    }
    int status;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    for (int i = 1500; i < 2000; i++)
        record(fi, i, "after");
    stop(fi);
    read_stream(sub, NULL, &r);

    cr_assert_eq(r.records, 2000);
    cr_assert(r.in_order);
    cr_assert_eq(r.end_count, 2000);
    fake_instance_free(fi);
}
