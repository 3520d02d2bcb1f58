/*
 * state.h - what monitors/allocations keeps in durable state buffers
 * (host->state_resize, ABI 1.4), so that its records survive however the
 * program ends: under the `pikos` command the buffers are files the
 * command still reads after the process died, and the monitor's `salvage`
 * emits the records from them into the run's recorders, made again
 * (docs/design.md, "Allocation events").
 *
 * Buffers, by id:
 *   0  struct alloc_head, then struct stack_stat[capacity]: the counters
 *      (stack_stats.h), written on every event
 *   1  struct alloc_frame[nframes]: each stack node's frame, copied at a
 *      safe point after the node is first counted
 *   2  struct alloc_code[ncodes]: the frames' functions
 *   3  their names and files, by offset
 *   4  struct block_head, then struct block_entry[]: the per-block records
 *      (option `threshold`) not emitted yet (block_records.h)
 * Counts are published after what they count is written, so a process
 * killed between two stores leaves at most one item uncounted.  Without
 * durable state (an older host) the same buffers are plain memory.
 */
#ifndef ALLOCATIONS_STATE_H
#define ALLOCATIONS_STATE_H

#include <stddef.h>
#include <stdint.h>

#include <pikos/plugin.h>

#define ALLOC_STATE_MAGIC 0x70696b6f73616c31ull /* "pikosal1" */

enum {
    BUF_STATS = 0,
    BUF_FRAMES = 1,
    BUF_CODES = 2,
    BUF_STRINGS = 3,
    BUF_BLOCKS = 4,
    BUF_COUNT
};

struct alloc_head {
    uint64_t magic;
    uint32_t by_stack;
    uint32_t out_of_memory;
    double live_bytes; /* every stack's */
    double peak_bytes;
    uint64_t peak_epoch;
    uint64_t capacity; /* stack_stat entries after the head */
    /* The counts of buffers 1-3. */
    uint64_t nframes, ncodes, strings_used;
};

/* code: 0 not copied yet (the node's frame is unknown), else the
   index + 1 of its struct alloc_code; `code` is stored last. */
struct alloc_frame {
    uint32_t code;
    int32_t lineno;
    uint32_t parent;
    uint32_t reserved;
};

struct alloc_code {
    uint64_t id; /* pikos_code's id, while the process ran */
    uint64_t name_offset, name_len, file_offset, file_len;
};

/* A buffer of the instance: durable when the host has it, else malloc'ed;
   new bytes zeroed.  NULL when out of memory (the old one stays). */
struct store {
    struct pikos_instance *inst;
    const struct pikos_host *host; /* NULL: plain memory */
    void *data[BUF_COUNT];
    size_t size[BUF_COUNT];
};

void *store_grow(struct store *s, unsigned id, size_t size);
void store_clear(struct store *s);
void store_free(struct store *s);

#endif
