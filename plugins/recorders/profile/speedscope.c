/*
 * plugins/recorders/profile/speedscope.c - speedscope's file format
 * (file-format-schema.json of the speedscope npm package): every function
 * once in shared.frames, then one "sampled" profile per thread whose
 * samples are the thread's call paths (frame indexes, top call first)
 * weighted by their exclusive time in nanoseconds.  Paths without
 * exclusive time are left out.  speedscope's "left heavy" and "sandwich"
 * views then show the call tree; its "time order" view shows the paths
 * one after the other, not when they ran: the tree keeps no timeline
 * (docs/formats.md).
 *
 * A memory profile (write_memory_speedscope) is one "sampled" profile in
 * bytes: its stacks weighed by the `memory` option's measure.
 *
 * Each frame, sample and weight is one unit of output.
 */
#include <string.h>

#include "formats.h"

/* A JSON string of UTF-8 text. */
static void put_json_string(struct bytes *b, const char *text, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    bytes_put_byte(b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"' || c == '\\') {
            bytes_put_byte(b, '\\');
            bytes_put_byte(b, c);
        } else if (c < 0x20) {
            char escape[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            bytes_put(b, escape, sizeof(escape));
        } else {
            bytes_put_byte(b, c);
        }
    }
    bytes_put_byte(b, '"');
}

static void put_frame(struct bytes *b, const struct tree_function *f)
{
    struct bytes name = {0};
    put_function_name(&name, f);
    bytes_put_text(b, "{\"name\":");
    put_json_string(b, (const char *)name.data, name.len);
    b->failed |= name.failed;
    bytes_free(&name);
    if (!f->c_function) {
        bytes_put_text(b, ",\"file\":");
        put_json_string(b, f->filename, f->filename_len);
        bytes_put_text(b, ",\"line\":");
        bytes_put_int(b, f->first_lineno);
    }
    bytes_put_byte(b, '}');
}

struct speedscope_walk {
    struct profile_writer *w;
    int weights; /* writing the weights (else the samples) */
    int written; /* items written so far in this array */
};

static void visit(const uint32_t *path, size_t depth, void *arg)
{
    struct speedscope_walk *sw = arg;
    struct profile_writer *w = sw->w;
    uint64_t ns = call_tree_exclusive_ns(w->tree, path[depth - 1]);
    if (ns == 0 || w->rc != PIKOS_OK)
        return;
    if (sw->written++ > 0)
        bytes_put_byte(&w->unit, ',');
    if (sw->weights) {
        bytes_put_uint(&w->unit, ns);
    } else {
        bytes_put_byte(&w->unit, '[');
        for (size_t i = 0; i < depth; i++) {
            if (i > 0)
                bytes_put_byte(&w->unit, ',');
            bytes_put_uint(&w->unit, w->tree->nodes[path[i]].function);
        }
        bytes_put_byte(&w->unit, ']');
    }
    writer_emit(w);
}

/* The thread's paths as samples, or their weights. */
static void put_paths(struct profile_writer *w, uint32_t root, int weights)
{
    struct speedscope_walk sw = {w, weights, 0};
    if (call_tree_walk(w->tree, root, visit, NULL, &sw) < 0)
        writer_fail(w, PIKOS_ENOMEM, "out of memory writing the profile");
}

static void put_profile(struct profile_writer *w, const struct tree_thread *t,
                        int first)
{
    bytes_put_text(&w->unit, first ? "" : ",");
    bytes_put_text(&w->unit, "{\"type\":\"sampled\",\"name\":\"thread ");
    bytes_put_uint(&w->unit, t->thread);
    bytes_put_text(
        &w->unit, "\",\"unit\":\"nanoseconds\",\"startValue\":0,\"endValue\":");
    bytes_put_uint(&w->unit, call_tree_thread_ns(w->tree, t->root));
    bytes_put_text(&w->unit, ",\"samples\":[");
    writer_emit(w);
    put_paths(w, t->root, 0);
    bytes_put_text(&w->unit, "],\"weights\":[");
    writer_emit(w);
    put_paths(w, t->root, 1);
    bytes_put_text(&w->unit, "]}");
    writer_emit(w);
}

int write_speedscope(struct profile_writer *w)
{
    const struct call_tree *tree = w->tree;
    bytes_put_text(&w->unit,
                   "{\"$schema\":\"https://www.speedscope.app/"
                   "file-format-schema.json\",\"name\":\"pikos profile\","
                   "\"exporter\":\"pikos recorders/profile\","
                   "\"activeProfileIndex\":0,\"shared\":{\"frames\":[");
    writer_emit(w);
    for (uint32_t f = 0; f < tree->nfunctions && w->rc == PIKOS_OK; f++) {
        if (f > 0)
            bytes_put_byte(&w->unit, ',');
        put_frame(&w->unit, &tree->functions[f]);
        writer_emit(w);
    }
    bytes_put_text(&w->unit, "]},\"profiles\":[");
    writer_emit(w);
    for (uint32_t t = 0; t < tree->nthreads && w->rc == PIKOS_OK; t++)
        put_profile(w, &tree->threads[t], t == 0);
    bytes_put_text(&w->unit, "]}\n");
    writer_emit(w);
    return w->rc;
}

/* ------------------------------------------------------------ memory */

/* A memory profile's frame: its function, file and line (the line the
   frame was at, not the function's first); the function alone where
   there is no file ("<no Python frame>"). */
static void put_location(struct bytes *b, const struct alloc_profile *p,
                         uint32_t location)
{
    const struct alloc_location *l = &p->locations[location];
    const struct alloc_function *f = &p->functions[l->function];
    bytes_put_text(b, "{\"name\":");
    put_json_string(b, alloc_function_name(p, l->function), f->name_len);
    if (f->filename_len > 0) {
        bytes_put_text(b, ",\"file\":");
        put_json_string(b, alloc_function_file(p, l->function),
                        f->filename_len);
        bytes_put_text(b, ",\"line\":");
        bytes_put_int(b, l->line);
    }
    bytes_put_byte(b, '}');
}

/* The stacks with bytes of the measure, as samples (frame indexes,
   outermost first) or as their weights. */
static void put_stacks(struct profile_writer *w, int weights)
{
    const struct alloc_profile *p = w->allocs;
    int written = 0;
    for (uint32_t i = 0; i < p->nstacks && w->rc == PIKOS_OK; i++) {
        const struct alloc_stack *s = &p->stacks[i];
        int64_t bytes = s->values[w->measure->bytes];
        if (bytes <= 0)
            continue;
        if (written++ > 0)
            bytes_put_byte(&w->unit, ',');
        if (weights) {
            bytes_put_int(&w->unit, bytes);
        } else {
            const uint32_t *frames = alloc_stack_frames(p, s);
            bytes_put_byte(&w->unit, '[');
            for (uint32_t d = 0; d < s->depth; d++) {
                if (d > 0)
                    bytes_put_byte(&w->unit, ',');
                bytes_put_uint(&w->unit, frames[d]);
            }
            bytes_put_byte(&w->unit, ']');
        }
        writer_emit(w);
    }
}

/* One "sampled" profile in bytes: each stack's bytes of the measure
   (memory=peak by default), every location once in shared.frames. */
int write_memory_speedscope(struct profile_writer *w)
{
    const struct alloc_profile *p = w->allocs;
    uint64_t total = 0;
    for (uint32_t i = 0; i < p->nstacks; i++)
        if (p->stacks[i].values[w->measure->bytes] > 0)
            total += (uint64_t)p->stacks[i].values[w->measure->bytes];
    bytes_put_text(&w->unit,
                   "{\"$schema\":\"https://www.speedscope.app/"
                   "file-format-schema.json\",\"name\":\"pikos memory "
                   "profile\",\"exporter\":\"pikos recorders/profile\","
                   "\"activeProfileIndex\":0,\"shared\":{\"frames\":[");
    writer_emit(w);
    for (uint32_t l = 0; l < p->nlocations && w->rc == PIKOS_OK; l++) {
        if (l > 0)
            bytes_put_byte(&w->unit, ',');
        put_location(&w->unit, p, l);
        writer_emit(w);
    }
    bytes_put_text(&w->unit, "]},\"profiles\":[{\"type\":\"sampled\","
                             "\"name\":");
    put_json_string(&w->unit, w->measure->title, strlen(w->measure->title));
    bytes_put_text(&w->unit,
                   ",\"unit\":\"bytes\",\"startValue\":0,\"endValue\":");
    bytes_put_uint(&w->unit, total);
    bytes_put_text(&w->unit, ",\"samples\":[");
    writer_emit(w);
    put_stacks(w, 0);
    bytes_put_text(&w->unit, "],\"weights\":[");
    writer_emit(w);
    put_stacks(w, 1);
    bytes_put_text(&w->unit, "]}]}\n");
    writer_emit(w);
    return w->rc;
}
