/* plugins/recorders/profile/marshal.c - see marshal.h. */
#include <string.h>

#include "marshal.h"

#define TYPE_NULL '0'
#define TYPE_INT 'i'
#define TYPE_BINARY_FLOAT 'g'
#define TYPE_LONG 'l'
#define TYPE_TUPLE '('
#define TYPE_DICT '{'
#define TYPE_UNICODE 'u'

/* Little-endian, as marshal's w_long / w_short write them. */
static void put_le(struct bytes *b, uint64_t value, int size)
{
    unsigned char le[8];
    for (int i = 0; i < size; i++)
        le[i] = (unsigned char)(value >> (8 * i));
    bytes_put(b, le, (size_t)size);
}

void marshal_dict_begin(struct bytes *b)
{
    bytes_put_byte(b, TYPE_DICT);
}

void marshal_dict_end(struct bytes *b)
{
    bytes_put_byte(b, TYPE_NULL);
}

void marshal_tuple(struct bytes *b, uint32_t count)
{
    bytes_put_byte(b, TYPE_TUPLE);
    put_le(b, count, 4);
}

/* A number beyond int32: TYPE_LONG, in 15-bit digits. */
static void put_long(struct bytes *b, int64_t value)
{
    uint64_t magnitude = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
    int32_t ndigits = 0;
    for (uint64_t m = magnitude; m != 0; m >>= 15)
        ndigits++;
    bytes_put_byte(b, TYPE_LONG);
    put_le(b, (uint32_t)(value < 0 ? -ndigits : ndigits), 4);
    for (; magnitude != 0; magnitude >>= 15)
        put_le(b, magnitude & 0x7fff, 2);
}

void marshal_int(struct bytes *b, int64_t value)
{
    if (value < INT32_MIN || value > INT32_MAX) {
        put_long(b, value);
        return;
    }
    bytes_put_byte(b, TYPE_INT);
    put_le(b, (uint32_t)(int32_t)value, 4);
}

void marshal_float(struct bytes *b, double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof(bits));
    bytes_put_byte(b, TYPE_BINARY_FLOAT);
    put_le(b, bits, 8);
}

void marshal_str(struct bytes *b, const char *text, size_t len)
{
    bytes_put_byte(b, TYPE_UNICODE);
    put_le(b, (uint32_t)len, 4);
    bytes_put(b, text, len);
}
