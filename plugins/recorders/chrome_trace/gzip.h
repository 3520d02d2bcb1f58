/*
 * plugins/recorders/chrome_trace/gzip.{c,h} - text as complete gzip
 * members (RFC 1952), each with its own header, CRC-32 and length.
 *
 * A gzip file may be several members one after the other, read back as
 * the concatenation of their contents (gzip -d, Python's gzip module,
 * zlib's gzread): so a file made of whole members is valid gzip wherever
 * it stops, as long as it stops between two of them.  One z_stream is
 * kept and reset for each member: nothing is allocated per member, unless
 * a member is larger than any before.
 */
#ifndef PIKOS_CHROME_TRACE_GZIP_H
#define PIKOS_CHROME_TRACE_GZIP_H

#include <stddef.h>

#include <zlib.h>

struct gzip_members {
    z_stream z;
    int ready;          /* deflateInit2 succeeded */
    unsigned char *out; /* the last member */
    size_t cap;
};

/* Compression `level` 1 (fastest) to 9 (smallest); room for members of
   `typical` bytes of text.  Returns 0, or -1 when out of memory. */
int gzip_members_init(struct gzip_members *g, int level, size_t typical);
void gzip_members_free(struct gzip_members *g);

/* One complete member holding `len` bytes of `text`: *member points to
   it, valid until the next call.  Returns its size, or 0 when out of
   memory. */
size_t gzip_member(struct gzip_members *g, const char *text, size_t len,
                   const unsigned char **member);

#endif /* PIKOS_CHROME_TRACE_GZIP_H */
