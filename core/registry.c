/*
 * core/registry.c - where plugins are found, and how they are opened.
 *
 * The registry knows plugins by their manifests: scanning the search path
 * reads manifests (manifest.c) and never opens a shared object.  A plugin's
 * library is opened with libltdl on first use, and its descriptor is
 * checked against the manifest before any of its code runs.  Whatever goes
 * wrong marks the plugin BROKEN with a reason "LIBRARY: what: fix", which
 * later finds and loads report again.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ltdl.h>

#include "internal.h"

#if !defined(PIKOS_PLUGIN_DIR) || !defined(PIKOS_PYTHON_PLUGIN_DIR)
#error "PIKOS_PLUGIN_DIR and PIKOS_PYTHON_PLUGIN_DIR (the installed plugin directories) must be defined"
#endif

/* Manifests are looked for in a directory and its subdirectories down to
   this depth (plugins/recorders/csv/csv.plugin is at depth 2). */
#define SCAN_MAX_DEPTH 3
#define MANIFEST_SUFFIX ".plugin"
/* What an ABI 1.0 descriptor holds: everything up to `finalize`. */
#define DESCRIPTOR_MIN_SIZE                                                    \
    (offsetof(struct pikos_plugin, finalize) + sizeof(void *))

struct registry_entry {
    struct pikos_plugin_info info; /* callers hold &entry->info */
    lt_dlhandle handle;            /* once loaded */
    int broken_code;               /* the PIKOS_E* code of `info.reason` */
};

struct pikos_registry {
    char **paths;
    size_t npaths;
    struct registry_entry **entries;
    size_t nentries;
};

static struct registry_entry *entry_of(struct pikos_plugin_info *info)
{
    return (struct registry_entry *)((char *)info -
                                     offsetof(struct registry_entry, info));
}

/* ------------------------------------------------------------ lifetime */

/* libltdl counts lt_dlinit/lt_dlexit pairs itself: each registry holds one
   reference, and the last registry freed shuts libltdl down. */
PIKOS_EXPORT struct pikos_registry *pikos_registry_new(void)
{
    struct pikos_registry *reg = calloc(1, sizeof(*reg));

    if (reg == NULL)
        return NULL;
    if (lt_dlinit() != 0) {
        free(reg);
        return NULL;
    }
    return reg;
}

static void free_entry(struct registry_entry *entry)
{
    if (entry->handle != NULL)
        lt_dlclose(entry->handle);
    pikos_manifest_info_clear(&entry->info);
    free(entry);
}

/* Instances of the registry's plugins must be freed before it. */
PIKOS_EXPORT void pikos_registry_free(struct pikos_registry *reg)
{
    if (reg == NULL)
        return;
    for (size_t i = 0; i < reg->nentries; i++)
        free_entry(reg->entries[i]);
    for (size_t i = 0; i < reg->npaths; i++)
        free(reg->paths[i]);
    free(reg->entries);
    free(reg->paths);
    free(reg);
    lt_dlexit();
}

/* ------------------------------------------------------------ search path */

static int add_path_n(struct pikos_registry *reg, const char *dir, size_t len)
{
    char **paths = realloc(reg->paths, (reg->npaths + 1) * sizeof(*paths));

    if (paths == NULL)
        return PIKOS_ENOMEM;
    reg->paths = paths;
    paths[reg->npaths] = strndup(dir, len);
    if (paths[reg->npaths] == NULL)
        return PIKOS_ENOMEM;
    reg->npaths++;
    return PIKOS_OK;
}

PIKOS_EXPORT int pikos_registry_add_path(struct pikos_registry *reg,
                                         const char *dir)
{
    if (dir == NULL || *dir == '\0')
        return PIKOS_EINVAL; /* "" would mean the current directory */
    return add_path_n(reg, dir, strlen(dir));
}

/* A colon-separated list; empty entries are skipped, not taken as ".". */
static int add_path_list(struct pikos_registry *reg, const char *list)
{
    while (list != NULL && *list != '\0') {
        size_t len = strcspn(list, ":");
        if (len > 0) {
            int rc = add_path_n(reg, list, len);
            if (rc != PIKOS_OK)
                return rc;
        }
        list += len + (list[len] == ':');
    }
    return PIKOS_OK;
}

PIKOS_EXPORT int pikos_registry_add_default_paths(struct pikos_registry *reg)
{
    const char *no_default = getenv("PIKOS_NO_DEFAULT_PATH");
    int rc = add_path_list(reg, getenv("PIKOS_PLUGIN_PATH"));

    if (rc != PIKOS_OK || (no_default != NULL && *no_default != '\0'))
        return rc;
    /* The plugins built against this libpikos's Python (external
       monitors) have a directory of their own, beside the shared one. */
    rc = pikos_registry_add_path(reg, PIKOS_PLUGIN_DIR);
    return rc != PIKOS_OK ? rc : pikos_registry_add_path(reg,
                                                         PIKOS_PYTHON_PLUGIN_DIR);
}

/* ------------------------------------------------------------ scanning */

static struct registry_entry *find_entry(const struct pikos_registry *reg,
                                         const char *full_name)
{
    for (size_t i = 0; i < reg->nentries; i++)
        if (strcmp(reg->entries[i]->info.full_name, full_name) == 0)
            return reg->entries[i];
    return NULL;
}

static int append_entry(struct pikos_registry *reg,
                        struct registry_entry *entry)
{
    struct registry_entry **entries =
        realloc(reg->entries, (reg->nentries + 1) * sizeof(*entries));

    if (entries == NULL)
        return PIKOS_ENOMEM;
    reg->entries = entries;
    entries[reg->nentries++] = entry;
    return PIKOS_OK;
}

/* The first manifest of a kind/name wins: later ones are shadowed. */
static int add_manifest(struct pikos_registry *reg, const char *path)
{
    struct registry_entry *entry = calloc(1, sizeof(*entry)), *first;

    if (entry == NULL)
        return PIKOS_ENOMEM;
    entry->broken_code = pikos_manifest_read(path, &entry->info);
    if (entry->info.full_name == NULL) {
        free_entry(entry); /* only when memory ran out */
        return PIKOS_ENOMEM;
    }
    first = find_entry(reg, entry->info.full_name);
    if (first != NULL) {
        if (pikos_debug_enabled())
            fprintf(stderr, "pikos: debug: %s ignored: %s is already %s\n",
                    path, entry->info.full_name, first->info.manifest_path);
        free_entry(entry);
        return PIKOS_OK;
    }
    if (append_entry(reg, entry) != PIKOS_OK) {
        free_entry(entry);
        return PIKOS_ENOMEM;
    }
    return PIKOS_OK;
}

/* Hidden entries (".", "..", libtool's ".libs") are never searched. */
static int is_visible(const struct dirent *entry)
{
    return entry->d_name[0] != '.';
}

/* Byte order, whatever the locale, so every machine scans alike. */
static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int has_manifest_suffix(const char *name)
{
    size_t len = strlen(name), suffix = strlen(MANIFEST_SUFFIX);
    return len > suffix && strcmp(name + len - suffix, MANIFEST_SUFFIX) == 0;
}

static int scan_directory(struct pikos_registry *reg, const char *dir,
                          int depth);

static int scan_child(struct pikos_registry *reg, const char *dir,
                      const char *name, int depth)
{
    size_t size = strlen(dir) + 1 + strlen(name) + 1;
    char *path = malloc(size);
    struct stat st;
    int rc = PIKOS_OK;

    if (path == NULL)
        return PIKOS_ENOMEM;
    snprintf(path, size, "%s/%s", dir, name);
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode) && depth < SCAN_MAX_DEPTH)
            rc = scan_directory(reg, path, depth + 1);
        else if (S_ISREG(st.st_mode) && has_manifest_suffix(name))
            rc = add_manifest(reg, path);
    }
    free(path);
    return rc;
}

/* A directory that does not exist or cannot be read is skipped. */
static int scan_directory(struct pikos_registry *reg, const char *dir,
                          int depth)
{
    struct dirent **names;
    int count = scandir(dir, &names, is_visible, by_name);
    int rc = PIKOS_OK;

    for (int i = 0; i < count; i++) {
        if (rc == PIKOS_OK)
            rc = scan_child(reg, dir, names[i]->d_name, depth);
        free(names[i]);
    }
    if (count >= 0)
        free(names);
    return rc;
}

PIKOS_EXPORT int pikos_registry_scan(struct pikos_registry *reg,
                                     struct pikos_error *err)
{
    for (size_t i = 0; i < reg->npaths; i++) {
        if (scan_directory(reg, reg->paths[i], 0) != PIKOS_OK)
            return pikos_error_set(err, PIKOS_ENOMEM,
                                   "out of memory while reading the plugin "
                                   "manifests in %s",
                                   reg->paths[i]);
    }
    return PIKOS_OK;
}

PIKOS_EXPORT size_t pikos_registry_count(const struct pikos_registry *reg)
{
    return reg->nentries;
}

PIKOS_EXPORT struct pikos_plugin_info *
pikos_registry_at(struct pikos_registry *reg, size_t index)
{
    return index < reg->nentries ? &reg->entries[index]->info : NULL;
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

#define SUGGESTIONS_MAX 3

/*
 * The plugins most like `name` (of kind `prefix`, if given), nearest
 * first, as "a, b or c" into buf; 0 when none is near: at most 3 edits
 * away, and at most half of the name's letters changed ("zmq" is not a
 * misspelt "csv").  Ties are broken by the plain edit distance, then by
 * name, so the answer never depends on the order of a directory listing.
 */
static size_t suggestions(const struct pikos_registry *reg, const char *prefix,
                          const char *name, char *buf, size_t cap)
{
    struct near_name kept[SUGGESTIONS_MAX];
    size_t count = 0, len = strlen(name), used = 0;

    for (size_t i = 0; i < reg->nentries; i++) {
        const struct pikos_plugin_info *info = &reg->entries[i]->info;
        struct near_name c = {info->full_name, name_distance(name, info->name),
                              edit_distance(name, info->name)};
        if (prefix != NULL &&
            strncmp(info->full_name, prefix, strlen(prefix)) != 0)
            c.distance++; /* another kind: a little further away */
        if (c.distance < 4 && 2 * c.distance <= len)
            keep_nearest(kept, &count, SUGGESTIONS_MAX, c);
    }
    for (size_t i = 0; i < count && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s",
                                 i == 0             ? ""
                                 : i == count - 1 ? " or "
                                                    : ", ",
                                 kept[i].full_name);
    return count;
}

static int unknown_plugin(const struct pikos_registry *reg, const char *wanted,
                          const char *prefix, const char *name,
                          struct pikos_error *err)
{
    char near[512];

    if (suggestions(reg, prefix, name, near, sizeof(near)) > 0)
        return pikos_error_set(err, PIKOS_ENOTFOUND,
                               "unknown plugin '%s' (did you mean %s?); "
                               "`pikos plugins` lists them",
                               wanted, near);
    return pikos_error_set(err, PIKOS_ENOTFOUND,
                           "unknown plugin '%s'; `pikos plugins` lists them",
                           wanted);
}

static struct registry_entry *find_qualified(struct pikos_registry *reg,
                                             const char *wanted,
                                             const char *slash,
                                             struct pikos_error *err)
{
    const char *prefix = kind_prefix(wanted, (size_t)(slash - wanted));
    const char *name = slash + 1;
    size_t len;

    if (prefix == NULL) {
        pikos_error_set(err, PIKOS_ENOTFOUND,
                        "unknown plugin kind '%.*s' in '%s': expected "
                        "monitors, filters, recorders or external",
                        (int)(slash - wanted), wanted, wanted);
        return NULL;
    }
    len = strlen(prefix);
    for (size_t i = 0; i < reg->nentries; i++) {
        const char *full = reg->entries[i]->info.full_name;
        if (strncmp(full, prefix, len) == 0 && full[len] == '/' &&
            strcmp(full + len + 1, name) == 0)
            return reg->entries[i];
    }
    unknown_plugin(reg, wanted, prefix, name, err);
    return NULL;
}

static void ambiguous_name(const struct pikos_registry *reg, const char *name,
                           struct pikos_error *err)
{
    char candidates[512] = "";
    size_t used = 0;

    for (size_t i = 0; i < reg->nentries && used < sizeof(candidates); i++)
        if (strcmp(reg->entries[i]->info.name, name) == 0)
            used +=
                snprintf(candidates + used, sizeof(candidates) - used, "%s%s",
                         used > 0 ? ", " : "", reg->entries[i]->info.full_name);
    pikos_error_set(err, PIKOS_EINVAL,
                    "plugin name '%s' is ambiguous: %s; give KIND/NAME", name,
                    candidates);
}

static struct registry_entry *
find_bare(struct pikos_registry *reg, const char *name, struct pikos_error *err)
{
    struct registry_entry *found = NULL;

    for (size_t i = 0; i < reg->nentries; i++) {
        if (strcmp(reg->entries[i]->info.name, name) != 0)
            continue;
        if (found != NULL) {
            ambiguous_name(reg, name, err);
            return NULL;
        }
        found = reg->entries[i];
    }
    if (found == NULL)
        unknown_plugin(reg, name, NULL, name, err);
    return found;
}

static int broken_error(const struct registry_entry *entry,
                        struct pikos_error *err)
{
    const char *reason =
        entry->info.reason != NULL ? entry->info.reason : "out of memory";

    if (entry->info.state == PIKOS_PLUGIN_UNAVAILABLE)
        return pikos_error_set(err, entry->broken_code, "[%s] %s",
                               entry->info.full_name, reason);
    return pikos_error_set(err, entry->broken_code, "plugin '%s' is broken: %s",
                           entry->info.full_name, reason);
}

PIKOS_EXPORT struct pikos_plugin_info *
pikos_registry_find(struct pikos_registry *reg, const char *name,
                    struct pikos_error *err)
{
    const char *slash = strchr(name, '/');
    struct registry_entry *entry = slash != NULL
                                       ? find_qualified(reg, name, slash, err)
                                       : find_bare(reg, name, err);

    if (entry == NULL)
        return NULL;
    if (entry->info.state == PIKOS_PLUGIN_BROKEN ||
        entry->info.state == PIKOS_PLUGIN_UNAVAILABLE) {
        broken_error(entry, err);
        return NULL;
    }
    return &entry->info;
}

/* ------------------------------------------------------------ loading */

static const char *kind_singular(uint32_t kind)
{
    switch (kind) {
    case PIKOS_KIND_MONITOR:
        return "monitor";
    case PIKOS_KIND_FILTER:
        return "filter";
    case PIKOS_KIND_RECORDER:
        return "recorder";
    default:
        return "plugin of unknown kind";
    }
}

/* How the manifest names its kind: an external monitor says "external". */
static const char *manifest_kind(const struct pikos_plugin_info *info)
{
    if (strncmp(info->full_name, "external/", 9) == 0)
        return "external monitor";
    return kind_singular(info->kind);
}

static int check_abi(const struct pikos_plugin_info *info,
                     const struct pikos_plugin *d, const char *lib,
                     struct pikos_error *why)
{
    if (d->abi_major != PIKOS_ABI_MAJOR || d->abi_minor > PIKOS_ABI_MINOR)
        return pikos_error_set(why, PIKOS_EABI,
                               "%s: built for plugin ABI %u.%u, this pikos "
                               "speaks %d.%d: rebuild the plugin against this "
                               "pikos",
                               lib, d->abi_major, d->abi_minor, PIKOS_ABI_MAJOR,
                               PIKOS_ABI_MINOR);
    if (d->struct_size < DESCRIPTOR_MIN_SIZE)
        return pikos_error_set(why, PIKOS_EABI,
                               "%s: its descriptor has %u bytes, plugin ABI "
                               "%d.0 needs %zu: rebuild the plugin against "
                               "this pikos",
                               lib, d->struct_size, PIKOS_ABI_MAJOR,
                               (size_t)DESCRIPTOR_MIN_SIZE);
    if ((uint32_t)info->abi != d->abi_major)
        return pikos_error_set(why, PIKOS_EABI,
                               "%s: built for plugin ABI %u but %s says abi = "
                               "%d: make them agree",
                               lib, d->abi_major, info->manifest_path,
                               info->abi);
    return PIKOS_OK;
}

static int check_identity(const struct pikos_plugin_info *info,
                          const struct pikos_plugin *d, const char *lib,
                          struct pikos_error *why)
{
    if (d->kind != info->kind || d->name == NULL ||
        strcmp(d->name, info->name) != 0)
        return pikos_error_set(why, PIKOS_EABI,
                               "%s: the library is %s '%s' but %s says %s "
                               "'%s': make them agree",
                               lib, kind_singular(d->kind),
                               d->name != NULL ? d->name : "(no name)",
                               info->manifest_path, manifest_kind(info),
                               info->name);
    return PIKOS_OK;
}

static int option_mismatch(const struct pikos_plugin_info *info,
                           const char *lib, struct pikos_error *why,
                           const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int option_mismatch(const struct pikos_plugin_info *info,
                           const char *lib, struct pikos_error *why,
                           const char *fmt, ...)
{
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return pikos_error_set(why, PIKOS_EABI,
                           "%s: %s: make %s and the plugin's option table "
                           "agree",
                           lib, what, info->manifest_path);
}

static const struct pikos_option *
descriptor_option(const struct pikos_plugin *d, const char *name)
{
    for (const struct pikos_option *o = d->options; o && o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

static int same_text(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* "'text'", or "none" for a missing default. */
static const char *quoted(const char *text, char *buf, size_t size)
{
    if (text == NULL)
        return "none";
    snprintf(buf, size, "'%s'", text);
    return buf;
}

static int compare_option(const struct pikos_plugin_info *info,
                          const struct pikos_manifest_option *m,
                          const struct pikos_option *o, const char *lib,
                          struct pikos_error *why)
{
    char mine[160], theirs[160];
    int required = (o != NULL && (o->flags & PIKOS_OPTION_REQUIRED)) != 0;

    if (o == NULL)
        return option_mismatch(info, lib, why,
                               "option '%s' is in the manifest but not in "
                               "the plugin",
                               m->name);
    if (o->type != m->type)
        return option_mismatch(info, lib, why,
                               "option '%s' is %s in the manifest but %s in "
                               "the plugin",
                               m->name, pikos_option_type_name(m->type),
                               pikos_option_type_name(o->type));
    if (required != ((m->flags & PIKOS_OPTION_REQUIRED) != 0))
        return option_mismatch(info, lib, why,
                               "option '%s' is %s in the manifest but not in "
                               "the plugin",
                               m->name, required ? "optional" : "required");
    if (!same_text(m->default_value, o->default_value))
        return option_mismatch(
            info, lib, why,
            "option '%s' has default %s in the manifest "
            "but %s in the plugin",
            m->name, quoted(m->default_value, mine, sizeof(mine)),
            quoted(o->default_value, theirs, sizeof(theirs)));
    return PIKOS_OK;
}

static int manifest_has_option(const struct pikos_plugin_info *info,
                               const char *name)
{
    for (size_t i = 0; i < info->noptions; i++)
        if (strcmp(info->options[i].name, name) == 0)
            return 1;
    return 0;
}

/* The option tables must be equal both ways, and every option's storage
   must lie inside the plugin's context. */
static int check_options(const struct pikos_plugin_info *info,
                         const struct pikos_plugin *d, const char *lib,
                         struct pikos_error *why)
{
    for (size_t i = 0; i < info->noptions; i++) {
        const struct pikos_manifest_option *m = &info->options[i];
        int rc =
            compare_option(info, m, descriptor_option(d, m->name), lib, why);
        if (rc != PIKOS_OK)
            return rc;
    }
    for (const struct pikos_option *o = d->options; o && o->name; o++) {
        if (!manifest_has_option(info, o->name))
            return option_mismatch(info, lib, why,
                                   "option '%s' is in the plugin but not in "
                                   "the manifest",
                                   o->name);
        if (descriptor_option(d, o->name) != o)
            return pikos_error_set(why, PIKOS_EABI,
                                   "%s: option '%s' appears twice in the "
                                   "plugin's option table: fix the plugin",
                                   lib, o->name);
        if (o->offset + pikos_option_storage_size(o->type) > d->ctx_size)
            return pikos_error_set(why, PIKOS_EABI,
                                   "%s: option '%s' is stored at offset %zu, "
                                   "outside the plugin's %zu-byte context: fix "
                                   "the plugin's option table",
                                   lib, o->name, o->offset, d->ctx_size);
    }
    return PIKOS_OK;
}

static int check_callbacks(const struct pikos_plugin *d, const char *lib,
                           struct pikos_error *why)
{
    const char *missing = NULL;

    if (d->kind == PIKOS_KIND_MONITOR && !d->on_event && !d->snapshot)
        missing = "a monitor needs on_event or snapshot";
    else if (d->kind == PIKOS_KIND_FILTER && !d->filter)
        missing = "a filter needs a filter callback";
    else if (d->kind == PIKOS_KIND_RECORDER && !d->record)
        missing = "a recorder needs a record callback";
    if (missing != NULL)
        return pikos_error_set(why, PIKOS_EABI, "%s: %s: fix the plugin", lib,
                               missing);
    return PIKOS_OK;
}

/* Checks in the order that makes each next read safe: no field beyond
   struct_size is read before struct_size is known to cover it. */
static int check_descriptor(const struct pikos_plugin_info *info,
                            const struct pikos_plugin *d, const char *lib,
                            struct pikos_error *why)
{
    int rc = check_abi(info, d, lib, why);

    if (rc == PIKOS_OK)
        rc = check_identity(info, d, lib, why);
    if (rc == PIKOS_OK)
        rc = check_options(info, d, lib, why);
    if (rc == PIKOS_OK)
        rc = check_callbacks(d, lib, why);
    return rc;
}

/* lt_dladvise_ext lets libltdl find a build tree's .la as well as an
   installed .so; _local keeps the plugin's symbols to itself. */
static lt_dlhandle open_module(const char *lib)
{
    lt_dladvise advise;
    lt_dlhandle handle = NULL;

    if (lt_dladvise_init(&advise) == 0 && lt_dladvise_local(&advise) == 0 &&
        lt_dladvise_ext(&advise) == 0)
        handle = lt_dlopenadvise(lib, advise);
    lt_dladvise_destroy(&advise);
    return handle;
}

static int open_library(struct registry_entry *entry, const char *lib,
                        struct pikos_error *why)
{
    struct pikos_plugin_info *info = &entry->info;
    lt_dlhandle handle = open_module(lib);
    const char *cause;
    void *symbol;

    if (handle == NULL) {
        cause = lt_dlerror();
        return pikos_error_set(why, PIKOS_ENOTFOUND,
                               "%s: cannot open it (%s): build or reinstall "
                               "the plugin, or fix 'library' in %s",
                               lib, cause != NULL ? cause : "unknown error",
                               info->manifest_path);
    }
    symbol = lt_dlsym(handle, PIKOS_PLUGIN_ENTRY_SYMBOL);
    if (symbol == NULL) {
        lt_dlclose(handle);
        return pikos_error_set(why, PIKOS_ENOTFOUND,
                               "%s: no symbol " PIKOS_PLUGIN_ENTRY_SYMBOL
                               ": not a pikos plugin, or one built without "
                               "PIKOS_PLUGIN_DEFINE",
                               lib);
    }
    entry->handle = handle;
    info->descriptor = symbol;
    return PIKOS_OK;
}

static int mark_broken(struct registry_entry *entry,
                       const struct pikos_error *why, struct pikos_error *err)
{
    if (entry->handle != NULL)
        lt_dlclose(entry->handle);
    entry->handle = NULL;
    entry->info.descriptor = NULL;
    entry->info.state = PIKOS_PLUGIN_BROKEN;
    entry->info.reason = strdup(why->message);
    entry->broken_code = why->code;
    return broken_error(entry, err);
}

/* An external monitor whose Python package is missing: unavailable, with
   the package to install as the reason. */
static int mark_unavailable(struct registry_entry *entry,
                            struct pikos_error *err)
{
    struct pikos_plugin_info *info = &entry->info;
    struct pikos_error why;

    if (info->package != NULL)
        pikos_error_set(&why, PIKOS_ENOTFOUND,
                        "needs the Python package %s: apt-get install -y %s",
                        info->python_module, info->package);
    else
        pikos_error_set(&why, PIKOS_ENOTFOUND,
                        "needs the Python package %s: install it for this "
                        "Python",
                        info->python_module);
    mark_broken(entry, &why, NULL);
    info->state = PIKOS_PLUGIN_UNAVAILABLE;
    return broken_error(entry, err);
}

PIKOS_EXPORT int pikos_registry_load(struct pikos_registry *reg,
                                     struct pikos_plugin_info *info,
                                     struct pikos_error *err)
{
    struct registry_entry *entry = entry_of(info);
    struct pikos_error why;
    char lib[4096];
    int rc;

    if (info->state == PIKOS_PLUGIN_OK)
        return PIKOS_OK;
    if (info->state == PIKOS_PLUGIN_BROKEN ||
        info->state == PIKOS_PLUGIN_UNAVAILABLE)
        return broken_error(entry, err);
    if ((size_t)snprintf(lib, sizeof(lib), "%s/%s", info->directory,
                         info->library) >= sizeof(lib))
        rc = pikos_error_set(&why, PIKOS_EINVAL, "%s/%s: path too long",
                             info->directory, info->library);
    else
        rc = open_library(entry, lib, &why);
    if (rc == PIKOS_OK)
        rc = check_descriptor(info, info->descriptor, lib, &why);
    if (rc != PIKOS_OK)
        return mark_broken(entry, &why, err);
    if (info->python_module != NULL &&
        !pikos_python_module_found(info->python_module))
        return mark_unavailable(entry, err);
    info->state = PIKOS_PLUGIN_OK;
    return PIKOS_OK;
}

/* ------------------------------------------------------------ built-ins */

/* The manifest an in-process plugin would have, made from its descriptor. */
static int builtin_options(struct pikos_plugin_info *info,
                           const struct pikos_plugin *plugin)
{
    const struct pikos_option *opt = plugin->options;
    size_t count = 0;

    while (opt != NULL && opt[count].name != NULL)
        count++;
    info->options = calloc(count + 1, sizeof(*info->options));
    if (info->options == NULL)
        return PIKOS_ENOMEM;
    for (size_t i = 0; i < count; i++, info->noptions++) {
        struct pikos_manifest_option *m = &info->options[i];
        m->name = strdup(opt[i].name);
        m->type = opt[i].type;
        m->flags = opt[i].flags;
        m->default_value =
            opt[i].default_value ? strdup(opt[i].default_value) : NULL;
        m->help = strdup(opt[i].description ? opt[i].description : "");
        if (m->name == NULL || m->help == NULL ||
            (opt[i].default_value != NULL && m->default_value == NULL))
            return PIKOS_ENOMEM;
    }
    return PIKOS_OK;
}

static int builtin_info(struct pikos_plugin_info *info,
                        const struct pikos_plugin *plugin)
{
    const char *plural = pikos_kind_plural(plugin->kind);
    size_t len = strlen(plural) + 1 + strlen(plugin->name) + 1;

    info->full_name = malloc(len);
    if (info->full_name != NULL)
        snprintf(info->full_name, len, "%s/%s", plural, plugin->name);
    info->name = strdup(plugin->name);
    info->summary = strdup(plugin->description ? plugin->description : "");
    info->manifest_path = strdup("(built in)");
    info->kind = plugin->kind;
    info->abi = (int)plugin->abi_major;
    info->state = PIKOS_PLUGIN_OK;
    info->descriptor = plugin;
    if (info->full_name == NULL || info->name == NULL ||
        info->summary == NULL || info->manifest_path == NULL)
        return PIKOS_ENOMEM;
    return builtin_options(info, plugin);
}

PIKOS_EXPORT int pikos_registry_add_builtin(struct pikos_registry *reg,
                                            const struct pikos_plugin *plugin,
                                            struct pikos_error *err)
{
    struct registry_entry *entry;
    int rc;

    if (plugin == NULL || plugin->name == NULL ||
        pikos_kind_plural(plugin->kind) == NULL ||
        plugin->abi_major != PIKOS_ABI_MAJOR ||
        plugin->abi_minor > PIKOS_ABI_MINOR)
        return pikos_error_set(err, PIKOS_EABI,
                               "built-in plugin: bad descriptor (kind, name "
                               "or ABI version)");
    entry = calloc(1, sizeof(*entry));
    if (entry == NULL)
        return pikos_error_set(err, PIKOS_ENOMEM, "out of memory");
    if (builtin_info(&entry->info, plugin) != PIKOS_OK)
        rc = pikos_error_set(err, PIKOS_ENOMEM, "out of memory");
    else if (find_entry(reg, entry->info.full_name) != NULL)
        rc = pikos_error_set(err, PIKOS_EINVAL,
                             "built-in plugin %s: the name is taken",
                             entry->info.full_name);
    else if (append_entry(reg, entry) != PIKOS_OK)
        rc = pikos_error_set(err, PIKOS_ENOMEM, "out of memory");
    else
        return PIKOS_OK;
    free_entry(entry);
    return rc;
}
