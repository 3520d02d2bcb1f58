/*
 * live_blocks.c - the live blocks' table: open addressing with linear
 * probing, and backward-shift deletion so that frees leave no tombstones
 * (a program frees as often as it allocates).
 */
#include <stdlib.h>
#include <string.h>

#include "live_blocks.h"

static size_t slot_of(const struct live_blocks *t, uint64_t address)
{
    /* Blocks are 16-byte aligned: the low bits say nothing. */
    uint64_t h = (address >> 4) * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 32) & (t->nslots - 1);
}

static void place(struct live_blocks *t, struct live_block block)
{
    size_t mask = t->nslots - 1;
    size_t i = slot_of(t, block.address);

    while (t->slots[i].address != 0)
        i = (i + 1) & mask;
    t->slots[i] = block;
}

static int grow(struct live_blocks *t)
{
    struct live_blocks bigger = *t;

    bigger.nslots = t->nslots ? t->nslots * 2 : 4096;
    bigger.slots = calloc(bigger.nslots, sizeof(*bigger.slots));
    if (bigger.slots == NULL)
        return -1;
    for (size_t i = 0; i < t->nslots; i++)
        if (t->slots[i].address != 0)
            place(&bigger, t->slots[i]);
    free(t->slots);
    *t = bigger;
    return 0;
}

static int big_add(struct live_blocks *t, uint64_t address, uint64_t size)
{
    struct big_block *big = realloc(t->big, (t->nbig + 1) * sizeof(*big));

    if (big == NULL)
        return -1;
    t->big = big;
    t->big[t->nbig++] = (struct big_block){address, size};
    return 0;
}

static uint64_t big_take(struct live_blocks *t, uint64_t address)
{
    for (size_t i = 0; i < t->nbig; i++)
        if (t->big[i].address == address) {
            uint64_t size = t->big[i].size;
            t->big[i] = t->big[--t->nbig];
            return size;
        }
    return UINT32_MAX; /* cannot happen: added together */
}

int live_blocks_add(struct live_blocks *t, uint64_t address, uint64_t size,
                    uint32_t stack)
{
    if ((t->count + 1) * 4 > t->nslots * 3 && grow(t) < 0)
        return -1;
    if (size >= UINT32_MAX && big_add(t, address, size) < 0)
        return -1;
    place(t, (struct live_block){address,
                                 size >= UINT32_MAX ? UINT32_MAX
                                                    : (uint32_t)size,
                                 stack});
    t->count++;
    return 0;
}

/* Empties slot `hole`, moving back the blocks after it that probed past
   it, so that every block stays reachable from its home slot. */
static void remove_at(struct live_blocks *t, size_t hole)
{
    size_t mask = t->nslots - 1;

    for (size_t i = (hole + 1) & mask; t->slots[i].address != 0;
         i = (i + 1) & mask) {
        size_t home = slot_of(t, t->slots[i].address);
        /* Moves when its home is not in (hole, i] cyclically. */
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            t->slots[hole] = t->slots[i];
            hole = i;
        }
    }
    t->slots[hole].address = 0;
    t->count--;
}

int live_blocks_take(struct live_blocks *t, uint64_t address, uint64_t *size,
                     uint32_t *stack)
{
    if (t->nslots == 0)
        return 0;
    size_t mask = t->nslots - 1;
    size_t i = slot_of(t, address);

    while (t->slots[i].address != address) {
        if (t->slots[i].address == 0)
            return 0;
        i = (i + 1) & mask;
    }
    *size = t->slots[i].size;
    *stack = t->slots[i].stack;
    if (*size == UINT32_MAX)
        *size = big_take(t, address);
    remove_at(t, i);
    return 1;
}

void live_blocks_free(struct live_blocks *t)
{
    free(t->slots);
    free(t->big);
    memset(t, 0, sizeof(*t));
}
