/*
 * core/alloc_sampling.c - which blocks a sampled run tells (alloc_hook.c).
 *
 * Picks: each thread counts down the bytes to its next pick; the gaps are
 * exponential with the asked mean, drawn from the thread's own generator
 * (xorshift64*), so picks are a Poisson process over the bytes allocated
 * and a block of s bytes is picked with probability 1 - exp(-s / mean),
 * whatever came before it.
 *
 * Frees: only a picked block's free is told.  The picked blocks that are
 * live are a set (open addressing, under the allocation lock); every free
 * first asks a small counting filter over their addresses, read without
 * the lock, so that the frees of the many blocks never picked cost a load.
 */
#include "allocations.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HINT_STUCK 255 /* a full counter stays full for the run */

uint8_t pikos_pick_hints[1u << PIKOS_PICK_HINT_BITS];

static struct {
    uint64_t *slots; /* addresses; 0 empty */
    size_t nslots;   /* a power of two */
    size_t count;
} picked;

static _Thread_local uint64_t rng __attribute__((tls_model("initial-exec")));

/* ------------------------------------------------------------ gaps */

static uint64_t rng_next(void)
{
    if (rng == 0) { /* a thread's first draw: its own seed */
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        rng = ((uint64_t)(uintptr_t)&rng * 0x9E3779B97F4A7C15ull) ^
              (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 32);
        rng |= 1;
    }
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Dull;
}

int64_t pikos_alloc_gap(uint64_t mean)
{
    double u = ((double)(rng_next() >> 11) + 0.5) * 0x1.0p-53; /* (0, 1) */
    double gap = -log(u) * (double)mean;
    return gap < 1 ? 1 : gap > 0x1p62 ? INT64_C(1) << 62 : (int64_t)gap;
}

/* ------------------------------------------------------------ the set */

static size_t slot_of(uint64_t address)
{
    return (size_t)(((address >> 4) * 0xff51afd7ed558ccdull) >> 20) &
           (picked.nslots - 1);
}

static void place(uint64_t *slots, size_t nslots, uint64_t address)
{
    size_t i = (size_t)(((address >> 4) * 0xff51afd7ed558ccdull) >> 20) &
               (nslots - 1);
    while (slots[i] != 0)
        i = (i + 1) & (nslots - 1);
    slots[i] = address;
}

static int grow(void)
{
    size_t nslots = picked.nslots ? picked.nslots * 2 : 1024;
    uint64_t *slots = calloc(nslots, sizeof(*slots));

    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < picked.nslots; i++)
        if (picked.slots[i] != 0)
            place(slots, nslots, picked.slots[i]);
    free(picked.slots);
    picked.slots = slots;
    picked.nslots = nslots;
    return 0;
}

static void hint_change(uint64_t address, int by)
{
    uint8_t *hint = &pikos_pick_hints[pikos_pick_hint_of(address)];
    if (*hint != HINT_STUCK)
        __atomic_store_n(hint, (uint8_t)(*hint + by), __ATOMIC_RELAXED);
}

int pikos_alloc_picked_add(const void *ptr)
{
    uint64_t address = (uint64_t)(uintptr_t)ptr;

    if ((picked.count + 1) * 2 > picked.nslots && grow() < 0)
        return -1;
    place(picked.slots, picked.nslots, address);
    picked.count++;
    hint_change(address, +1);
    return 0;
}

/* Empties slot `hole`, moving back what probed past it (no tombstones). */
static void remove_at(size_t hole)
{
    size_t mask = picked.nslots - 1;

    for (size_t i = (hole + 1) & mask; picked.slots[i] != 0;
         i = (i + 1) & mask) {
        size_t home = slot_of(picked.slots[i]);
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            picked.slots[hole] = picked.slots[i];
            hole = i;
        }
    }
    picked.slots[hole] = 0;
    picked.count--;
}

int pikos_alloc_picked_take(const void *ptr)
{
    uint64_t address = (uint64_t)(uintptr_t)ptr;

    if (picked.nslots == 0)
        return 0;
    for (size_t i = slot_of(address); picked.slots[i] != 0;
         i = (i + 1) & (picked.nslots - 1))
        if (picked.slots[i] == address) {
            remove_at(i);
            hint_change(address, -1);
            return 1;
        }
    return 0;
}

void pikos_alloc_picked_clear(void)
{
    free(picked.slots);
    memset(&picked, 0, sizeof(picked));
    memset(pikos_pick_hints, 0, sizeof(pikos_pick_hints));
}
