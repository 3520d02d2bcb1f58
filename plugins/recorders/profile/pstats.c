/*
 * plugins/recorders/profile/pstats.c - the file cProfile's dump_stats
 * writes and pstats.Stats, snakeviz and gprof2dot read: a marshalled dict
 *
 *     {(file, line, name): (cc, nc, tt, ct, {caller: (nc, cc, tt, ct)})}
 *
 * counted as cProfile counts (stats.h), times in seconds.  Keys are
 * cProfile's: (co_filename, co_firstlineno, co_name) for a Python
 * function, ('~', 0, '<built-in method NAME>') for a C function.  The
 * callers' tuples hold nc before cc, as cProfile's snapshot_stats writes
 * them and pstats and gprof2dot read them.  Each function's entry is one
 * unit of output.
 */
#include "formats.h"
#include "marshal.h"
#include "stats.h"

static double seconds(uint64_t ns)
{
    return (double)ns / 1e9;
}

static void put_key(struct bytes *b, const struct tree_function *f)
{
    marshal_tuple(b, 3);
    if (f->c_function) {
        marshal_str(b, "~", 1);
        marshal_int(b, 0);
    } else {
        marshal_str(b, f->filename, f->filename_len);
        marshal_int(b, f->first_lineno);
    }
    struct bytes name = {0};
    put_function_name(&name, f);
    marshal_str(b, (const char *)name.data, name.len);
    b->failed |= name.failed;
    bytes_free(&name);
}

static void put_callers(struct bytes *b, const struct call_tree *tree,
                        const struct profile_stats *s, uint32_t callee)
{
    marshal_dict_begin(b);
    for (uint32_t i = s->first_caller[callee]; i != CALL_TREE_NONE;
         i = s->callers[i].next_caller) {
        const struct call_counts *c = &s->callers[i].counts;
        put_key(b, &tree->functions[s->callers[i].caller]);
        marshal_tuple(b, 4);
        marshal_int(b, (int64_t)c->nc);
        marshal_int(b, (int64_t)c->cc);
        marshal_float(b, seconds(c->tt_ns));
        marshal_float(b, seconds(c->ct_ns));
    }
    marshal_dict_end(b);
}

static void put_function(struct bytes *b, const struct call_tree *tree,
                         const struct profile_stats *s, uint32_t f)
{
    const struct call_counts *c = &s->functions[f];
    put_key(b, &tree->functions[f]);
    marshal_tuple(b, 5);
    marshal_int(b, (int64_t)c->cc);
    marshal_int(b, (int64_t)c->nc);
    marshal_float(b, seconds(c->tt_ns));
    marshal_float(b, seconds(c->ct_ns));
    put_callers(b, tree, s, f);
}

int write_pstats(struct profile_writer *w)
{
    struct profile_stats s;
    if (profile_stats_compute(w->tree, &s) < 0) {
        profile_stats_free(&s);
        return writer_fail(w, PIKOS_ENOMEM,
                           "out of memory writing the profile");
    }
    marshal_dict_begin(&w->unit);
    for (uint32_t f = 0; f < w->tree->nfunctions && w->rc == PIKOS_OK; f++) {
        if (s.functions[f].nc == 0)
            continue;
        put_function(&w->unit, w->tree, &s, f);
        writer_emit(w);
    }
    marshal_dict_end(&w->unit);
    writer_emit(w);
    profile_stats_free(&s);
    return w->rc;
}
