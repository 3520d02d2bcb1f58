/*
 * plugins/recorders/profile/call_tree.{c,h} - the call tree of each
 * thread, as recorders/profile builds it from timed function events.
 *
 * A node is one call path of one thread (thread root -> f -> g): the
 * number of calls that ended on that path and their summed inclusive
 * time; exclusive time is what the node's children leave of it.  Every
 * function is interned once (its strings copied), and a node is found by
 * (parent, function) in a hash table, so the hot path allocates only when
 * it meets a call path for the first time: memory grows with the number
 * of distinct call paths, never with the length of the run.
 *
 * Hashing a function's strings on every call costs more than the rest of
 * the hot path, so two caches come first (call_tree.c): a node first
 * tries the child its parent found last and the sibling after that one,
 * comparing their functions with the call's, and a function is looked up
 * by where its strings are (the monitor hands the same buffers for the
 * same code), confirmed by their content.
 *
 * Everything the files are made from lives in a store (store.h): under
 * the `pikos` command, files the command reads after the program ended,
 * however it ended.  So the arrays hold indexes, a function's strings are
 * offsets into one string buffer (its `name` and `filename` pointers are
 * a cache of those, set again whenever that buffer moves), and each count
 * is published in `saved` once what it counts is written.
 *
 * Functions are told apart as cProfile tells them: a Python function by
 * (filename, first line, name), a C function by its name only (a c_call
 * record gives the C function's bare __name__, with the caller's file).
 */
#ifndef PIKOS_PROFILE_CALL_TREE_H
#define PIKOS_PROFILE_CALL_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/timed.h"
#include "store.h"

#define CALL_TREE_NONE UINT32_MAX /* no node, no function */

struct tree_function {
    const char *name;     /* NUL-terminated, in the string buffer */
    const char *filename; /* "" for a C function */
    uint64_t name_at, filename_at; /* their offsets there (kept) */
    size_t name_len, filename_len;
    int64_t first_lineno; /* 0 for a C function */
    int c_function;
    uint64_t hash;
};

struct tree_node {
    uint32_t function; /* CALL_TREE_NONE for a thread's root */
    uint32_t parent;   /* CALL_TREE_NONE for a thread's root */
    uint32_t first_child, last_child, next_sibling; /* in first-call order */
    uint32_t last_found;   /* the child call_tree_child found last, or NONE */
    uint64_t calls;        /* calls that ended on this path */
    uint64_t inclusive_ns; /* their summed durations */
    uint64_t children_ns;  /* the children's summed inclusive times */
};

struct tree_thread {
    uint64_t thread; /* OS thread id */
    uint32_t root;   /* its root node */
};

/* The counts, as the store keeps them (STORE_TREE). */
struct tree_saved {
    uint32_t nfunctions, nnodes, nthreads, reserved;
    uint64_t strings_used;
};

#define CALL_TREE_RECENT_BITS 8 /* the cache by string address: 256 slots */

struct call_tree {
    struct store store;
    struct tree_saved *saved;
    char *strings;
    uint64_t strings_used, strings_cap;

    struct tree_function *functions;
    uint32_t nfunctions, functions_cap;
    uint32_t *function_slots; /* open addressing: function index + 1 */
    uint32_t function_slots_cap;
    /* By the address of a call's strings: the function index + 1 last
       met with them; a guess, confirmed by content before it is used. */
    uint32_t recent[1u << CALL_TREE_RECENT_BITS];

    struct tree_node *nodes;
    uint32_t nnodes, nodes_cap;
    uint32_t *node_slots; /* open addressing: node index + 1 */
    uint32_t node_slots_cap;

    struct tree_thread *threads; /* in the order first seen */
    uint32_t nthreads, threads_cap;
};

/* NULL when out of memory.  call_tree_new keeps the tree in plain
   memory. */
struct call_tree *call_tree_new(void);
struct call_tree *call_tree_new_in(const struct store *store);
void call_tree_free(struct call_tree *tree);

/* In a salvage: the tree as the ended process left it in the store, its
   links checked (one torn by the process's end is cut).  -1 when it left
   none, or when out of memory. */
int call_tree_restore(struct call_tree *tree);

/* The root node of `thread`, made the first time; CALL_TREE_NONE when out
   of memory. */
uint32_t call_tree_thread_root(struct call_tree *tree, uint64_t thread);

/* The child of `parent` for the function a call event names, made the
   first time; CALL_TREE_NONE when out of memory. */
uint32_t call_tree_child(struct call_tree *tree, uint32_t parent,
                         const struct timed_event *call);

/* A call on the path `node` ended after `duration_ns`.  Inline: the hot
   path calls it for every end. */
static inline void call_tree_end_call(struct call_tree *tree, uint32_t node,
                                      uint64_t duration_ns)
{
    struct tree_node *n = &tree->nodes[node];
    n->calls++;
    n->inclusive_ns += duration_ns;
    tree->nodes[n->parent].children_ns += duration_ns;
}

/* What the node's children leave of its inclusive time. */
uint64_t call_tree_exclusive_ns(const struct call_tree *tree, uint32_t node);

/* A thread root's inclusive time: the sum of its top calls' times. */
uint64_t call_tree_thread_ns(const struct call_tree *tree, uint32_t root);

/*
 * Walks the tree under a thread's root depth first, parents before
 * children, children in first-call order.  `visit` gets each node below
 * the root with its path: path[0] the top call, path[depth - 1] the node.
 * `leave` (may be NULL) is called once a node's subtree is done.  Returns
 * 0, or -1 when out of memory (for the path).
 */
int call_tree_walk(const struct call_tree *tree, uint32_t root,
                   void (*visit)(const uint32_t *path, size_t depth, void *arg),
                   void (*leave)(const uint32_t *path, size_t depth, void *arg),
                   void *arg);

#endif /* PIKOS_PROFILE_CALL_TREE_H */
