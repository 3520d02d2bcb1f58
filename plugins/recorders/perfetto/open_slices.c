/* plugins/recorders/perfetto/open_slices.c - see open_slices.h. */
#include <stdlib.h>

#include "open_slices.h"

void open_slices_free(struct open_slices *s)
{
    free(s->c_function);
    s->c_function = NULL;
    s->depth = s->cap = s->python_depth = 0;
}

int open_slices_grow(struct open_slices *s)
{
    uint32_t cap = s->cap ? 2 * s->cap : 64;
    unsigned char *grown = realloc(s->c_function, cap);
    if (grown == NULL)
        return -1;
    s->c_function = grown;
    s->cap = cap;
    return 0;
}

uint32_t open_slices_close_all(struct open_slices *s)
{
    uint32_t ended = s->depth;
    s->depth = s->python_depth = 0;
    return ended;
}
