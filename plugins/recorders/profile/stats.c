/* plugins/recorders/profile/stats.c - see stats.h. */
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static uint32_t pair_slot(uint32_t caller, uint32_t callee, uint32_t mask)
{
    uint64_t h = ((uint64_t)caller << 32 | callee) * 0x9e3779b97f4a7c15ull;
    return (uint32_t)(h >> 32) & mask;
}

/* Doubles the pair table; -1 when out of memory. */
static int grow_pairs(struct profile_stats *s)
{
    uint32_t cap = s->slots_cap ? 2 * s->slots_cap : 256;
    uint32_t *slots = calloc(cap, sizeof(*slots));
    struct caller_counts *callers =
        realloc(s->callers, (size_t)cap / 2 * sizeof(*callers));
    if (slots == NULL || callers == NULL) {
        free(slots);
        if (callers != NULL)
            s->callers = callers;
        return -1;
    }
    s->callers = callers;
    for (uint32_t i = 0; i < s->ncallers; i++) {
        uint32_t at = pair_slot(callers[i].caller, callers[i].callee, cap - 1);
        while (slots[at] != 0)
            at = (at + 1) & (cap - 1);
        slots[at] = i + 1;
    }
    free(s->slots);
    s->slots = slots;
    s->slots_cap = cap;
    s->callers_cap = cap / 2;
    return 0;
}

/* The counts of the edge caller -> callee, made the first time; NULL when
   out of memory. */
static struct call_counts *pair_of(struct profile_stats *s, uint32_t caller,
                                   uint32_t callee)
{
    if (s->ncallers + 1 > s->callers_cap && grow_pairs(s) < 0)
        return NULL;
    uint32_t mask = s->slots_cap - 1;
    uint32_t at = pair_slot(caller, callee, mask);
    for (; s->slots[at] != 0; at = (at + 1) & mask) {
        struct caller_counts *c = &s->callers[s->slots[at] - 1];
        if (c->caller == caller && c->callee == callee)
            return &c->counts;
    }
    uint32_t i = s->ncallers++;
    s->callers[i] =
        (struct caller_counts){.caller = caller,
                               .callee = callee,
                               .next_caller = s->first_caller[callee]};
    s->first_caller[callee] = i;
    s->slots[at] = i + 1;
    return &s->callers[i].counts;
}

struct walk {
    const struct call_tree *tree;
    struct profile_stats *stats;
};

/* The calls of one node added to `c`: primitive ones when no call of the
   same kind is open above it. */
static void add_calls(struct call_counts *c, const struct call_tree *tree,
                      uint32_t node)
{
    const struct tree_node *n = &tree->nodes[node];
    c->nc += n->calls;
    c->tt_ns += call_tree_exclusive_ns(tree, node);
    if (c->on_path == 0) {
        c->cc += n->calls;
        c->ct_ns += n->inclusive_ns;
    }
    c->on_path++;
}

/* The edge into path[depth - 1], or NULL for a top call (or when out of
   memory, noted in `failed`). */
static struct call_counts *edge_of(struct walk *w, const uint32_t *path,
                                   size_t depth)
{
    if (depth < 2)
        return NULL;
    const struct tree_node *nodes = w->tree->nodes;
    struct call_counts *c = pair_of(w->stats, nodes[path[depth - 2]].function,
                                    nodes[path[depth - 1]].function);
    if (c == NULL)
        w->stats->failed = 1;
    return c;
}

static void visit(const uint32_t *path, size_t depth, void *arg)
{
    struct walk *w = arg;
    uint32_t node = path[depth - 1];
    add_calls(&w->stats->functions[w->tree->nodes[node].function], w->tree,
              node);
    struct call_counts *edge = edge_of(w, path, depth);
    if (edge != NULL)
        add_calls(edge, w->tree, node);
}

static void leave(const uint32_t *path, size_t depth, void *arg)
{
    struct walk *w = arg;
    w->stats->functions[w->tree->nodes[path[depth - 1]].function].on_path--;
    struct call_counts *edge = edge_of(w, path, depth);
    if (edge != NULL)
        edge->on_path--;
}

int profile_stats_compute(const struct call_tree *tree, struct profile_stats *s)
{
    memset(s, 0, sizeof(*s));
    uint32_t n = tree->nfunctions ? tree->nfunctions : 1;
    s->functions = calloc(n, sizeof(*s->functions));
    s->first_caller = malloc(n * sizeof(*s->first_caller));
    if (s->functions == NULL || s->first_caller == NULL)
        return -1;
    memset(s->first_caller, 0xff, n * sizeof(*s->first_caller));
    struct walk w = {tree, s};
    for (uint32_t t = 0; t < tree->nthreads; t++)
        if (call_tree_walk(tree, tree->threads[t].root, visit, leave, &w) < 0)
            s->failed = 1;
    return s->failed ? -1 : 0;
}

void profile_stats_free(struct profile_stats *s)
{
    free(s->functions);
    free(s->first_caller);
    free(s->callers);
    free(s->slots);
    memset(s, 0, sizeof(*s));
}
