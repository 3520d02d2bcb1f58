/*
 * cli/watch/watch_decode.c - one received message -> a checked message.
 *
 * Wire format v1 (docs/live.md): two frames, a topic and one UTF-8 JSON
 * object.
 *   pikos.schema   {"v":1,"stream":S,"pid":P,"host":H,"schema":NAME,
 *                   "fields":[...],"types":["int"|"float"|"str",...]}
 *   pikos.records  {"stream":S,"records":[[v,...],...]}
 *   pikos.end      {"stream":S,"count":N,"dropped":D}
 * Anything else is malformed, with a verdict saying how.  Keys v1 does
 * not name are ignored; "dropped" may be missing (the first statement of
 * the format had only "count").  Duplicate keys are malformed: which one
 * would count?
 *
 * Nothing here knows about sockets or screens, so the decoder is fuzzed
 * alone (tests/fuzz/fuzz_watch_decode.c).
 */
#include <stdlib.h>
#include <string.h>

#include "watch.h"

static const char *const verdict_names[] = {
    [PIKOS_WATCH_NEW_STREAM] = "new-stream",
    [PIKOS_WATCH_RESTATED] = "restated",
    [PIKOS_WATCH_RESTARTED] = "restarted",
    [PIKOS_WATCH_RECORDS] = "records",
    [PIKOS_WATCH_ENDED] = "ended",
    [PIKOS_WATCH_NO_SCHEMA] = "no-schema",
    [PIKOS_WATCH_BAD_FRAMES] = "bad-frames",
    [PIKOS_WATCH_BAD_TOPIC] = "bad-topic",
    [PIKOS_WATCH_BAD_JSON] = "bad-json",
    [PIKOS_WATCH_BAD_KEY] = "bad-key",
    [PIKOS_WATCH_BAD_ROW] = "bad-row",
    [PIKOS_WATCH_NO_MEMORY] = "no-memory",
};

const char *pikos_watch_verdict_name(int verdict)
{
    if (verdict < PIKOS_WATCH_NEW_STREAM || verdict > PIKOS_WATCH_NO_MEMORY)
        return "?";
    return verdict_names[verdict];
}

int pikos_watch_is_malformed(int verdict)
{
    return verdict >= PIKOS_WATCH_BAD_FRAMES && verdict <= PIKOS_WATCH_BAD_ROW;
}

/* ------------------------------------------------------------ schemas */

void pikos_watch_schema_free(struct pikos_watch_schema *schema)
{
    if (!schema)
        return;
    for (size_t i = 0; schema->fields && i < schema->nfields; i++)
        free(schema->fields[i]);
    free(schema->fields);
    free(schema->types);
    free(schema->name);
    free(schema);
}

int pikos_watch_schema_equal(const struct pikos_watch_schema *a,
                             const struct pikos_watch_schema *b)
{
    if (strcmp(a->name, b->name) != 0 || a->nfields != b->nfields)
        return 0;
    for (size_t i = 0; i < a->nfields; i++)
        if (strcmp(a->fields[i], b->fields[i]) != 0 ||
            a->types[i] != b->types[i])
            return 0;
    return 1;
}

int pikos_watch_schema_field(const struct pikos_watch_schema *schema,
                             const char *name, enum pikos_watch_type type)
{
    for (size_t i = 0; i < schema->nfields; i++)
        if (strcmp(schema->fields[i], name) == 0)
            return schema->types[i] == type ? (int)i : -1;
    return -1;
}

static int parse_type(const json_t *value, enum pikos_watch_type *type)
{
    static const char *const names[] = {
        [PIKOS_WATCH_INT] = "int",
        [PIKOS_WATCH_FLOAT] = "float",
        [PIKOS_WATCH_STR] = "str",
    };
    const char *text = json_string_value(value);
    for (int t = PIKOS_WATCH_INT; text && t <= PIKOS_WATCH_STR; t++)
        if (strcmp(text, names[t]) == 0) {
            *type = (enum pikos_watch_type)t;
            return 0;
        }
    return -1;
}

/* Copies the field names and types; the arrays are allocated already. */
static int fill_fields(struct pikos_watch_schema *schema, const json_t *fields,
                       const json_t *types)
{
    for (size_t i = 0; i < schema->nfields; i++) {
        const char *name = json_string_value(json_array_get(fields, i));
        if (!name || parse_type(json_array_get(types, i), &schema->types[i]))
            return PIKOS_WATCH_BAD_KEY;
        schema->fields[i] = strdup(name);
        if (!schema->fields[i])
            return PIKOS_WATCH_NO_MEMORY;
    }
    return 0;
}

/* "schema", "fields" and "types" -> *out (a new schema), or a verdict. */
static int make_schema(const json_t *obj, struct pikos_watch_schema **out)
{
    const char *name = json_string_value(json_object_get(obj, "schema"));
    const json_t *fields = json_object_get(obj, "fields");
    const json_t *types = json_object_get(obj, "types");
    size_t n = json_array_size(fields);
    if (!name || !json_is_array(fields) || !json_is_array(types) || n == 0 ||
        json_array_size(types) != n)
        return PIKOS_WATCH_BAD_KEY;

    struct pikos_watch_schema *schema = calloc(1, sizeof(*schema));
    if (!schema)
        return PIKOS_WATCH_NO_MEMORY;
    schema->nfields = n;
    schema->name = strdup(name);
    schema->fields = calloc(n, sizeof(*schema->fields));
    schema->types = calloc(n, sizeof(*schema->types));
    int verdict = PIKOS_WATCH_NO_MEMORY;
    if (schema->name && schema->fields && schema->types)
        verdict = fill_fields(schema, fields, types);
    if (verdict != 0) {
        pikos_watch_schema_free(schema);
        return verdict;
    }
    *out = schema;
    return 0;
}

/* ------------------------------------------------------------ messages */

/* The integer at `key`, when there is one and it is at least 0. */
static int natural_key(const json_t *obj, const char *key, long long *value)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *value = json_integer_value(v);
    return 0;
}

static int decode_schema(struct pikos_watch_message *msg)
{
    const json_t *version = json_object_get(msg->json, "v");
    msg->host = json_string_value(json_object_get(msg->json, "host"));
    if (!json_is_integer(version) || json_integer_value(version) != 1 ||
        !msg->host || natural_key(msg->json, "pid", &msg->pid) < 0)
        return PIKOS_WATCH_BAD_KEY;
    return make_schema(msg->json, &msg->schema);
}

static int decode_records(struct pikos_watch_message *msg)
{
    msg->records = json_object_get(msg->json, "records");
    return json_is_array(msg->records) ? 0 : PIKOS_WATCH_BAD_KEY;
}

static int decode_end(struct pikos_watch_message *msg)
{
    if (natural_key(msg->json, "count", &msg->count) < 0)
        return PIKOS_WATCH_BAD_KEY;
    msg->dropped = 0;
    if (json_object_get(msg->json, "dropped") &&
        natural_key(msg->json, "dropped", &msg->dropped) < 0)
        return PIKOS_WATCH_BAD_KEY;
    return 0;
}

static int decode_topic(const struct pikos_watch_frame *frame,
                        enum pikos_watch_topic *topic)
{
    static const char *const names[] = {
        [PIKOS_WATCH_TOPIC_SCHEMA] = "pikos.schema",
        [PIKOS_WATCH_TOPIC_RECORDS] = "pikos.records",
        [PIKOS_WATCH_TOPIC_END] = "pikos.end",
    };
    for (int t = PIKOS_WATCH_TOPIC_SCHEMA; t <= PIKOS_WATCH_TOPIC_END; t++) {
        size_t len = strlen(names[t]);
        if (frame->size == len && memcmp(frame->data, names[t], len) == 0) {
            *topic = (enum pikos_watch_topic)t;
            return 0;
        }
    }
    return PIKOS_WATCH_BAD_TOPIC;
}

/* Frame 2 -> msg->json, an object. */
static int parse_json(const struct pikos_watch_frame *frame,
                      struct pikos_watch_message *msg)
{
    json_error_t error;
    if (frame->size == 0)
        return PIKOS_WATCH_BAD_JSON;
    msg->json =
        json_loadb(frame->data, frame->size, JSON_REJECT_DUPLICATES, &error);
    if (!msg->json)
        return json_error_code(&error) == json_error_out_of_memory
                   ? PIKOS_WATCH_NO_MEMORY
                   : PIKOS_WATCH_BAD_JSON;
    return json_is_object(msg->json) ? 0 : PIKOS_WATCH_BAD_JSON;
}

static int decode_body(struct pikos_watch_message *msg)
{
    msg->stream = json_string_value(json_object_get(msg->json, "stream"));
    if (!msg->stream || msg->stream[0] == '\0')
        return PIKOS_WATCH_BAD_KEY;
    switch (msg->topic) {
    case PIKOS_WATCH_TOPIC_SCHEMA:
        return decode_schema(msg);
    case PIKOS_WATCH_TOPIC_RECORDS:
        return decode_records(msg);
    case PIKOS_WATCH_TOPIC_END:
        return decode_end(msg);
    }
    return PIKOS_WATCH_BAD_TOPIC;
}

int pikos_watch_decode(const struct pikos_watch_frame *frames, size_t nframes,
                       struct pikos_watch_message *msg)
{
    memset(msg, 0, sizeof(*msg));
    if (nframes != 2)
        return PIKOS_WATCH_BAD_FRAMES;
    int verdict = decode_topic(&frames[0], &msg->topic);
    if (verdict == 0)
        verdict = parse_json(&frames[1], msg);
    if (verdict == 0)
        verdict = decode_body(msg);
    if (verdict != 0)
        pikos_watch_message_clear(msg);
    return verdict;
}

void pikos_watch_message_clear(struct pikos_watch_message *msg)
{
    json_decref(msg->json);
    pikos_watch_schema_free(msg->schema);
    memset(msg, 0, sizeof(*msg));
}

/* ------------------------------------------------------------ rows */

static int value_fits(const json_t *value, enum pikos_watch_type type)
{
    switch (type) {
    case PIKOS_WATCH_INT:
        return json_is_integer(value);
    case PIKOS_WATCH_FLOAT:
        /* An integer is a float too; null is a float JSON cannot hold
           (NaN, an infinity: docs/live.md). */
        return json_is_number(value) || json_is_null(value);
    case PIKOS_WATCH_STR:
        return json_is_string(value);
    }
    return 0;
}

static int row_fits(const json_t *row, const struct pikos_watch_schema *schema)
{
    if (!json_is_array(row) || json_array_size(row) != schema->nfields)
        return 0;
    for (size_t i = 0; i < schema->nfields; i++)
        if (!value_fits(json_array_get(row, i), schema->types[i]))
            return 0;
    return 1;
}

int pikos_watch_check_rows(const json_t *records,
                           const struct pikos_watch_schema *schema)
{
    size_t n = json_array_size(records);
    for (size_t i = 0; i < n; i++)
        if (!row_fits(json_array_get(records, i), schema))
            return PIKOS_WATCH_BAD_ROW;
    return 0;
}
