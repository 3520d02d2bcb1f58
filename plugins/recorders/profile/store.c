/* plugins/recorders/profile/store.c - see store.h. */
#include <stdlib.h>
#include <string.h>

#include "store.h"

struct store store_of(struct pikos_instance *inst,
                      const struct pikos_host *host)
{
    int durable = PIKOS_HOST_HAS(host, state_get);
    return (struct store){inst, durable ? host : NULL};
}

void *store_resize(const struct store *s, unsigned id, void *old, size_t size)
{
    if (s->host == NULL)
        return realloc(old, size);
    return s->host->state_resize(s->inst, id, size);
}

void store_free(const struct store *s, void *data)
{
    if (s->host == NULL)
        free(data);
}

void *store_restore(const struct store *s, unsigned id, size_t *size)
{
    const void *left = s->host != NULL
                           ? s->host->state_get(s->inst, id, size)
                           : NULL;
    if (left == NULL)
        return NULL;
    void *own = s->host->state_resize(s->inst, id, *size);
    if (own != NULL)
        memcpy(own, left, *size);
    return own;
}
