/*
 * plugins/recorders/perfetto/named_pieces.{c,h} - a thread's pieces
 * (packets.h) by iid: for each entry whose InternedData the thread's
 * sequence has been sent, the bytes after the timestamp of the packet of
 * an event it names, so that the hot path writes that packet with one
 * lookup and one copy.
 *
 * Pieces are 48 bytes: they come in pages of 64, each made when one of
 * its iids is first used, so that a thread takes memory for the names it
 * uses, not for every iid below them (a worker thread calling a few
 * functions first seen late has high iids).
 */
#ifndef PIKOS_PERFETTO_NAMED_PIECES_H
#define PIKOS_PERFETTO_NAMED_PIECES_H

#include <stddef.h>
#include <stdint.h>

#include "packets.h"

#define NAMED_PAGE_BITS 6
#define NAMED_PAGE_SIZE (1u << NAMED_PAGE_BITS)

struct named_pieces {
    struct packet_piece **pages; /* NULL: none of its iids used yet */
    size_t npages;
};

/* The piece of `iid` if the sequence has been sent its entry, else
   NULL. */
static inline const struct packet_piece *
named_pieces_sent(const struct named_pieces *n, uint64_t iid)
{
    uint64_t page = iid >> NAMED_PAGE_BITS;
    if (page >= n->npages || n->pages[page] == NULL)
        return NULL;
    const struct packet_piece *piece =
        &n->pages[page][iid & (NAMED_PAGE_SIZE - 1)];
    return piece->len > 0 ? piece : NULL;
}

/* The piece of `iid` (len 0: its entry not sent yet), its page made the
   first time; NULL when out of memory. */
struct packet_piece *named_pieces_at(struct named_pieces *n, uint64_t iid);

/* Every piece emptied: the sequence was cleared, nothing is sent. */
void named_pieces_clear(struct named_pieces *n);

/* Frees the pages (the struct is the caller's). */
void named_pieces_free(struct named_pieces *n);

#endif /* PIKOS_PERFETTO_NAMED_PIECES_H */
