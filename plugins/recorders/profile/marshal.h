/*
 * plugins/recorders/profile/marshal.{c,h} - Python's marshal format, for
 * the few types a pstats file holds: dict, tuple, int, float, str.
 *
 * The bytes are exactly what `marshal.dumps(value, 2)` gives (format
 * version 2: binary floats, no references, no short forms), which every
 * Python 3's marshal.load reads.  The type codes are CPython's
 * Python/marshal.c ones: TYPE_DICT '{' ... TYPE_NULL '0', TYPE_TUPLE '('
 * with an int32 count, TYPE_INT 'i' (int32), TYPE_LONG 'l' (an int32
 * count of 15-bit digits, its sign the number's, then the digits as
 * uint16, least significant first), TYPE_BINARY_FLOAT 'g' (IEEE 754
 * double) and TYPE_UNICODE 'u' (int32 length, UTF-8 bytes); every number
 * little-endian.
 */
#ifndef PIKOS_PROFILE_MARSHAL_H
#define PIKOS_PROFILE_MARSHAL_H

#include <stddef.h>
#include <stdint.h>

#include "bytes.h"

/* A dict: its keys and values follow, each key then its value; then
   marshal_dict_end. */
void marshal_dict_begin(struct bytes *b);
void marshal_dict_end(struct bytes *b);
/* A tuple of `count` items: the items follow. */
void marshal_tuple(struct bytes *b, uint32_t count);
void marshal_int(struct bytes *b, int64_t value);
void marshal_float(struct bytes *b, double value);
/* A str of UTF-8 text. */
void marshal_str(struct bytes *b, const char *text, size_t len);

#endif /* PIKOS_PROFILE_MARSHAL_H */
