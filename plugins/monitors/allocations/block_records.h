/*
 * block_records.h - monitors/allocations' per-block records (option
 * `threshold=BYTES`): one BlockRecord (docs/records.md) per allocation of
 * at least that many bytes, and one per free of such a block, with its
 * time, thread, address, size, domain and place (function, file, line
 * and stack).
 *
 * Names cannot be read inside the allocator (host->stack_frame needs a
 * safe point), so on_event queues what it knows - the stack node, not
 * its names - in durable state buffer 4 (state.h) and asks for a safe
 * point; there (and at stop) the frames are copied first (frames.c) and
 * the queued records go out in the order of their events.  The queue
 * holds at most `limit` records; a record that finds it full is dropped
 * and counted, its index left unused, and stop reports the drops.
 *
 * Crash safety: an entry is published (`count`) after it is written,
 * and `emitted` moves after each record goes out, so the salvage of a
 * process that died emits the records it queued and had not emitted,
 * once each.
 */
#ifndef ALLOCATIONS_BLOCK_RECORDS_H
#define ALLOCATIONS_BLOCK_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include <pikos/plugin.h>

#include "state.h"

#define BLOCK_STATE_MAGIC 0x70696b6f73626c31ull /* "pikosbl1" */

enum { BLOCK_ALLOC = 0, BLOCK_FREE = 1 };

struct block_head {
    uint64_t magic;
    uint64_t count;      /* entries written (published after each) */
    uint64_t emitted;    /* of those, gone out */
    uint64_t dropped;    /* records lost to a full queue in this run */
    uint64_t next_index; /* the run's next record number */
};

struct block_entry {
    uint64_t index;
    uint64_t address;
    uint64_t size;
    uint64_t time;   /* ns since the run started */
    uint64_t thread; /* OS thread id */
    double weight;   /* blocks it stands for: 1, or 1 / p when sampled */
    uint32_t stack;  /* the allocation's stack node (a free: its block's) */
    uint8_t type;    /* BLOCK_ALLOC or BLOCK_FREE */
    uint8_t domain;  /* enum pikos_alloc_domain */
    uint16_t reserved;
};

struct block_queue {
    struct store *store;
    uint64_t limit;     /* entries at most (option `queue`) */
    struct block_head *head; /* NULL until the first record */
    struct block_entry *entries;
    size_t capacity; /* entries the buffer holds now */
};

extern const struct pikos_schema block_record;

/* A new run: nothing queued. */
void block_queue_reset(struct block_queue *q);

/* Queues a record, giving it the run's next index.  0; -1 when the queue
   is full or out of memory (the record is dropped and counted). */
int block_queue_push(struct block_queue *q, struct block_entry e);

#endif
