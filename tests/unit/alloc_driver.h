/*
 * tests/unit/alloc_driver.h - monitors/allocations driven through the fake
 * host (test_heap, test_blocks, test_live_top): an instance started with
 * the given options and stack frames, and allocation events at a time.
 */
#ifndef PIKOS_TEST_ALLOC_DRIVER_H
#define PIKOS_TEST_ALLOC_DRIVER_H

#include "fakehost.h"

#define MS 1000000u /* ns */

extern const struct pikos_plugin pikos_plugin_entry;

/* The monitor with `settings` (NULL-ended "key=value"), its stack nodes
   `frames` (node n is frames[n - 1]), started at 1000 ms on thread 42. */
struct fake_instance *alloc_driver_start(const char *const *settings,
                                         const struct fake_frame *frames,
                                         size_t nframes);
/* One event, `at_ms` after the run's start. */
void alloc_driver_event(struct fake_instance *fi, uint32_t type,
                        uint32_t domain, uint64_t address, uint64_t size,
                        uint32_t stack, uint64_t at_ms);

#endif
