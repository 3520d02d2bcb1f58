/*
 * core/registry_find.c - a name to a plugin, and "did you mean" when none.
 *
 * A plugin is asked for as KIND/NAME (the kind singular or plural, or
 * "external") or as a bare NAME when only one kind has it.  A name that
 * matches no plugin is answered with the nearest names, or, when a
 * manifest that did not read says that name, with that manifest's error:
 * the user meant it, and must learn why it cannot be had.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ------------------------------------------------------------ nearness */

/*
 * Levenshtein distance, for "did you mean", computed one row at a time.
 * Long names are not compared: they get the largest distance possible.
 */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];

    if (la >= 64 || lb >= 64)
        return la > lb ? la : lb;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diagonal = row[0]; /* the previous row's row[j - 1] */
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t above = row[j];
            size_t best = diagonal + (a[i - 1] != b[j - 1]);
            if (above + 1 < best)
                best = above + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[lb];
}

/* How far `wanted` is from a plugin name; a shared prefix counts as near. */
static size_t name_distance(const char *wanted, const char *name)
{
    size_t lw = strlen(wanted), ln = strlen(name);
    size_t shorter = lw < ln ? lw : ln;

    if (shorter >= 3 && strncmp(wanted, name, shorter) == 0)
        return 1;
    return edit_distance(wanted, name);
}

/* A plugin near the wanted name: how near, by the prefix-aware distance
   first and the plain edit distance second. */
struct near_name {
    const char *full_name;
    size_t distance, edits;
};

static int nearer(const struct near_name *a, const struct near_name *b)
{
    if (a->distance != b->distance)
        return a->distance < b->distance;
    if (a->edits != b->edits)
        return a->edits < b->edits;
    return strcmp(a->full_name, b->full_name) < 0;
}

/* Keeps the `max` nearest in order (an insertion into a short array). */
static void keep_nearest(struct near_name *kept, size_t *count, size_t max,
                         struct near_name candidate)
{
    size_t at = *count;

    while (at > 0 && nearer(&candidate, &kept[at - 1]))
        at--;
    if (at >= max)
        return;
    if (*count < max)
        (*count)++;
    memmove(&kept[at + 1], &kept[at], (*count - 1 - at) * sizeof(*kept));
    kept[at] = candidate;
}

/* ------------------------------------------------------------ suggestions */

#define SUGGESTIONS_MAX 3

/* "a", "a or b", "a, b or c" into buf. */
static void join_names(const struct near_name *kept, size_t count, char *buf,
                       size_t cap)
{
    size_t used = 0;

    for (size_t i = 0; i < count && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s",
                                 i == 0             ? ""
                                 : i == count - 1 ? " or "
                                                    : ", ",
                                 kept[i].full_name);
}

/*
 * The plugins most like `name` (of kind `prefix`, if given), nearest
 * first, as "a, b or c" into buf; 0 when none is near: at most 3 edits
 * away, and at most half of the name's letters changed ("zmq" is not a
 * misspelt "csv").  Ties are broken by the plain edit distance, then by
 * name, so the answer never depends on the order of a directory listing.
 * Manifests that did not read name no plugin, and are never offered.
 */
static size_t suggestions(const struct pikos_registry *reg, const char *prefix,
                          const char *name, char *buf, size_t cap)
{
    struct near_name kept[SUGGESTIONS_MAX];
    size_t count = 0, len = strlen(name);

    for (size_t i = 0; i < reg->nentries; i++) {
        const struct pikos_plugin_info *info = &reg->entries[i]->info;
        struct near_name c;
        if (reg->entries[i]->bad_manifest)
            continue;
        c = (struct near_name){info->full_name, name_distance(name, info->name),
                               edit_distance(name, info->name)};
        if (prefix != NULL &&
            strncmp(info->full_name, prefix, strlen(prefix)) != 0)
            c.distance++; /* another kind: a little further away */
        if (c.distance < 4 && 2 * c.distance <= len)
            keep_nearest(kept, &count, SUGGESTIONS_MAX, c);
    }
    join_names(kept, count, buf, cap);
    return count;
}

static void unknown_plugin(const struct pikos_registry *reg,
                           const char *wanted, const char *prefix,
                           const char *name, struct pikos_error *err)
{
    char near[512];

    if (suggestions(reg, prefix, name, near, sizeof(near)) > 0)
        pikos_error_set(err, PIKOS_ENOTFOUND,
                        "unknown plugin '%s' (did you mean %s?); `pikos "
                        "plugins` lists them",
                        wanted, near);
    else
        pikos_error_set(err, PIKOS_ENOTFOUND,
                        "unknown plugin '%s'; `pikos plugins` lists them",
                        wanted);
}

/* ------------------------------------------------------------ finding */

/* The prefix of full names for a kind word ("recorder" -> "recorders"). */
static const char *kind_prefix(const char *word, size_t len)
{
    char buf[16];

    if (len >= sizeof(buf))
        return NULL;
    memcpy(buf, word, len);
    buf[len] = '\0';
    if (strcmp(buf, "external") == 0)
        return "external";
    return pikos_kind_plural(pikos_kind_from_string(buf));
}

/* Whether a manifest that did not read may have meant a plugin of kind
   `prefix` (NULL: any kind); it says "external" as a monitor does. */
static int kind_fits(const struct pikos_plugin_info *info, const char *prefix)
{
    const char *plural = pikos_kind_plural(info->kind);

    if (prefix == NULL || plural == NULL || strcmp(plural, prefix) == 0)
        return 1;
    return strcmp(prefix, "external") == 0 && info->kind == PIKOS_KIND_MONITOR;
}

/* A manifest that did not read but says (or is named after) `name`. */
static struct pikos_registry_entry *
find_bad_manifest(const struct pikos_registry *reg, const char *prefix,
                  const char *name)
{
    for (size_t i = 0; i < reg->nentries; i++) {
        struct pikos_registry_entry *entry = reg->entries[i];
        if (entry->bad_manifest && strcmp(entry->info.name, name) == 0 &&
            kind_fits(&entry->info, prefix))
            return entry;
    }
    return NULL;
}

/* The plugin `name` of kind `prefix`, or a bad manifest meaning it. */
static struct pikos_registry_entry *
find_in_kind(const struct pikos_registry *reg, const char *prefix,
             const char *name)
{
    size_t len = strlen(prefix);

    for (size_t i = 0; i < reg->nentries; i++) {
        const char *full = reg->entries[i]->info.full_name;
        if (!reg->entries[i]->bad_manifest && strncmp(full, prefix, len) == 0 &&
            full[len] == '/' && strcmp(full + len + 1, name) == 0)
            return reg->entries[i];
    }
    return find_bad_manifest(reg, prefix, name);
}

static struct pikos_registry_entry *
find_qualified(const struct pikos_registry *reg, const char *wanted,
               const char *slash, struct pikos_error *err)
{
    const char *prefix = kind_prefix(wanted, (size_t)(slash - wanted));
    struct pikos_registry_entry *entry;

    if (prefix == NULL) {
        pikos_error_set(err, PIKOS_ENOTFOUND,
                        "unknown plugin kind '%.*s' in '%s': expected "
                        "monitors, filters, recorders or external",
                        (int)(slash - wanted), wanted, wanted);
        return NULL;
    }
    entry = find_in_kind(reg, prefix, slash + 1);
    if (entry == NULL)
        unknown_plugin(reg, wanted, prefix, slash + 1, err);
    return entry;
}

static void ambiguous_name(const struct pikos_registry *reg, const char *name,
                           struct pikos_error *err)
{
    char candidates[512] = "";
    size_t used = 0;

    for (size_t i = 0; i < reg->nentries && used < sizeof(candidates); i++) {
        const struct pikos_registry_entry *entry = reg->entries[i];
        if (!entry->bad_manifest && strcmp(entry->info.name, name) == 0)
            used += snprintf(candidates + used, sizeof(candidates) - used,
                             "%s%s", used > 0 ? ", " : "",
                             entry->info.full_name);
    }
    pikos_error_set(err, PIKOS_EINVAL,
                    "plugin name '%s' is ambiguous: %s; give KIND/NAME", name,
                    candidates);
}

static struct pikos_registry_entry *find_bare(const struct pikos_registry *reg,
                                              const char *name,
                                              struct pikos_error *err)
{
    struct pikos_registry_entry *found = NULL;

    for (size_t i = 0; i < reg->nentries; i++) {
        struct pikos_registry_entry *entry = reg->entries[i];
        if (entry->bad_manifest || strcmp(entry->info.name, name) != 0)
            continue;
        if (found != NULL) {
            ambiguous_name(reg, name, err);
            return NULL;
        }
        found = entry;
    }
    if (found == NULL)
        found = find_bad_manifest(reg, NULL, name);
    if (found == NULL)
        unknown_plugin(reg, name, NULL, name, err);
    return found;
}

/* A broken plugin is not returned: *err says why it cannot be used, under
   the name asked for when its manifest did not read (the names it gives
   are not to be trusted).  A path finds the manifest listed under it. */
PIKOS_EXPORT struct pikos_plugin_info *
pikos_registry_find(struct pikos_registry *reg, const char *name,
                    struct pikos_error *err)
{
    const char *slash = strchr(name, '/');
    struct pikos_registry_entry *entry = pikos_registry_entry_find(reg, name);

    if (entry == NULL)
        entry = slash != NULL ? find_qualified(reg, name, slash, err)
                              : find_bare(reg, name, err);
    if (entry == NULL)
        return NULL;
    if (entry->info.state == PIKOS_PLUGIN_BROKEN ||
        entry->info.state == PIKOS_PLUGIN_UNAVAILABLE) {
        pikos_registry_broken_error(entry, entry->bad_manifest ? name : NULL,
                                    err);
        return NULL;
    }
    return &entry->info;
}
