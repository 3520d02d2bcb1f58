/*
 * core/stack_tree.c - the Python stacks of allocations, as numbered nodes.
 *
 * A node is one frame - a code object and a line - below its parent node,
 * the frame that called it; node 0 is the root (no frame).  The same chain
 * of frames always gets the same node, so a number stands for a whole stack
 * and a monitor aggregates by it.  Nodes are made inside the program's
 * allocator (alloc_hook.c), where no Python code may run: they keep a
 * strong reference to their code object (so that its address cannot name
 * another code later) and nothing else; names are read when a monitor asks
 * for a frame (pikos_stack_frame), outside the allocator.
 *
 * Callers hold the allocation lock (alloc_hook.c); the GIL, unless they
 * say otherwise.
 */
#include "allocations.h"
#include "code_cache.h"

#include <stdlib.h>
#include <string.h>

struct stack_node {
    PyCodeObject *code; /* a strong reference, unless `copy`; NULL: root */
    struct pikos_code_copy *copy; /* made without the GIL, or NULL */
    int32_t line;
    uint32_t parent;
};

static struct {
    struct stack_node *nodes;
    uint32_t count;
    uint32_t capacity;
    uint32_t *slots; /* open addressing: node numbers, 0 empty */
    uint32_t nslots; /* a power of two, at least twice count */
    uint32_t generation; /* changes when the tree is emptied */
} tree;

static uint32_t slot_hash(uint32_t parent, const PyCodeObject *code,
                          int32_t line)
{
    uint64_t key = (uint64_t)(uintptr_t)code ^ ((uint64_t)parent << 32) ^
                   (uint64_t)(uint32_t)line * 0x9E3779B97F4A7C15ull;
    key *= 0xff51afd7ed558ccdull;
    return (uint32_t)(key >> 32);
}

static int node_is(const struct stack_node *n, uint32_t parent,
                   const PyCodeObject *code, int32_t line)
{
    return n->parent == parent && n->code == code && n->line == line;
}

/* Whether a node found for `code` is that code's: a copied node's
   address may name another code object since. */
static int node_still(const struct stack_node *n, PyCodeObject *code)
{
    return n->copy == NULL || pikos_code_copy_is(n->copy, code);
}

/* The slot of (parent, code, line): its node's, or the empty one where it
   goes. */
static uint32_t *slot_find(uint32_t parent, const PyCodeObject *code,
                           int32_t line)
{
    uint32_t mask = tree.nslots - 1;
    uint32_t i = slot_hash(parent, code, line) & mask;

    while (tree.slots[i] != 0 &&
           !node_is(&tree.nodes[tree.slots[i]], parent, code, line))
        i = (i + 1) & mask;
    return &tree.slots[i];
}

/* Doubles the slots and places every node again. */
static int slots_grow(void)
{
    uint32_t nslots = tree.nslots ? tree.nslots * 2 : 1024;
    uint32_t *slots = calloc(nslots, sizeof(*slots));

    if (slots == NULL)
        return -1;
    free(tree.slots);
    tree.slots = slots;
    tree.nslots = nslots;
    for (uint32_t n = 1; n < tree.count; n++) {
        const struct stack_node *node = &tree.nodes[n];
        *slot_find(node->parent, node->code, node->line) = n;
    }
    return 0;
}

static int nodes_grow(void)
{
    uint32_t capacity = tree.capacity ? tree.capacity * 2 : 512;
    struct stack_node *nodes = realloc(tree.nodes, capacity * sizeof(*nodes));

    if (nodes == NULL)
        return -1;
    tree.nodes = nodes;
    tree.capacity = capacity;
    if (tree.count == 0)
        tree.nodes[tree.count++] = (struct stack_node){NULL, NULL, 0, 0};
    return 0;
}

uint32_t pikos_stack_child(uint32_t parent, PyCodeObject *code, int line,
                           int with_gil)
{
    if ((tree.count + 1) * 2 > tree.nslots && slots_grow() < 0)
        return parent; /* out of memory: the stack ends here */
    uint32_t *slot = slot_find(parent, code, line);
    if (*slot != 0 && node_still(&tree.nodes[*slot], code))
        return *slot;
    /* New, or a copied node of a code object gone since: a new node takes
       the slot (the old one keeps its counts). */
    if ((tree.count == tree.capacity && nodes_grow() < 0) ||
        tree.count == UINT32_MAX)
        return parent;
    struct stack_node node = {code, NULL, line, parent};
    if (!with_gil && (node.copy = pikos_code_copy_of(code)) == NULL)
        return parent;
    if (with_gil)
        Py_INCREF(code);
    tree.nodes[tree.count] = node;
    *slot = tree.count;
    return tree.count++;
}

uint32_t pikos_stack_generation(void)
{
    return tree.generation;
}

void pikos_stack_tree_clear(void)
{
    for (uint32_t n = 1; n < tree.count; n++)
        if (tree.nodes[n].copy == NULL)
            Py_DECREF(tree.nodes[n].code);
    pikos_code_copies_clear();
    free(tree.nodes);
    free(tree.slots);
    uint32_t generation = tree.generation + 1;
    memset(&tree, 0, sizeof(tree));
    tree.generation = generation;
}

int pikos_stack_frame(uint32_t stack, const struct pikos_code **code,
                      int *lineno, uint32_t *parent)
{
    if (stack == 0 || stack >= tree.count)
        return PIKOS_ENOTFOUND;
    const struct stack_node *node = &tree.nodes[stack];
    if (node->copy != NULL) {
        *code = pikos_code_copy_code(node->copy);
    } else {
        struct pikos_code_entry *entry = pikos_code_entry_lookup(node->code);
        if (entry == NULL)
            return PIKOS_ENOMEM;
        *code = &entry->code;
    }
    *lineno = node->line;
    *parent = node->parent;
    return PIKOS_OK;
}
