/*
 * plugins/recorders/profile/collapsed.c - collapsed stacks ("folded"),
 * the text flamegraph.pl, inferno and speedscope read: one line per call
 * path with time in it,
 *
 *     thread-4242;<module> (/app.py:1);work (/app.py:15);<built-in method len>
 * 1200
 *
 * frames from the thread down to the function, then the path's exclusive
 * time in nanoseconds.  A Python frame is "name (file:first line)", as
 * py-spy writes them; ';' and line breaks in a name or file become '_' so
 * that they cannot split a frame or a line.  Paths with no exclusive time
 * are left out (they add nothing to a flame graph).
 */
#include "formats.h"

/* A name or file, with the bytes that would break the format replaced. */
static void put_clean(struct bytes *b, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        bytes_put_byte(b, c == ';' || c == '\n' || c == '\r' ? '_' : c);
    }
}

static void put_frame(struct bytes *b, const struct tree_function *f)
{
    if (f->c_function) {
        bytes_put_text(b, "<built-in method ");
        put_clean(b, f->name, f->name_len);
        bytes_put_byte(b, '>');
        return;
    }
    put_clean(b, f->name, f->name_len);
    bytes_put_text(b, " (");
    put_clean(b, f->filename, f->filename_len);
    bytes_put_byte(b, ':');
    bytes_put_int(b, f->first_lineno);
    bytes_put_byte(b, ')');
}

struct collapsed_walk {
    struct profile_writer *w;
    uint64_t thread;
};

static void visit(const uint32_t *path, size_t depth, void *arg)
{
    struct collapsed_walk *cw = arg;
    struct profile_writer *w = cw->w;
    uint64_t ns = call_tree_exclusive_ns(w->tree, path[depth - 1]);
    if (ns == 0 || w->rc != PIKOS_OK)
        return;
    bytes_put_text(&w->unit, "thread-");
    bytes_put_uint(&w->unit, cw->thread);
    for (size_t i = 0; i < depth; i++) {
        bytes_put_byte(&w->unit, ';');
        put_frame(&w->unit,
                  &w->tree->functions[w->tree->nodes[path[i]].function]);
    }
    bytes_put_byte(&w->unit, ' ');
    bytes_put_uint(&w->unit, ns);
    bytes_put_byte(&w->unit, '\n');
    writer_emit(w);
}

int write_collapsed(struct profile_writer *w)
{
    for (uint32_t t = 0; t < w->tree->nthreads && w->rc == PIKOS_OK; t++) {
        struct collapsed_walk cw = {w, w->tree->threads[t].thread};
        if (call_tree_walk(w->tree, w->tree->threads[t].root, visit, NULL,
                           &cw) < 0)
            writer_fail(w, PIKOS_ENOMEM, "out of memory writing the profile");
    }
    return w->rc;
}
