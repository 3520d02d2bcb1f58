/*
 * recorders/zmq: the cache of jansson-encoded strings (see strcache.h).
 */
#include <stdlib.h>
#include <string.h>

#include "strcache.h"
#include "utf8.h"

#define STRCACHE_SLOTS 4096 /* a power of two */
#define STRCACHE_MAX_USED (STRCACHE_SLOTS * 3 / 4)
#define STRCACHE_POOL (512 * 1024)
#define STRCACHE_LONGEST 256 /* longer strings are not kept */
/* JSON text of n bytes: at most 6 per byte (\u001f) and the quotes. */
#define JSON_STRING_MAX(n) (6 * (n) + 2)

struct strcache_entry {
    uint64_t hash; /* 0: free */
    uint32_t text_offset;
    uint32_t text_len;
    uint32_t json_offset;
    uint32_t json_len;
};

int strcache_init(struct strcache *cache)
{
    memset(cache, 0, sizeof(*cache));
    cache->slots = calloc(STRCACHE_SLOTS, sizeof(*cache->slots));
    cache->pool = malloc(STRCACHE_POOL);
    cache->string = json_stringn_nocheck("", 0);
    if (cache->slots && cache->pool && cache->string)
        return 0;
    strcache_free(cache);
    return -1;
}

void strcache_free(struct strcache *cache)
{
    free(cache->slots);
    free(cache->pool);
    json_decref(cache->string);
    free(cache->repaired);
    free(cache->encoded);
    memset(cache, 0, sizeof(*cache));
}

/* A 64-bit hash of the bytes, 8 at a time; never 0 (the free mark). */
static uint64_t hash_bytes(const char *text, size_t len)
{
    uint64_t hash = 0x9E3779B97F4A7C15ull ^ len, word;
    size_t i = 0;

    for (; i + 8 <= len; i += 8) {
        memcpy(&word, text + i, 8);
        hash = (hash ^ word) * 0xFF51AFD7ED558CCDull;
        hash ^= hash >> 29;
    }
    word = 0;
    memcpy(&word, text + i, len - i);
    hash = (hash ^ word) * 0xC4CEB9FE1A85EC53ull;
    hash ^= hash >> 32;
    return hash | 1;
}

/* Grows a buffer to at least `need` bytes; 0, or -1 when out of memory. */
static int reserve(char **buffer, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    char *bigger = realloc(*buffer, need);
    if (bigger == NULL)
        return -1;
    *buffer = bigger;
    *cap = need;
    return 0;
}

/* jansson's text of the string into cache->encoded; its length, or 0 when
   out of memory. */
static size_t encode(struct strcache *cache, const char *text, size_t len)
{
    if (!utf8_is_valid(text, len)) {
        if (reserve(&cache->repaired, &cache->repaired_cap,
                    UTF8_REPAIRED_MAX(len)) < 0)
            return 0;
        len = utf8_repair(text, len, cache->repaired);
        text = cache->repaired;
    }
    if (reserve(&cache->encoded, &cache->encoded_cap, JSON_STRING_MAX(len)) <
            0 ||
        json_string_setn_nocheck(cache->string, text, len) < 0)
        return 0;
    size_t json_len = json_dumpb(cache->string, cache->encoded,
                                 cache->encoded_cap, JSON_ENCODE_ANY);
    return json_len <= cache->encoded_cap ? json_len : 0;
}

static struct strcache_entry *find_slot(struct strcache *cache, uint64_t hash,
                                        const char *text, size_t len)
{
    size_t i = hash & (STRCACHE_SLOTS - 1);

    for (;; i = (i + 1) & (STRCACHE_SLOTS - 1)) {
        struct strcache_entry *e = &cache->slots[i];
        if (e->hash == 0 ||
            (e->hash == hash && e->text_len == len &&
             memcmp(cache->pool + e->text_offset, text, len) == 0))
            return e;
    }
}

/* Starts again empty when one more string might not fit. */
static void make_room(struct strcache *cache, size_t len)
{
    if (cache->used < STRCACHE_MAX_USED &&
        cache->pool_used + len + JSON_STRING_MAX(len) <= STRCACHE_POOL)
        return;
    memset(cache->slots, 0, STRCACHE_SLOTS * sizeof(*cache->slots));
    cache->used = 0;
    cache->pool_used = 0;
}

/* Encodes the string and keeps it in a free slot. */
static struct strcache_entry *add(struct strcache *cache, uint64_t hash,
                                  const char *text, size_t len)
{
    size_t json_len = encode(cache, text, len);
    if (json_len == 0)
        return NULL;
    make_room(cache, len);
    struct strcache_entry *e = find_slot(cache, hash, text, len);
    e->hash = hash;
    e->text_offset = (uint32_t)cache->pool_used;
    e->text_len = (uint32_t)len;
    memcpy(cache->pool + cache->pool_used, text, len);
    cache->pool_used += len;
    e->json_offset = (uint32_t)cache->pool_used;
    e->json_len = (uint32_t)json_len;
    memcpy(cache->pool + cache->pool_used, cache->encoded, json_len);
    cache->pool_used += json_len;
    cache->used++;
    return e;
}

int strcache_json(struct strcache *cache, const char *text, size_t len,
                  const char **json, size_t *json_len)
{
    if (len > STRCACHE_LONGEST) {
        *json_len = encode(cache, text, len);
        *json = cache->encoded;
        return *json_len > 0 ? 0 : -1;
    }
    uint64_t hash = hash_bytes(text, len);
    struct strcache_entry *e = find_slot(cache, hash, text, len);
    if (e->hash == 0 && (e = add(cache, hash, text, len)) == NULL)
        return -1;
    *json = cache->pool + e->json_offset;
    *json_len = e->json_len;
    return 0;
}
