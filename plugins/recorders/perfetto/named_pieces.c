/* plugins/recorders/perfetto/named_pieces.c - see named_pieces.h. */
#include <stdlib.h>
#include <string.h>

#include "named_pieces.h"

/* Room for page `page` in the page table; 0 when out of memory. */
static int grow_pages(struct named_pieces *n, uint64_t page)
{
    size_t npages = 2 * (size_t)page + 16;
    struct packet_piece **grown = realloc(n->pages, npages * sizeof(*grown));
    if (grown == NULL)
        return 0;
    memset(grown + n->npages, 0, (npages - n->npages) * sizeof(*grown));
    n->pages = grown;
    n->npages = npages;
    return 1;
}

struct packet_piece *named_pieces_at(struct named_pieces *n, uint64_t iid)
{
    uint64_t page = iid >> NAMED_PAGE_BITS;
    if (page >= n->npages && !grow_pages(n, page))
        return NULL;
    if (n->pages[page] == NULL) {
        n->pages[page] = calloc(NAMED_PAGE_SIZE, sizeof(struct packet_piece));
        if (n->pages[page] == NULL)
            return NULL;
    }
    return &n->pages[page][iid & (NAMED_PAGE_SIZE - 1)];
}

void named_pieces_clear(struct named_pieces *n)
{
    for (size_t i = 0; i < n->npages; i++)
        if (n->pages[i] != NULL)
            memset(n->pages[i], 0,
                   NAMED_PAGE_SIZE * sizeof(struct packet_piece));
}

void named_pieces_free(struct named_pieces *n)
{
    for (size_t i = 0; i < n->npages; i++)
        free(n->pages[i]);
    free(n->pages);
    n->pages = NULL;
    n->npages = 0;
}
