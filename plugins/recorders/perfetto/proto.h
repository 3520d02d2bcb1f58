/*
 * plugins/recorders/perfetto/proto.{c,h} - a protocol buffers writer that
 * encodes straight into a caller's buffer, with no allocation: varints,
 * fixed-size scalars and length-delimited fields (strings and nested
 * messages), as Perfetto's protozero does.
 *
 * A nested message is opened with pb_open, which leaves one byte for its
 * length, and closed with pb_close, which writes the length there; the
 * rare message of 128 bytes or more is moved up by the extra bytes its
 * length takes.  Messages close innermost first, so a move never touches
 * a length still to be written.
 *
 * Every write checks the buffer's end: one that does not fit sets
 * `overflow` and writes nothing, and every later write is skipped, so the
 * caller tests once at the end.
 */
#ifndef PIKOS_PERFETTO_PROTO_H
#define PIKOS_PERFETTO_PROTO_H

#include <stddef.h>
#include <stdint.h>

struct pb_buf {
    unsigned char *start; /* the message's first byte */
    unsigned char *pos;   /* where the next byte goes */
    unsigned char *end;   /* one past the last usable byte */
    int overflow;         /* a write did not fit: the message is not whole */
};

/* A nested message being written: where its length byte is. */
typedef size_t pb_mark;

/* Writes go to mem[0..cap). */
void pb_init(struct pb_buf *b, void *mem, size_t cap);
/* Bytes written so far. */
size_t pb_size(const struct pb_buf *b);

/* The bytes of v as a varint (1 to 10). */
size_t pb_varint_size(uint64_t v);

/* Field `field` as a varint: uint32/uint64/enum/bool take the value,
   int32/int64 their two's complement (negative numbers take 10 bytes). */
void pb_uint(struct pb_buf *b, uint32_t field, uint64_t v);
void pb_int(struct pb_buf *b, uint32_t field, int64_t v);
/* Field `field` as length-delimited bytes (string, bytes). */
void pb_bytes(struct pb_buf *b, uint32_t field, const void *data, size_t len);
void pb_string(struct pb_buf *b, uint32_t field, const char *text);

/* Starts nested message `field`; pb_close ends it. */
pb_mark pb_open(struct pb_buf *b, uint32_t field);
void pb_close(struct pb_buf *b, pb_mark mark);

#endif /* PIKOS_PERFETTO_PROTO_H */
