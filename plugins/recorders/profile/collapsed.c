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
 *
 * A memory profile (write_memory_collapsed) writes its stacks the same
 * way, each frame at the line it was at, weighed in bytes.
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

/* ------------------------------------------------------------ memory */

/* A memory profile's frame: "function (file:line)", or the bare function
   where there is no file and no line ("<no Python frame>"), the text the
   allocation records' stacks hold. */
static void put_location(struct bytes *b, const struct alloc_profile *p,
                         uint32_t location)
{
    const struct alloc_location *l = &p->locations[location];
    const struct alloc_function *f = &p->functions[l->function];
    put_clean(b, alloc_function_name(p, l->function), f->name_len);
    if (f->filename_len == 0 && l->line == 0)
        return;
    bytes_put_text(b, " (");
    put_clean(b, alloc_function_file(p, l->function), f->filename_len);
    bytes_put_byte(b, ':');
    bytes_put_int(b, l->line);
    bytes_put_byte(b, ')');
}

/*
 * One line per stack with bytes of the chosen measure (memory=peak: live
 * at the peak; exit: live when monitoring stopped; alloc: allocated),
 * in the order the stacks came, outermost frame first: a flame graph's
 * widths are then the bytes each frame holds, itself and below.  No
 * thread frame: allocation records do not say which thread.
 */
int write_memory_collapsed(struct profile_writer *w)
{
    const struct alloc_profile *p = w->allocs;
    for (uint32_t i = 0; i < p->nstacks && w->rc == PIKOS_OK; i++) {
        const struct alloc_stack *s = &p->stacks[i];
        int64_t bytes = s->values[w->measure->bytes];
        if (bytes <= 0)
            continue;
        const uint32_t *frames = alloc_stack_frames(p, s);
        for (uint32_t d = 0; d < s->depth; d++) {
            if (d > 0)
                bytes_put_byte(&w->unit, ';');
            put_location(&w->unit, p, frames[d]);
        }
        bytes_put_byte(&w->unit, ' ');
        bytes_put_int(&w->unit, bytes);
        bytes_put_byte(&w->unit, '\n');
        writer_emit(w);
    }
    return w->rc;
}
