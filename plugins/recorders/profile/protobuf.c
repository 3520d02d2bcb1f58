/* plugins/recorders/profile/protobuf.c - see protobuf.h. */
#include "protobuf.h"

#define WIRE_VARINT 0
#define WIRE_LENGTH_DELIMITED 2

/* Seven bits a byte, least significant first; the top bit says more
   follow. */
void pb_varint(struct bytes *b, uint64_t value)
{
    unsigned char out[10];
    size_t n = 0;
    do {
        out[n] = value & 0x7f;
        value >>= 7;
        if (value != 0)
            out[n] |= 0x80;
        n++;
    } while (value != 0);
    bytes_put(b, out, n);
}

static size_t varint_size(uint64_t value)
{
    size_t n = 1;
    while (value >>= 7)
        n++;
    return n;
}

static void put_key(struct bytes *b, uint32_t field, unsigned wire_type)
{
    pb_varint(b, (uint64_t)field << 3 | wire_type);
}

void pb_uint_field(struct bytes *b, uint32_t field, uint64_t value)
{
    put_key(b, field, WIRE_VARINT);
    pb_varint(b, value);
}

void pb_bytes_field(struct bytes *b, uint32_t field, const void *data,
                    size_t len)
{
    put_key(b, field, WIRE_LENGTH_DELIMITED);
    pb_varint(b, len);
    bytes_put(b, data, len);
}

void pb_packed_field(struct bytes *b, uint32_t field, const uint64_t *values,
                     size_t count)
{
    size_t len = 0;
    for (size_t i = 0; i < count; i++)
        len += varint_size(values[i]);
    put_key(b, field, WIRE_LENGTH_DELIMITED);
    pb_varint(b, len);
    for (size_t i = 0; i < count; i++)
        pb_varint(b, values[i]);
}
