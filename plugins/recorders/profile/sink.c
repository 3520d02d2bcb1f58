/* plugins/recorders/profile/sink.c - see sink.h. */
#include <string.h>

#include "sink.h"

int sink_write_bytes(struct sink *sink, struct bytes *unit,
                     struct pikos_instance *inst, const struct pikos_host *host)
{
    if (unit->failed)
        return host->set_error(inst, PIKOS_ENOMEM,
                               "out of memory writing the profile");
    return sink->write(sink, unit->data, unit->len);
}

static int host_write(struct sink *sink, const void *data, size_t len)
{
    struct host_sink *hs = (struct host_sink *)sink;
    return hs->host->output_write(hs->out, data, len);
}

void host_sink_init(struct host_sink *hs, const struct pikos_host *host,
                    struct pikos_output *out)
{
    hs->sink.write = host_write;
    hs->host = host;
    hs->out = out;
}

/* Runs deflate with `flush` until it has taken all its input (and, with
   Z_FINISH, written the trailer), handing each full buffer on. */
static int deflate_all(struct gzip_sink *gz, int flush)
{
    int z_rc;
    do {
        gz->z.next_out = gz->out;
        gz->z.avail_out = sizeof(gz->out);
        z_rc = deflate(&gz->z, flush);
        if (z_rc == Z_STREAM_ERROR)
            return gz->host->set_error(gz->inst, PIKOS_EIO,
                                       "zlib could not compress the profile");
        size_t have = sizeof(gz->out) - gz->z.avail_out;
        int rc = have ? gz->next->write(gz->next, gz->out, have) : PIKOS_OK;
        if (rc != PIKOS_OK)
            return rc;
    } while (gz->z.avail_out == 0 ||
             (flush == Z_FINISH && z_rc != Z_STREAM_END));
    return PIKOS_OK;
}

static int gzip_write(struct sink *sink, const void *data, size_t len)
{
    struct gzip_sink *gz = (struct gzip_sink *)sink;
    gz->z.next_in = (unsigned char *)data;
    gz->z.avail_in = (uInt)len;
    return deflate_all(gz, Z_NO_FLUSH);
}

int gzip_sink_open(struct gzip_sink *gz, struct sink *next,
                   struct pikos_instance *inst, const struct pikos_host *host)
{
    memset(&gz->z, 0, sizeof(gz->z));
    gz->sink.write = gzip_write;
    gz->next = next;
    gz->inst = inst;
    gz->host = host;
    /* 15 + 16: a gzip header and trailer around the deflate stream. */
    gz->open = deflateInit2(&gz->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16,
                            8, Z_DEFAULT_STRATEGY) == Z_OK;
    if (!gz->open)
        return host->set_error(inst, PIKOS_ENOMEM,
                               "zlib could not start a gzip stream");
    return PIKOS_OK;
}

int gzip_sink_close(struct gzip_sink *gz)
{
    if (!gz->open)
        return PIKOS_OK;
    gz->z.next_in = NULL;
    gz->z.avail_in = 0;
    int rc = deflate_all(gz, Z_FINISH);
    deflateEnd(&gz->z);
    gz->open = 0;
    return rc;
}
