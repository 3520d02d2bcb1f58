/*
 * plugins/recorders/chrome_trace/sink.{c,h} - where the trace's text goes:
 * the host's output, as it is or as gzip members.
 *
 * Events are built in place (reserve, then commit what was used): in the
 * output's own buffer for plain JSON, in a block of text for gzip.  Each
 * full block becomes one complete gzip member handed to the output in one
 * write, so that what the output holds - and what the `pikos` command
 * writes back after a crash - is always whole members.  The header is a
 * member of its own at once, and the ending (given to the host with
 * output_set_ending) another: the file is valid gzip however the run
 * ends.  What a crash loses with gzip is the block not yet compressed.
 *
 * An event larger than the room there is built in a buffer of the sink's
 * and written whole.  Nothing is allocated per event otherwise.
 */
#ifndef PIKOS_CHROME_TRACE_SINK_H
#define PIKOS_CHROME_TRACE_SINK_H

#include <stddef.h>

#include <pikos/plugin.h>

#include "gzip.h"

struct trace_sink {
    struct pikos_instance *inst;
    const struct pikos_host *host;
    struct pikos_output *out;
    int gzip;
    /* gzip: the text not compressed yet, and its compressor */
    char *block;
    size_t block_len, block_cap;
    struct gzip_members members;
    /* An event larger than the room of the output or the block. */
    char *big;
    size_t big_cap;
    int reserved_big; /* the last reserve gave `big` */
    int failure;      /* why the last reserve gave NULL */
};

/* gzip: level 1-9 and the bytes of text per member; 0: plain JSON. */
struct trace_sink_gzip {
    int level;
    size_t block;
};

/* Opens `path` through the host.  Returns 0, or a negative code with the
   instance's error set. */
int trace_sink_open(struct trace_sink *sink, struct pikos_instance *inst,
                    const struct pikos_host *host, const char *path,
                    const struct trace_sink_gzip *gzip);
/* The first bytes of the file, written now, and the ending the host
   writes after everything else however the run ends. */
int trace_sink_begin(struct trace_sink *sink, const char *header,
                     size_t header_len, const char *ending, size_t ending_len);
/* Room for one event of at most `max` bytes; NULL with the instance's
   error set and its code in sink->failure. */
char *trace_sink_reserve(struct trace_sink *sink, size_t max);
/* Keeps the first `used` bytes of the room reserve gave. */
int trace_sink_commit(struct trace_sink *sink, size_t used);
/* Compresses the pending text (gzip) and flushes the output. */
int trace_sink_flush(struct trace_sink *sink);
/* Flushes, closes the output (the host writes the ending) and frees. */
int trace_sink_close(struct trace_sink *sink);

#endif /* PIKOS_CHROME_TRACE_SINK_H */
