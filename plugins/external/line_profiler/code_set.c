/*
 * plugins/external/line_profiler/code_set.c - the set of code objects
 * already looked at (code_set.h): linear probing, at most half full.
 */
#include "code_set.h"

#include <pikos/plugin.h>

#include <stdlib.h>

#define CODE_SET_MIN_CAPACITY 64

/* The first slot to probe: objects are 16-byte aligned, so the low bits
   say nothing; Fibonacci hashing spreads the rest. */
static size_t first_slot(uintptr_t id, size_t capacity)
{
    uint64_t h = (uint64_t)(id >> 4) * UINT64_C(0x9E3779B97F4A7C15);

    return (size_t)(h >> 32) & (capacity - 1);
}

int code_set_contains(const struct code_set *set, uintptr_t id)
{
    if (set->capacity == 0)
        return 0;
    for (size_t i = first_slot(id, set->capacity);;
         i = (i + 1) & (set->capacity - 1)) {
        if (set->slots[i] == NULL)
            return 0;
        if ((uintptr_t)set->slots[i] == id)
            return 1;
    }
}

static void put(PyObject **slots, size_t capacity, PyObject *code)
{
    size_t i = first_slot((uintptr_t)code, capacity);

    while (slots[i] != NULL)
        i = (i + 1) & (capacity - 1);
    slots[i] = code;
}

/* Doubles the table (or makes the first one). */
static int grow(struct code_set *set)
{
    size_t capacity = set->capacity ? set->capacity * 2 : CODE_SET_MIN_CAPACITY;
    PyObject **slots = calloc(capacity, sizeof(*slots));

    if (slots == NULL)
        return PIKOS_ENOMEM;
    for (size_t i = 0; i < set->capacity; i++)
        if (set->slots[i] != NULL)
            put(slots, capacity, set->slots[i]);
    free(set->slots);
    set->slots = slots;
    set->capacity = capacity;
    return PIKOS_OK;
}

int code_set_add(struct code_set *set, PyObject *code)
{
    if (2 * (set->count + 1) > set->capacity && grow(set) < 0)
        return PIKOS_ENOMEM;
    Py_INCREF(code);
    put(set->slots, set->capacity, code);
    set->count++;
    return PIKOS_OK;
}

void code_set_clear(struct code_set *set)
{
    for (size_t i = 0; i < set->capacity; i++)
        Py_XDECREF(set->slots[i]);
    free(set->slots);
    set->slots = NULL;
    set->capacity = 0;
    set->count = 0;
}
