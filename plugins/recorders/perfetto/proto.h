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
 *
 * The hot path writes small messages whose size has a known bound: it
 * tests the room once (pb_room) and then puts the bytes straight with
 * the inline pb_put_* (no test per field, no call).
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
static inline void pb_init(struct pb_buf *b, void *mem, size_t cap)
{
    b->start = mem;
    b->pos = mem;
    b->end = b->start + cap;
    b->overflow = 0;
}

/* Bytes written so far. */
static inline size_t pb_size(const struct pb_buf *b)
{
    return (size_t)(b->pos - b->start);
}

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

/* Wire types (protobuf encoding): what follows a field's key. */
#define PB_WIRE_VARINT 0u
#define PB_WIRE_LENGTH_DELIMITED 2u

/* Whether n more bytes fit; if not, the buffer is marked overflowed. */
static inline int pb_room(struct pb_buf *b, size_t n)
{
    if (!b->overflow && (size_t)(b->end - b->pos) >= n)
        return 1;
    b->overflow = 1;
    return 0;
}

/* Unchecked writes at `p` (room tested with pb_room), each returning
   the byte after what it wrote.  A varint is seven bits a byte, lowest
   first, the top bit set on all but the last. */
static inline unsigned char *pb_put_varint(unsigned char *p, uint64_t v)
{
    if (v < 0x80) { /* the usual sizes (small deltas, keys) unrolled */
        *p = (unsigned char)v;
        return p + 1;
    }
    if (v < 0x4000) {
        p[0] = (unsigned char)(v | 0x80);
        p[1] = (unsigned char)(v >> 7);
        return p + 2;
    }
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

static inline unsigned char *pb_put_key(unsigned char *p, uint32_t field,
                                        uint32_t wire)
{
    return pb_put_varint(p, (uint64_t)field << 3 | wire);
}

static inline unsigned char *pb_put_uint(unsigned char *p, uint32_t field,
                                         uint64_t v)
{
    return pb_put_varint(pb_put_key(p, field, PB_WIRE_VARINT), v);
}

#endif /* PIKOS_PERFETTO_PROTO_H */
