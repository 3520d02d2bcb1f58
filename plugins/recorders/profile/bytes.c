/* plugins/recorders/profile/bytes.c - see bytes.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"

void bytes_free(struct bytes *b)
{
    free(b->data);
    *b = (struct bytes){0};
}

void bytes_clear(struct bytes *b)
{
    b->len = 0;
    b->failed = 0;
}

/* Room for `more` bytes; 0, or -1 (and `failed` set) when out of
   memory. */
static int make_room(struct bytes *b, size_t more)
{
    if (b->failed)
        return -1;
    if (b->len + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more)
        cap *= 2;
    unsigned char *grown = realloc(b->data, cap);
    if (grown == NULL) {
        b->failed = 1;
        return -1;
    }
    b->data = grown;
    b->cap = cap;
    return 0;
}

void bytes_put(struct bytes *b, const void *data, size_t len)
{
    if (len == 0 || make_room(b, len) < 0)
        return;
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

void bytes_put_byte(struct bytes *b, unsigned char byte)
{
    if (make_room(b, 1) == 0)
        b->data[b->len++] = byte;
}

void bytes_put_text(struct bytes *b, const char *text)
{
    bytes_put(b, text, strlen(text));
}

void bytes_put_uint(struct bytes *b, uint64_t value)
{
    char text[24];
    bytes_put(b, text,
              (size_t)snprintf(text, sizeof(text), "%llu",
                               (unsigned long long)value));
}

void bytes_put_int(struct bytes *b, int64_t value)
{
    char text[24];
    bytes_put(b, text,
              (size_t)snprintf(text, sizeof(text), "%lld", (long long)value));
}
