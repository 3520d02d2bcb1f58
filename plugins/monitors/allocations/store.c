/* plugins/monitors/allocations/store.c - see state.h. */
#include <stdlib.h>
#include <string.h>

#include "state.h"

void *store_grow(struct store *s, unsigned id, size_t size)
{
    void *data = s->host != NULL
                     ? s->host->state_resize(s->inst, id, size)
                     : realloc(s->data[id], size);
    if (data == NULL)
        return NULL;
    if (size > s->size[id])
        memset((char *)data + s->size[id], 0, size - s->size[id]);
    s->data[id] = data;
    s->size[id] = size;
    return data;
}

/* A new run: every buffer zeroed, kept at its size. */
void store_clear(struct store *s)
{
    for (unsigned id = 0; id < BUF_COUNT; id++)
        if (s->data[id] != NULL)
            memset(s->data[id], 0, s->size[id]);
}

void store_free(struct store *s)
{
    for (unsigned id = 0; id < BUF_COUNT; id++)
        if (s->host == NULL)
            free(s->data[id]);
    memset(s->data, 0, sizeof(s->data));
    memset(s->size, 0, sizeof(s->size));
}
