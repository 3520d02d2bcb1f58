/*
 * plugins/recorders/profile/protobuf.{c,h} - the protocol buffers wire
 * format, written by hand for the pprof profile (pprof.c).
 *
 * Only what profile.proto needs: varint fields (wire type 0: int64,
 * uint64, bool), length-delimited fields (wire type 2: strings, embedded
 * messages, packed repeated varints).  A message is built in a `struct
 * bytes`; an embedded message is built in a buffer of its own and then
 * put whole, with its length, into its parent: each top-level field of a
 * Profile is a small message, so the profile streams out one of them at a
 * time.
 */
#ifndef PIKOS_PROFILE_PROTOBUF_H
#define PIKOS_PROFILE_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

#include "bytes.h"

void pb_varint(struct bytes *b, uint64_t value);
/* Field `field` as a varint (int64 values are their two's complement).
   Zero is written too: proto3 readers take it as the default. */
void pb_uint_field(struct bytes *b, uint32_t field, uint64_t value);
/* Field `field` as length-delimited bytes (a string, or an embedded
   message already encoded). */
void pb_bytes_field(struct bytes *b, uint32_t field, const void *data,
                    size_t len);
/* A packed repeated varint field of `count` values. */
void pb_packed_field(struct bytes *b, uint32_t field, const uint64_t *values,
                     size_t count);

#endif /* PIKOS_PROFILE_PROTOBUF_H */
