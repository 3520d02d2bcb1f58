/* plugins/recorders/chrome_trace/sink.c - see sink.h. */
#include <stdlib.h>
#include <string.h>

#include "sink.h"

static int out_of_memory(struct trace_sink *sink)
{
    return sink->host->set_error(sink->inst, PIKOS_ENOMEM, "out of memory");
}

/* `text` as one whole member, in one write. */
static int write_member(struct trace_sink *sink, const char *text, size_t len)
{
    const unsigned char *member;
    size_t size = gzip_member(&sink->members, text, len, &member);

    if (size == 0)
        return out_of_memory(sink);
    return sink->host->output_write(sink->out, (const char *)member, size);
}

/* The pending block as a member. */
static int compress_block(struct trace_sink *sink)
{
    int rc = 0;

    if (sink->block_len > 0)
        rc = write_member(sink, sink->block, sink->block_len);
    sink->block_len = 0;
    return rc;
}

/* Text written as it is, or as a member of its own after the pending
   block. */
static int write_whole(struct trace_sink *sink, const char *text, size_t len)
{
    int rc;

    if (!sink->gzip)
        return sink->host->output_write(sink->out, text, len);
    rc = compress_block(sink);
    return rc != 0 ? rc : write_member(sink, text, len);
}

static int open_gzip(struct trace_sink *sink, const struct trace_sink_gzip *gz)
{
    sink->gzip = 1;
    sink->block_cap = gz->block;
    sink->block = malloc(gz->block);
    if (sink->block == NULL ||
        gzip_members_init(&sink->members, gz->level, gz->block) < 0)
        return out_of_memory(sink);
    return 0;
}

int trace_sink_open(struct trace_sink *sink, struct pikos_instance *inst,
                    const struct pikos_host *host, const char *path,
                    const struct trace_sink_gzip *gzip)
{
    memset(sink, 0, sizeof(*sink));
    sink->inst = inst;
    sink->host = host;
    sink->out = host->output_open(inst, path);
    if (sink->out == NULL)
        return PIKOS_EIO; /* the host has set the error */
    return gzip != NULL && gzip->level > 0 ? open_gzip(sink, gzip) : 0;
}

/* The ending as the file will hold it: a member of its own for gzip. */
static int set_ending(struct trace_sink *sink, const char *ending, size_t len)
{
    const unsigned char *member;
    int rc;

    if (sink->gzip) {
        len = gzip_member(&sink->members, ending, len, &member);
        if (len == 0)
            return out_of_memory(sink);
        ending = (const char *)member;
    }
    rc = sink->host->output_set_ending(sink->out, ending, len);
    if (rc != 0)
        return sink->host->set_error(sink->inst, rc,
                                     "the trace's ending (%zu bytes) is "
                                     "longer than the host keeps",
                                     len);
    return 0;
}

int trace_sink_begin(struct trace_sink *sink, const char *header,
                     size_t header_len, const char *ending, size_t ending_len)
{
    int rc = write_whole(sink, header, header_len);

    return rc != 0 ? rc : set_ending(sink, ending, ending_len);
}

/* The sink's own buffer, for an event that fits nowhere else. */
static char *reserve_big(struct trace_sink *sink, size_t max)
{
    if (max > sink->big_cap) {
        char *grown = realloc(sink->big, max);
        if (grown == NULL) {
            sink->failure = out_of_memory(sink);
            return NULL;
        }
        sink->big = grown;
        sink->big_cap = max;
    }
    sink->reserved_big = 1;
    return sink->big;
}

char *trace_sink_reserve(struct trace_sink *sink, size_t max)
{
    char *room = NULL;

    sink->reserved_big = 0;
    if (!sink->gzip)
        room = sink->host->output_reserve(sink->out, max);
    else if (max <= sink->block_cap) {
        if (max > sink->block_cap - sink->block_len &&
            (sink->failure = compress_block(sink)) != 0)
            return NULL;
        room = sink->block + sink->block_len;
    }
    return room != NULL ? room : reserve_big(sink, max);
}

int trace_sink_commit(struct trace_sink *sink, size_t used)
{
    if (sink->reserved_big)
        return write_whole(sink, sink->big, used);
    if (!sink->gzip)
        return sink->host->output_commit(sink->out, used);
    sink->block_len += used;
    return 0;
}

int trace_sink_flush(struct trace_sink *sink)
{
    int rc = sink->gzip ? compress_block(sink) : 0;
    int flushed = sink->host->output_flush(sink->out);

    return rc != 0 ? rc : flushed;
}

int trace_sink_close(struct trace_sink *sink)
{
    int rc = 0;

    if (sink->out != NULL) {
        rc = sink->gzip ? compress_block(sink) : 0;
        int closed = sink->host->output_close(sink->out);
        if (rc == 0)
            rc = closed;
    }
    if (sink->gzip)
        gzip_members_free(&sink->members);
    free(sink->block);
    free(sink->big);
    memset(sink, 0, sizeof(*sink));
    return rc;
}
