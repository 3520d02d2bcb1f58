/*
 * recorders/zmq: the JSON text of record strings, by content.
 *
 * jansson writes every string that goes on the wire (escapes, UTF-8), but
 * building a jansson value per string and per record is slow, and record
 * strings repeat all the time (event types, function names, file names,
 * source lines).  So each distinct short string is encoded by jansson once
 * and its JSON text kept here; the sender copies that text into the
 * message.  The cache is bounded: when it is full it starts again empty.
 * Used by the sender thread only.
 */
#ifndef PIKOS_ZMQ_STRCACHE_H
#define PIKOS_ZMQ_STRCACHE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct strcache_entry;

struct strcache {
    struct strcache_entry *slots; /* open addressing, STRCACHE_SLOTS */
    size_t used;                  /* slots taken */
    char *pool;                   /* the strings and their JSON text */
    size_t pool_used;
    json_t *string; /* the jansson value every string is encoded through */
    char *repaired; /* a string with invalid UTF-8 replaced */
    size_t repaired_cap;
    char *encoded; /* the JSON text of a string too long to keep */
    size_t encoded_cap;
};

/* 0, or -1 when out of memory. */
int strcache_init(struct strcache *cache);
void strcache_free(struct strcache *cache);

/*
 * The JSON text of the `len` bytes at `text` (a quoted, escaped string,
 * invalid UTF-8 replaced by U+FFFD) in *json and *json_len, valid until the
 * next call.  Returns 0, or -1 when out of memory.
 */
int strcache_json(struct strcache *cache, const char *text, size_t len,
                  const char **json, size_t *json_len);

#endif
