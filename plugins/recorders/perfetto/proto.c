/* plugins/recorders/perfetto/proto.c - see proto.h. */
#include <string.h>

#include "proto.h"

size_t pb_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static void put_key(struct pb_buf *b, uint32_t field, uint32_t wire)
{
    uint64_t key = (uint64_t)field << 3 | wire;
    if (pb_room(b, pb_varint_size(key)))
        b->pos = pb_put_varint(b->pos, key);
}

void pb_uint(struct pb_buf *b, uint32_t field, uint64_t v)
{
    put_key(b, field, PB_WIRE_VARINT);
    if (pb_room(b, pb_varint_size(v)))
        b->pos = pb_put_varint(b->pos, v);
}

void pb_int(struct pb_buf *b, uint32_t field, int64_t v)
{
    pb_uint(b, field, (uint64_t)v);
}

void pb_bytes(struct pb_buf *b, uint32_t field, const void *data, size_t len)
{
    put_key(b, field, PB_WIRE_LENGTH_DELIMITED);
    if (!pb_room(b, pb_varint_size(len) + len))
        return;
    b->pos = pb_put_varint(b->pos, len);
    if (len > 0)
        memcpy(b->pos, data, len);
    b->pos += len;
}

void pb_string(struct pb_buf *b, uint32_t field, const char *text)
{
    pb_bytes(b, field, text, strlen(text));
}

pb_mark pb_open(struct pb_buf *b, uint32_t field)
{
    put_key(b, field, PB_WIRE_LENGTH_DELIMITED);
    pb_mark mark = pb_size(b);
    if (pb_room(b, 1))
        *b->pos++ = 0; /* the length, written by pb_close */
    return mark;
}

void pb_close(struct pb_buf *b, pb_mark mark)
{
    if (b->overflow)
        return;
    unsigned char *body = b->start + mark + 1;
    size_t len = (size_t)(b->pos - body);
    size_t extra = pb_varint_size(len) - 1;
    if (extra > 0) {
        if (!pb_room(b, extra))
            return;
        memmove(body + extra, body, len);
        b->pos += extra;
    }
    pb_put_varint(b->start + mark, len);
}
