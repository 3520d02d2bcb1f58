/* plugins/recorders/profile/writer.c - what the format writers share
   (formats.h). */
#include "formats.h"

void writer_emit(struct profile_writer *w)
{
    if (w->rc == PIKOS_OK)
        w->rc = sink_write_bytes(w->sink, &w->unit, w->inst, w->host);
    bytes_clear(&w->unit);
}

int writer_fail(struct profile_writer *w, int code, const char *what)
{
    if (w->rc == PIKOS_OK)
        w->rc = w->host->set_error(w->inst, code, "%s", what);
    return w->rc;
}

void put_function_name(struct bytes *b, const struct tree_function *f)
{
    if (f->c_function)
        bytes_put_text(b, "<built-in method ");
    bytes_put(b, f->name, f->name_len);
    if (f->c_function)
        bytes_put_byte(b, '>');
}
