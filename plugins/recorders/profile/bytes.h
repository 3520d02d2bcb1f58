/*
 * plugins/recorders/profile/bytes.{c,h} - a growable byte buffer, in which
 * the profile's writers build each unit (a line, a JSON object, a
 * protobuf message, a marshalled entry) before handing it to a sink.
 *
 * A failed allocation sets `failed` and makes every later append a no-op,
 * so a writer appends freely and checks once per unit.
 */
#ifndef PIKOS_PROFILE_BYTES_H
#define PIKOS_PROFILE_BYTES_H

#include <stddef.h>
#include <stdint.h>

struct bytes {
    unsigned char *data;
    size_t len, cap;
    int failed; /* an allocation failed: the contents are incomplete */
};

void bytes_free(struct bytes *b);
/* Empties the buffer (keeps its memory). */
void bytes_clear(struct bytes *b);
void bytes_put(struct bytes *b, const void *data, size_t len);
void bytes_put_byte(struct bytes *b, unsigned char byte);
void bytes_put_text(struct bytes *b, const char *text); /* without its NUL */
void bytes_put_uint(struct bytes *b, uint64_t value);   /* in decimal */
void bytes_put_int(struct bytes *b, int64_t value);     /* in decimal */

#endif /* PIKOS_PROFILE_BYTES_H */
