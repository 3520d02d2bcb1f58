/*
 * plugins/recorders/profile/sink.{c,h} - where a profile's bytes go: the
 * host's output (each write a whole unit: a line, a JSON object, a
 * marshalled entry), or a gzip stream in front of it (pprof: profile.proto
 * is stored gzip-compressed, with zlib).
 */
#ifndef PIKOS_PROFILE_SINK_H
#define PIKOS_PROFILE_SINK_H

#include <stddef.h>

#include <zlib.h>

#include <pikos/plugin.h>

#include "bytes.h"

struct sink {
    /* PIKOS_OK or a negative PIKOS_E* code (the error is set). */
    int (*write)(struct sink *sink, const void *data, size_t len);
};

/* Writes a unit; a buffer whose allocation failed is an error. */
int sink_write_bytes(struct sink *sink, struct bytes *unit,
                     struct pikos_instance *inst,
                     const struct pikos_host *host);

struct host_sink {
    struct sink sink;
    const struct pikos_host *host;
    struct pikos_output *out;
};

void host_sink_init(struct host_sink *hs, const struct pikos_host *host,
                    struct pikos_output *out);

struct gzip_sink {
    struct sink sink;
    struct sink *next; /* where the compressed bytes go */
    struct pikos_instance *inst;
    const struct pikos_host *host;
    z_stream z;
    int open;
    unsigned char out[16384];
};

/* PIKOS_OK, or PIKOS_ENOMEM with the error set. */
int gzip_sink_open(struct gzip_sink *gz, struct sink *next,
                   struct pikos_instance *inst, const struct pikos_host *host);
/* Ends the gzip stream (its trailer goes to `next`) and frees zlib's
   state; PIKOS_OK or an error code. */
int gzip_sink_close(struct gzip_sink *gz);

#endif /* PIKOS_PROFILE_SINK_H */
