/*
 * recorders/zmq: the JSON of wire format v1 (see wire.h).
 *
 * jansson writes the schema and end messages whole.  A records message is
 * the bulk of the traffic, so it is put together here from JSON text that
 * jansson wrote: each string through the cache of encoded strings
 * (strcache.c), each float through one reused jansson real; integers are
 * written as jansson writes them ("%lld"), and the brackets and commas of
 * the rows around them.
 */
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "wire.h"

#define WIRE_INITIAL_CAP (128 * 1024)

int wire_init(struct wire *w)
{
    memset(w, 0, sizeof(*w));
    w->text = malloc(WIRE_INITIAL_CAP);
    w->cap = WIRE_INITIAL_CAP;
    w->real = json_real(0.0);
    if (w->text != NULL && w->real != NULL && strcache_init(&w->strings) == 0)
        return 0;
    free(w->text);
    json_decref(w->real);
    memset(w, 0, sizeof(*w));
    return -1;
}

void wire_free(struct wire *w)
{
    free(w->text);
    json_decref(w->real);
    strcache_free(&w->strings);
    memset(w, 0, sizeof(*w));
}

static int reserve(struct wire *w, size_t need)
{
    if (need <= w->cap)
        return 0;
    size_t cap = need > 2 * w->cap ? need : 2 * w->cap;
    char *text = realloc(w->text, cap);
    if (text == NULL)
        return -1;
    w->text = text;
    w->cap = cap;
    return 0;
}

/* ------------------------------------------------------------ jansson whole */

/* A jansson string of any bytes, invalid UTF-8 replaced; NULL when out of
   memory. */
static json_t *text_value(const char *text)
{
    size_t len = strlen(text);
    if (utf8_is_valid(text, len))
        return json_stringn_nocheck(text, len);
    char *repaired = malloc(UTF8_REPAIRED_MAX(len) + 1);
    if (repaired == NULL)
        return NULL;
    json_t *value =
        json_stringn_nocheck(repaired, utf8_repair(text, len, repaired));
    free(repaired);
    return value;
}

/* Adds a member (the value's reference is taken, even on failure). */
static int add(json_t *object, const char *key, json_t *value)
{
    return json_object_set_new_nocheck(object, key, value);
}

/* Writes a message (and releases it) into w->text. */
static int dump(struct wire *w, json_t *message, int failed)
{
    size_t len = 0;

    if (!failed) {
        len = json_dumpb(message, w->text, w->cap, JSON_COMPACT);
        if (len > w->cap && reserve(w, len) == 0)
            len = json_dumpb(message, w->text, w->cap, JSON_COMPACT);
    }
    json_decref(message);
    w->len = len <= w->cap ? len : 0;
    return w->len > 0 ? 0 : -1;
}

static const char *type_name(uint32_t type)
{
    return type == PIKOS_FIELD_INT     ? "int"
           : type == PIKOS_FIELD_FLOAT ? "float"
                                       : "str";
}

int wire_schema(struct wire *w, const struct live_stream *stream,
                const char *host, long pid)
{
    const struct pikos_schema *schema = stream->schema;
    json_t *message = json_object(), *fields = json_array(),
           *types = json_array();
    int failed = message == NULL;

    for (size_t i = 0; i < schema->nfields; i++) {
        failed |=
            json_array_append_new(fields, text_value(schema->fields[i].name));
        failed |= json_array_append_new(
            types, json_string(type_name(schema->fields[i].type)));
    }
    failed |= add(message, "v", json_integer(WIRE_VERSION));
    failed |= add(message, "stream", text_value(stream->id));
    failed |= add(message, "pid", json_integer(pid));
    failed |= add(message, "host", text_value(host));
    failed |= add(message, "schema", text_value(schema->name));
    failed |= add(message, "fields", fields);
    failed |= add(message, "types", types);
    return dump(w, message, failed);
}

int wire_end(struct wire *w, const struct live_stream *stream, uint64_t count,
             uint64_t dropped)
{
    json_t *message = json_object();
    int failed = message == NULL;

    failed |= add(message, "stream", text_value(stream->id));
    failed |= add(message, "count", json_integer((json_int_t)count));
    failed |= add(message, "dropped", json_integer((json_int_t)dropped));
    return dump(w, message, failed);
}

/* ------------------------------------------------------------ records */

/* Room for `len` more bytes at the end of the message. */
static int room(struct wire *w, size_t len)
{
    return w->len + len <= w->cap ? 0 : reserve(w, w->len + len);
}

static int append(struct wire *w, const char *bytes, size_t len)
{
    if (room(w, len) < 0)
        return -1;
    memcpy(w->text + w->len, bytes, len);
    w->len += len;
    return 0;
}

/* A value's JSON text.  The append_* of values also make room for one
   byte after the value: the comma or bracket that follows it. */
static int append_value_text(struct wire *w, const char *json, size_t len)
{
    if (room(w, len + 1) < 0)
        return -1;
    memcpy(w->text + w->len, json, len);
    w->len += len;
    return 0;
}

static int append_string(struct wire *w, const char *text, size_t len)
{
    const char *json;
    size_t json_len;

    if (strcache_json(&w->strings, text, len, &json, &json_len) < 0)
        return -1;
    return append_value_text(w, json, json_len);
}

/* An integer as jansson writes one ("%" JSON_INTEGER_FORMAT). */
static int append_int(struct wire *w, int64_t value)
{
    char digits[20];
    uint64_t magnitude = value < 0 ? -(uint64_t)value : (uint64_t)value;
    size_t ndigits = 0;

    do {
        digits[ndigits++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude > 0);
    if (room(w, ndigits + 2) < 0)
        return -1;
    if (value < 0)
        w->text[w->len++] = '-';
    while (ndigits > 0)
        w->text[w->len++] = digits[--ndigits];
    return 0;
}

/* A float as jansson writes one; JSON has no NaN or infinity: null. */
static int append_real(struct wire *w, double value)
{
    char text[64];

    if (json_real_set(w->real, value) < 0)
        return append_value_text(w, "null", 4);
    size_t len = json_dumpb(w->real, text, sizeof(text), JSON_ENCODE_ANY);
    if (len == 0 || len > sizeof(text))
        return -1;
    return append_value_text(w, text, len);
}

static int append_value(struct wire *w, uint32_t type,
                        const union batch_slot *slot, const char *text)
{
    if (type == PIKOS_FIELD_INT)
        return append_int(w, slot->i);
    if (type == PIKOS_FIELD_FLOAT)
        return append_real(w, slot->f);
    return append_string(w, text + slot->s.offset, slot->s.len);
}

/* One record: [v1,v2,...] */
static int append_row(struct wire *w, const struct pikos_schema *schema,
                      const struct batch *b, size_t row)
{
    const union batch_slot *slot = b->slots + row * schema->nfields;

    if (append(w, "[", 1) < 0)
        return -1;
    for (size_t i = 0; i < schema->nfields; i++) {
        if (append_value(w, schema->fields[i].type, &slot[i], b->text) < 0)
            return -1;
        w->text[w->len++] = i + 1 < schema->nfields ? ',' : ']';
    }
    return 0;
}

int wire_records(struct wire *w, const struct live_stream *stream,
                 const struct batch *b, size_t from, size_t to)
{
    static const char stream_key[] = "{\"stream\":";
    static const char records_key[] = ",\"records\":[";

    w->len = 0;
    if (append(w, stream_key, sizeof(stream_key) - 1) < 0 ||
        append_string(w, stream->id, strlen(stream->id)) < 0 ||
        append(w, records_key, sizeof(records_key) - 1) < 0)
        return -1;
    for (size_t row = from; row < to; row++)
        if ((row > from && append(w, ",", 1) < 0) ||
            append_row(w, stream->schema, b, row) < 0)
            return -1;
    return append(w, "]}", 2);
}
