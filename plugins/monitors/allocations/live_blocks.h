/*
 * live_blocks.h - the blocks allocated while monitoring and not freed yet:
 * address -> size and stack node, so that a free finds what it gives back.
 * 16 bytes a block (docs/records.md).
 */
#ifndef ALLOCATIONS_LIVE_BLOCKS_H
#define ALLOCATIONS_LIVE_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

struct live_block {
    uint64_t address; /* 0: an empty slot */
    uint32_t size;    /* bytes; a larger block keeps UINT32_MAX here and its
                         size in the big-block list */
    uint32_t stack;
};

struct live_blocks {
    struct live_block *slots;
    size_t nslots; /* a power of two */
    size_t count;
    /* Blocks of 4 GiB or more: rare, kept apart so that every slot stays
       16 bytes. */
    struct big_block {
        uint64_t address;
        uint64_t size;
    } *big;
    size_t nbig;
};

/* Adds a block; 0, or -1 when out of memory (the block is not kept). */
int live_blocks_add(struct live_blocks *t, uint64_t address, uint64_t size,
                    uint32_t stack);
/* Takes a block out: 1 with its size and stack, or 0 when it is not kept
   (allocated before monitoring started). */
int live_blocks_take(struct live_blocks *t, uint64_t address, uint64_t *size,
                     uint32_t *stack);
void live_blocks_free(struct live_blocks *t);

#endif
