/*
 * plugins/monitors/common/memory_mode.h - how the memory monitors
 * (monitors/function_memory, monitors/line_memory) read process memory.
 *
 * Both take the same two options:
 *   memory   = exact    read the counters at every event (the seed's way;
 *                       one system call per event), or
 *              sampled  read the latest value of the host's memory sampler,
 *                       a thread that reads them every `interval` us (no
 *                       system call per event; values up to one interval
 *                       old: see core/memory.c);
 *   interval = 100      the sampler's period in microseconds (> 0).
 * Each monitor embeds a struct memory_mode in its context, lists the two
 * options in its table (stored in the struct's first two fields), and
 * calls the functions below from its init, start and stop; per event it
 * calls mode->read.
 */
#ifndef PIKOS_MONITORS_MEMORY_MODE_H
#define PIKOS_MONITORS_MEMORY_MODE_H

#include <stddef.h>
#include <stdint.h>

#include <pikos/plugin.h>

struct memory_mode {
    /* Options, stored by the host. */
    char *memory;
    int64_t interval;

    const struct pikos_host *host;
    int (*read)(uint64_t *rss, uint64_t *vms); /* exact or sampled */
    int sampled;
    int sampler_held; /* acquired by start, released by stop */
};

/* The help of the two options, for the monitors' option tables. */
#define MEMORY_MODE_MEMORY_HELP                                                \
    "exact (read the counters at every event) or sampled (events take the "   \
    "latest value a background thread reads every `interval`)"
#define MEMORY_MODE_INTERVAL_HELP                                              \
    "memory=sampled: microseconds between two readings (> 0)"

/* Checks the options and the host's services; errors name the option and
   the values it takes. */
int memory_mode_init(struct memory_mode *mode, struct pikos_instance *inst,
                     const struct pikos_host *host);
/* Makes sure a reading works (so that a failure stops the run before the
   program starts) and, when sampled, acquires the sampler. */
int memory_mode_start(struct memory_mode *mode, struct pikos_instance *inst);
/* Releases the sampler if start acquired it. */
int memory_mode_stop(struct memory_mode *mode, struct pikos_instance *inst);
/* Records the first failed reading as the monitor's error. */
void memory_mode_failed(struct memory_mode *mode, struct pikos_instance *inst);

#endif /* PIKOS_MONITORS_MEMORY_MODE_H */
