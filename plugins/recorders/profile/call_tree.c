/* plugins/recorders/profile/call_tree.c - see call_tree.h. */
#include <stdlib.h>
#include <string.h>

#include "call_tree.h"

struct call_tree *call_tree_new_in(const struct store *store)
{
    struct call_tree *tree = calloc(1, sizeof(struct call_tree));
    if (tree == NULL)
        return NULL;
    tree->store = *store;
    tree->saved = store_resize(store, STORE_TREE, NULL, sizeof(*tree->saved));
    if (tree->saved == NULL) {
        free(tree);
        return NULL;
    }
    memset(tree->saved, 0, sizeof(*tree->saved));
    return tree;
}

struct call_tree *call_tree_new(void)
{
    return call_tree_new_in(&(struct store){NULL, NULL});
}

void call_tree_free(struct call_tree *tree)
{
    if (tree == NULL)
        return;
    store_free(&tree->store, tree->saved);
    store_free(&tree->store, tree->strings);
    store_free(&tree->store, tree->functions);
    store_free(&tree->store, tree->nodes);
    store_free(&tree->store, tree->threads);
    free(tree->function_slots);
    free(tree->node_slots);
    free(tree);
}

/* ------------------------------------------------------------ hashing */

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

/* Eight bytes at a time: names and paths are hashed on every call. */
static uint64_t hash_bytes(uint64_t h, const char *text, size_t len)
{
    uint64_t word;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        memcpy(&word, text + i, 8);
        h = (h ^ word) * 0x9e3779b97f4a7c15ull;
    }
    word = len;
    memcpy(&word, text + i, len - i);
    return mix((h ^ word) * 0x9e3779b97f4a7c15ull);
}

static uint64_t function_hash(const struct timed_event *e)
{
    int c = e->kind == TIMED_C_CALL;
    uint64_t h = hash_bytes((uint64_t)c + 1, e->function.ptr, e->function.len);
    if (c)
        return h;
    h = hash_bytes(h, e->filename.ptr, e->filename.len);
    return mix(h ^ (uint64_t)e->first_lineno);
}

static uint64_t node_hash(uint32_t parent, uint32_t function)
{
    return mix(((uint64_t)parent << 32 | function) * 0x9e3779b97f4a7c15ull);
}

/* Doubles an open-addressing table of `index + 1` slots, rehashing each
   entry with `hash_of`.  Returns -1 when out of memory. */
static int grow_slots(uint32_t **slots, uint32_t *cap, const void *owner,
                      uint64_t (*hash_of)(const void *owner, uint32_t i))
{
    uint32_t new_cap = *cap ? 2 * *cap : 256;
    uint32_t *grown = calloc(new_cap, sizeof(*grown));
    if (grown == NULL)
        return -1;
    for (uint32_t s = 0; s < *cap; s++) {
        if ((*slots)[s] == 0)
            continue;
        uint32_t at = (uint32_t)hash_of(owner, (*slots)[s] - 1) & (new_cap - 1);
        while (grown[at] != 0)
            at = (at + 1) & (new_cap - 1);
        grown[at] = (*slots)[s];
    }
    free(*slots);
    *slots = grown;
    *cap = new_cap;
    return 0;
}

/* Grows the store's array `id` of `size`-byte items to hold one more; -1
   when out of memory (or past CALL_TREE_NONE items). */
static int reserve(struct call_tree *tree, unsigned id, void **items,
                   uint32_t *cap, uint32_t count, size_t size)
{
    if (count < *cap)
        return 0;
    if (count >= CALL_TREE_NONE / 2)
        return -1;
    uint32_t new_cap = *cap ? 2 * *cap : 64;
    void *grown = store_resize(&tree->store, id, *items, (size_t)new_cap * size);
    if (grown == NULL)
        return -1;
    *items = grown;
    *cap = new_cap;
    return 0;
}

/* ------------------------------------------------------------ functions */

static uint64_t function_hash_at(const void *owner, uint32_t i)
{
    return ((const struct call_tree *)owner)->functions[i].hash;
}

static uint64_t load8(const char *p)
{
    uint64_t word;
    memcpy(&word, p, 8);
    return word;
}

static uint32_t load4(const char *p)
{
    uint32_t word;
    memcpy(&word, p, 4);
    return word;
}

/* memcmp(a, b, n) == 0 inline, for the names and paths compared on
   every call (cheaper than calling memcmp at these lengths): whole words,
   the last one overlapping the one before; below eight bytes two
   overlapping halves; below four the first, middle and last bytes (which
   are all of them). */
static inline int same_bytes(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8)
            if (load8(a + i) != load8(b + i))
                return 0;
        return load8(a + n - 8) == load8(b + n - 8);
    }
    if (n >= 4)
        return load4(a) == load4(b) && load4(a + n - 4) == load4(b + n - 4);
    return n == 0 ||
           (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

/* Whether `f` is the function a call event names, by content. */
static inline int names_function(const struct tree_function *f,
                                 const struct timed_event *e)
{
    int c = e->kind == TIMED_C_CALL;
    if (f->c_function != c || f->name_len != e->function.len ||
        !same_bytes(f->name, e->function.ptr, f->name_len))
        return 0;
    return c || (f->first_lineno == e->first_lineno &&
                 f->filename_len == e->filename.len &&
                 same_bytes(f->filename, e->filename.ptr, f->filename_len));
}

/* The string pointers of every function, from their offsets: after the
   string buffer moved, or was restored. */
static void point_functions(struct call_tree *tree)
{
    for (uint32_t i = 0; i < tree->nfunctions; i++) {
        struct tree_function *f = &tree->functions[i];
        f->name = tree->strings + f->name_at;
        f->filename = tree->strings + f->filename_at;
    }
}

/* Room for `len` more bytes of strings; -1 when out of memory. */
static int reserve_strings(struct call_tree *tree, uint64_t len)
{
    if (tree->strings_used + len <= tree->strings_cap)
        return 0;
    uint64_t cap = tree->strings_cap ? tree->strings_cap : 4096;
    while (cap < tree->strings_used + len)
        cap *= 2;
    char *grown = store_resize(&tree->store, STORE_STRINGS, tree->strings,
                               (size_t)cap);
    if (grown == NULL)
        return -1;
    tree->strings = grown;
    tree->strings_cap = cap;
    point_functions(tree); /* it may have moved; growth is rare */
    return 0;
}

/* Appends `len` bytes and a NUL to the string buffer (room reserved);
   their offset. */
static uint64_t put_text(struct call_tree *tree, const char *text, size_t len)
{
    uint64_t at = tree->strings_used;
    memcpy(tree->strings + at, text, len);
    tree->strings[at + len] = '\0';
    tree->strings_used += len + 1;
    return at;
}

/* Appends the function a call event names; CALL_TREE_NONE when out of
   memory.  The function is written before it is counted. */
static uint32_t add_function(struct call_tree *tree, uint64_t hash,
                             const struct timed_event *e)
{
    int c = e->kind == TIMED_C_CALL;
    size_t filename_len = c ? 0 : e->filename.len;
    if (reserve(tree, STORE_FUNCTIONS, (void **)&tree->functions,
                &tree->functions_cap, tree->nfunctions,
                sizeof(struct tree_function)) < 0 ||
        reserve_strings(tree, e->function.len + filename_len + 2) < 0)
        return CALL_TREE_NONE;
    struct tree_function *f = &tree->functions[tree->nfunctions];
    f->c_function = c;
    f->name_len = e->function.len;
    f->name_at = put_text(tree, e->function.ptr, f->name_len);
    f->filename_len = filename_len;
    f->filename_at = put_text(tree, e->filename.ptr, filename_len);
    f->name = tree->strings + f->name_at;
    f->filename = tree->strings + f->filename_at;
    f->first_lineno = c ? 0 : e->first_lineno;
    f->hash = hash;
    tree->saved->strings_used = tree->strings_used;
    tree->saved->nfunctions = ++tree->nfunctions;
    return tree->nfunctions - 1;
}

/* The function a call event names, found by the hash of its content or
   added; CALL_TREE_NONE when out of memory. */
static uint32_t intern_function(struct call_tree *tree,
                                const struct timed_event *e)
{
    if (2 * (tree->nfunctions + 1) > tree->function_slots_cap &&
        grow_slots(&tree->function_slots, &tree->function_slots_cap, tree,
                   function_hash_at) < 0)
        return CALL_TREE_NONE;
    uint64_t hash = function_hash(e);
    uint32_t mask = tree->function_slots_cap - 1;
    uint32_t at = (uint32_t)hash & mask;
    for (; tree->function_slots[at] != 0; at = (at + 1) & mask) {
        uint32_t i = tree->function_slots[at] - 1;
        if (tree->functions[i].hash == hash &&
            names_function(&tree->functions[i], e))
            return i;
    }
    uint32_t i = add_function(tree, hash, e);
    if (i != CALL_TREE_NONE)
        tree->function_slots[at] = i + 1;
    return i;
}

/* The slot of tree->recent for where a call's strings are. */
static uint32_t *recent_slot(struct call_tree *tree,
                             const struct timed_event *e)
{
    uint64_t h = ((uint64_t)(uintptr_t)e->function.ptr ^
                  (uint64_t)(uintptr_t)e->filename.ptr * 31) *
                 0x9e3779b97f4a7c15ull;
    return &tree->recent[h >> (64 - CALL_TREE_RECENT_BITS)];
}

/* The function a call event names, interned; CALL_TREE_NONE when out of
   memory.  The strings' addresses only guess: a buffer freed with its
   code object may hold another function's name later, so the guess is
   confirmed by content (cheaper than hashing it). */
static uint32_t function_of(struct call_tree *tree, const struct timed_event *e)
{
    uint32_t *recent = recent_slot(tree, e);
    if (*recent != 0 && names_function(&tree->functions[*recent - 1], e))
        return *recent - 1;
    uint32_t i = intern_function(tree, e);
    if (i != CALL_TREE_NONE)
        *recent = i + 1;
    return i;
}

/* ------------------------------------------------------------ nodes */

static uint64_t node_hash_at(const void *owner, uint32_t i)
{
    const struct tree_node *n = &((const struct call_tree *)owner)->nodes[i];
    return node_hash(n->parent, n->function);
}

/* A new node, linked as its parent's last child; CALL_TREE_NONE when out
   of memory. */
static uint32_t add_node(struct call_tree *tree, uint32_t parent,
                         uint32_t function)
{
    if (reserve(tree, STORE_NODES, (void **)&tree->nodes, &tree->nodes_cap,
                tree->nnodes, sizeof(struct tree_node)) < 0)
        return CALL_TREE_NONE;
    uint32_t i = tree->nnodes;
    tree->nodes[i] = (struct tree_node){.function = function,
                                        .parent = parent,
                                        .first_child = CALL_TREE_NONE,
                                        .last_child = CALL_TREE_NONE,
                                        .next_sibling = CALL_TREE_NONE,
                                        .last_found = CALL_TREE_NONE};
    tree->saved->nnodes = ++tree->nnodes; /* written, then counted */
    if (parent == CALL_TREE_NONE)
        return i;
    struct tree_node *p = &tree->nodes[parent];
    if (p->last_child == CALL_TREE_NONE)
        p->first_child = i;
    else
        tree->nodes[p->last_child].next_sibling = i;
    p->last_child = i;
    return i;
}

/* The child of `parent` for `function` in the node table, made the first
   time; CALL_TREE_NONE when out of memory. */
static uint32_t find_child(struct call_tree *tree, uint32_t parent,
                           uint32_t function)
{
    if (2 * (tree->nnodes + 1) > tree->node_slots_cap &&
        grow_slots(&tree->node_slots, &tree->node_slots_cap, tree,
                   node_hash_at) < 0)
        return CALL_TREE_NONE;
    uint32_t mask = tree->node_slots_cap - 1;
    uint32_t at = (uint32_t)node_hash(parent, function) & mask;
    for (; tree->node_slots[at] != 0; at = (at + 1) & mask) {
        const struct tree_node *n = &tree->nodes[tree->node_slots[at] - 1];
        if (n->parent == parent && n->function == function)
            return tree->node_slots[at] - 1;
    }
    uint32_t i = add_node(tree, parent, function);
    if (i != CALL_TREE_NONE)
        tree->node_slots[at] = i + 1;
    return i;
}

/* The child of `parent` for a call event's function, through the
   caches and tables; made the first time; CALL_TREE_NONE when out of
   memory.  Kept out of call_tree_child, whose common case needs few
   registers. */
static __attribute__((noinline)) uint32_t
look_up_child(struct call_tree *tree, uint32_t parent,
              const struct timed_event *call)
{
    uint32_t function = function_of(tree, call);
    if (function == CALL_TREE_NONE)
        return CALL_TREE_NONE;
    uint32_t child = find_child(tree, parent, function);
    if (child != CALL_TREE_NONE)
        tree->nodes[parent].last_found = child;
    return child;
}

/* Whether `node` is for the function a call event names. */
static inline int is_for(const struct call_tree *tree, uint32_t node,
                         const struct timed_event *call)
{
    return names_function(&tree->functions[tree->nodes[node].function], call);
}

/* A parent mostly calls what it called last (recursion, a loop calling
   one function), or else the child after it (a loop's body calling its
   functions in turn): those two are compared with the call before the
   tables are looked up. */
uint32_t call_tree_child(struct call_tree *tree, uint32_t parent,
                         const struct timed_event *call)
{
    struct tree_node *p = &tree->nodes[parent];
    uint32_t last = p->last_found;
    if (last == CALL_TREE_NONE)
        return look_up_child(tree, parent, call);
    if (is_for(tree, last, call))
        return last;
    uint32_t next = tree->nodes[last].next_sibling;
    if (next == CALL_TREE_NONE)
        next = p->first_child; /* around to the first */
    if (next != last && is_for(tree, next, call))
        return p->last_found = next;
    return look_up_child(tree, parent, call);
}

uint32_t call_tree_thread_root(struct call_tree *tree, uint64_t thread)
{
    for (uint32_t i = 0; i < tree->nthreads; i++)
        if (tree->threads[i].thread == thread)
            return tree->threads[i].root;
    if (reserve(tree, STORE_THREADS, (void **)&tree->threads,
                &tree->threads_cap, tree->nthreads,
                sizeof(struct tree_thread)) < 0)
        return CALL_TREE_NONE;
    uint32_t root = add_node(tree, CALL_TREE_NONE, CALL_TREE_NONE);
    if (root != CALL_TREE_NONE) {
        tree->threads[tree->nthreads] = (struct tree_thread){thread, root};
        tree->saved->nthreads = ++tree->nthreads;
    }
    return root;
}

uint64_t call_tree_exclusive_ns(const struct call_tree *tree, uint32_t node)
{
    const struct tree_node *n = &tree->nodes[node];
    /* Children end within their parent's call, so this is never negative
       for a stream in time order; clamp for one that is not. */
    return n->inclusive_ns > n->children_ns ? n->inclusive_ns - n->children_ns
                                            : 0;
}

uint64_t call_tree_thread_ns(const struct call_tree *tree, uint32_t root)
{
    return tree->nodes[root].children_ns;
}

/* ------------------------------------------------------------ walking */

/* Appends `node` to the path, growing it; -1 when out of memory. */
static int path_push(uint32_t **path, size_t *cap, size_t depth, uint32_t node)
{
    if (depth == *cap) {
        size_t new_cap = *cap ? 2 * *cap : 64;
        uint32_t *grown = realloc(*path, new_cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        *path = grown;
        *cap = new_cap;
    }
    (*path)[depth] = node;
    return 0;
}

int call_tree_walk(const struct call_tree *tree, uint32_t root,
                   void (*visit)(const uint32_t *, size_t, void *),
                   void (*leave)(const uint32_t *, size_t, void *), void *arg)
{
    uint32_t *path = NULL;
    size_t cap = 0, depth = 0;
    uint32_t next = tree->nodes[root].first_child;

    while (next != CALL_TREE_NONE) {
        if (path_push(&path, &cap, depth, next) < 0) {
            free(path);
            return -1;
        }
        visit(path, ++depth, arg);
        next = tree->nodes[next].first_child;
        /* No child: leave nodes until one has a next sibling. */
        while (next == CALL_TREE_NONE && depth > 0) {
            if (leave != NULL)
                leave(path, depth, arg);
            next = tree->nodes[path[--depth]].next_sibling;
        }
    }
    free(path);
    return 0;
}

/* ------------------------------------------------------------ salvage */

static uint32_t count_in(uint64_t count, size_t size, size_t item)
{
    uint64_t fits = size / item;
    return (uint32_t)(count < fits ? count : fits);
}

/* A link that leads nowhere, or backwards (a torn write could make a
   cycle), becomes none: children and later siblings come after. */
static uint32_t link_check(uint32_t link, uint32_t after, uint32_t nnodes)
{
    return link != CALL_TREE_NONE && link > after && link < nnodes
               ? link
               : CALL_TREE_NONE;
}

static int nodes_check(struct call_tree *tree)
{
    for (uint32_t i = 0; i < tree->nnodes; i++) {
        struct tree_node *n = &tree->nodes[i];
        int root = n->function == CALL_TREE_NONE;
        if (root != (n->parent == CALL_TREE_NONE) ||
            (!root && (n->function >= tree->nfunctions || n->parent >= i)))
            return -1;
        n->first_child = link_check(n->first_child, i, tree->nnodes);
        n->last_child = link_check(n->last_child, i, tree->nnodes);
        n->next_sibling = link_check(n->next_sibling, i, tree->nnodes);
        n->last_found = CALL_TREE_NONE;
    }
    return 0;
}

/* Functions are appended whole before they are counted; one whose
   strings fall outside the buffer ends the list. */
static void functions_check(struct call_tree *tree)
{
    for (uint32_t i = 0; i < tree->nfunctions; i++) {
        const struct tree_function *f = &tree->functions[i];
        if (f->name_at + f->name_len >= tree->strings_used ||
            f->filename_at + f->filename_len >= tree->strings_used) {
            tree->nfunctions = i;
            break;
        }
    }
    point_functions(tree);
}

static int threads_check(struct call_tree *tree)
{
    for (uint32_t i = 0; i < tree->nthreads; i++) {
        uint32_t root = tree->threads[i].root;
        if (root >= tree->nnodes || tree->nodes[root].parent != CALL_TREE_NONE)
            return -1;
    }
    return 0;
}

int call_tree_restore(struct call_tree *tree)
{
    size_t saved_size, fsize = 0, ssize = 0, nsize = 0, tsize = 0;
    struct tree_saved *saved =
        store_restore(&tree->store, STORE_TREE, &saved_size);
    if (saved == NULL || saved_size < sizeof(*saved))
        return -1;
    tree->saved = saved;
    tree->functions = store_restore(&tree->store, STORE_FUNCTIONS, &fsize);
    tree->strings = store_restore(&tree->store, STORE_STRINGS, &ssize);
    tree->nodes = store_restore(&tree->store, STORE_NODES, &nsize);
    tree->threads = store_restore(&tree->store, STORE_THREADS, &tsize);
    tree->functions_cap = count_in(UINT32_MAX, fsize, sizeof(*tree->functions));
    tree->nfunctions = count_in(saved->nfunctions, fsize,
                                sizeof(*tree->functions));
    tree->strings_cap = ssize;
    tree->strings_used = saved->strings_used < ssize ? saved->strings_used
                                                     : ssize;
    tree->nodes_cap = count_in(UINT32_MAX, nsize, sizeof(*tree->nodes));
    tree->nnodes = count_in(saved->nnodes, nsize, sizeof(*tree->nodes));
    tree->threads_cap = count_in(UINT32_MAX, tsize, sizeof(*tree->threads));
    tree->nthreads = count_in(saved->nthreads, tsize, sizeof(*tree->threads));
    functions_check(tree);
    return nodes_check(tree) == 0 && threads_check(tree) == 0 ? 0 : -1;
}
