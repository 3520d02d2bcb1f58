/* plugins/recorders/chrome_trace/gzip.c - see gzip.h. */
#include <stdlib.h>
#include <string.h>

#include "gzip.h"

/* windowBits 15 + 16: a gzip header and trailer instead of zlib's. */
#define GZIP_WINDOW_BITS (15 + 16)

/* Room for a member of `len` bytes of text, at least. */
static int make_room(struct gzip_members *g, size_t len)
{
    size_t need = deflateBound(&g->z, (uLong)len);
    unsigned char *grown;

    if (need <= g->cap)
        return 0;
    grown = realloc(g->out, need);
    if (grown == NULL)
        return -1;
    g->out = grown;
    g->cap = need;
    return 0;
}

int gzip_members_init(struct gzip_members *g, int level, size_t typical)
{
    memset(g, 0, sizeof(*g));
    if (deflateInit2(&g->z, level, Z_DEFLATED, GZIP_WINDOW_BITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    g->ready = 1;
    return make_room(g, typical);
}

void gzip_members_free(struct gzip_members *g)
{
    if (g->ready)
        deflateEnd(&g->z);
    free(g->out);
    memset(g, 0, sizeof(*g));
}

size_t gzip_member(struct gzip_members *g, const char *text, size_t len,
                   const unsigned char **member)
{
    if (make_room(g, len) < 0 || deflateReset(&g->z) != Z_OK)
        return 0;
    g->z.next_in = (unsigned char *)text;
    g->z.avail_in = (uInt)len;
    g->z.next_out = g->out;
    g->z.avail_out = (uInt)g->cap;
    /* Room for deflateBound bytes: one call finishes the member. */
    if (deflate(&g->z, Z_FINISH) != Z_STREAM_END)
        return 0;
    *member = g->out;
    return g->cap - g->z.avail_out;
}
