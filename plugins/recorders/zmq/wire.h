/*
 * recorders/zmq: the JSON of wire format v1 (docs/live.md).
 *
 * Three messages, each the second frame after its topic:
 *   pikos.schema   {"v":1,"stream":S,"pid":P,"host":H,"schema":NAME,
 *                   "fields":[...],"types":["int"|"float"|"str",...]}
 *   pikos.records  {"stream":S,"records":[[v1,...],...]}
 *   pikos.end      {"stream":S,"count":N,"dropped":D}
 * Written compact (no spaces), UTF-8, invalid bytes replaced by U+FFFD.
 * Used by the sender thread only.
 */
#ifndef PIKOS_ZMQ_WIRE_H
#define PIKOS_ZMQ_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "batch.h"
#include "strcache.h"

#define WIRE_VERSION 1
#define WIRE_TOPIC_SCHEMA "pikos.schema"
#define WIRE_TOPIC_RECORDS "pikos.records"
#define WIRE_TOPIC_END "pikos.end"

/* Builds one message at a time into `text`. */
struct wire {
    char *text; /* the last message built: `len` bytes, no NUL */
    size_t len;
    size_t cap;
    struct strcache strings;
    json_t *real; /* the jansson value floats are written through */
};

/* 0, or -1 when out of memory. */
int wire_init(struct wire *wire);
void wire_free(struct wire *wire);

/* Each builds one message body in wire->text; 0, or -1 when out of
   memory. */
int wire_schema(struct wire *wire, const struct live_stream *stream,
                const char *host, long pid);
/* The records [from, to) of a batch of the stream. */
int wire_records(struct wire *wire, const struct live_stream *stream,
                 const struct batch *batch, size_t from, size_t to);
int wire_end(struct wire *wire, const struct live_stream *stream,
             uint64_t count, uint64_t dropped);

#endif
