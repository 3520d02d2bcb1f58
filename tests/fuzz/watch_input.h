/*
 * tests/fuzz/watch_input.h - how a fuzz input (and each file of the seed
 * corpus tests/unit/fixtures/watch_corpus/) becomes messages for
 * `pikos watch`'s decoder.
 *
 * The input is a sequence of messages, one per line ('\n'); each message's
 * frames are separated by tabs ('\t').  "pikos.end<TAB>{...}" is one
 * two-frame message; a line without a tab is a one-frame message; a final
 * '\n' ends the last message (it does not start an empty one).  Frames
 * hold any other bytes, invalid UTF-8 and NUL included.
 */
#ifndef WATCH_INPUT_H
#define WATCH_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "watch.h"

/* Feeds every message of the input to pikos_watch_receive (at time
   `now`); stores the first `max` verdicts in verdicts[] (may be NULL) and
   returns how many messages there were. */
size_t watch_input_feed(struct pikos_watch_streams *streams,
                        const uint8_t *data, size_t size, double now,
                        int *verdicts, size_t max);

#endif /* WATCH_INPUT_H */
