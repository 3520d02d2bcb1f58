/*
 * tests/fuzz/watch_input.c - a fuzz input or corpus file -> messages
 * (format in watch_input.h).
 */
#include <string.h>

#include "watch_input.h"

/* Frames kept per message: a third one is enough to tell "not two", as in
   cli/watch/watch.c. */
#define KEPT_FRAMES 3

/* Splits one line at its tabs; returns the number of frames kept. */
static size_t split_frames(const uint8_t *line, size_t size,
                           struct pikos_watch_frame *frames)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= size && n < KEPT_FRAMES; i++) {
        if (i < size && line[i] != '\t')
            continue;
        frames[n].data = line + start;
        frames[n].size = i - start;
        n++;
        start = i + 1;
    }
    return n;
}

size_t watch_input_feed(struct pikos_watch_streams *streams,
                        const uint8_t *data, size_t size, double now,
                        int *verdicts, size_t max)
{
    size_t count = 0, start = 0;
    while (start < size) {
        const uint8_t *end = memchr(data + start, '\n', size - start);
        size_t len = end ? (size_t)(end - (data + start)) : size - start;
        struct pikos_watch_frame frames[KEPT_FRAMES];
        size_t n = split_frames(data + start, len, frames);
        int verdict = pikos_watch_receive(streams, frames, n, now);
        if (verdicts && count < max)
            verdicts[count] = verdict;
        count++;
        start += len + 1;
    }
    return count;
}
