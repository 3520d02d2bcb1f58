/*
 * core/manifest.c - reading NAME.plugin files.
 *
 * A manifest is an INI file (parsed with libinih) that describes a plugin
 * without opening its library:
 *
 *     [plugin]                    [option NAME]
 *     name = csv                  type = int|float|bool|string|list
 *     kind = recorder             default = ...      (optional)
 *     library = recorder_csv      help = ...         (optional)
 *     abi = 1                     required = false   (optional)
 *     summary = ...  (optional)
 *     version = ...  (optional)
 *
 * `kind` is monitor, filter, recorder (singular or plural) or external (a
 * monitor wrapping a foreign profiler, listed as "external/NAME").  Summary
 * and help may continue on indented lines.
 *
 * Any problem makes the entry BROKEN with a reason "FILE:LINE: what is
 * wrong (what is expected)"; the entry is still filled as far as the file
 * allowed, so `pikos plugins` can list it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "internal.h"

#define MANIFEST_MAX_BYTES (1024 * 1024)
#define MANIFEST_SUFFIX ".plugin"

enum plugin_key {
    KEY_NAME,
    KEY_KIND,
    KEY_LIBRARY,
    KEY_ABI,
    KEY_SUMMARY,
    KEY_VERSION,
    KEY_PYTHON_MODULE,
    KEY_PACKAGE,
    PLUGIN_KEY_COUNT
};
static const char *const plugin_keys[PLUGIN_KEY_COUNT] = {
    "name",    "kind",          "library", "abi",
    "summary", "version",       "python_module", "package"};
/* What the required keys of [plugin] hold, for "missing key" reasons. */
static const char *const plugin_key_meaning[KEY_ABI + 1] = {
    "the plugin's name, e.g. name = csv",
    "monitor, filter, recorder or external",
    "the module name of its shared object, e.g. library = recorder_csv",
    "the plugin ABI major version, abi = 1"};

enum option_key {
    KEY_TYPE,
    KEY_DEFAULT,
    KEY_HELP,
    KEY_REQUIRED,
    OPTION_KEY_COUNT
};
static const char *const option_keys[OPTION_KEY_COUNT] = {"type", "default",
                                                          "help", "required"};

enum section_kind { SECTION_NONE, SECTION_PLUGIN, SECTION_OPTION, SECTION_BAD };

struct manifest_parse {
    const char *path;
    struct pikos_plugin_info *info;
    int external; /* kind = external */

    /* The reader: where the next line starts, the last line handed out. */
    const char *next, *end;
    int lineno;
    int indented; /* that line starts with a blank: a continuation */

    /* The handler: the section being read and the keys seen in it. */
    char section[128];
    enum section_kind section_kind;
    int seen_plugin_section;
    unsigned plugin_keys_seen, option_keys_seen;
    int option_line, default_line; /* of the current [option NAME] */
    char last_key[64];

    /* The first problem found, and its line (0: none in particular). */
    struct pikos_error error;
    int error_line;
};

/* ------------------------------------------------------------ helpers */

uint32_t pikos_kind_from_string(const char *text)
{
    static const struct {
        const char *word;
        uint32_t kind;
    } kinds[] = {
        {"monitor", PIKOS_KIND_MONITOR},   {"monitors", PIKOS_KIND_MONITOR},
        {"filter", PIKOS_KIND_FILTER},     {"filters", PIKOS_KIND_FILTER},
        {"recorder", PIKOS_KIND_RECORDER}, {"recorders", PIKOS_KIND_RECORDER}};

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(text, kinds[i].word) == 0)
            return kinds[i].kind;
    return 0;
}

static const char *const option_type_names[] = {[PIKOS_OPT_INT] = "int",
                                                [PIKOS_OPT_FLOAT] = "float",
                                                [PIKOS_OPT_BOOL] = "bool",
                                                [PIKOS_OPT_STRING] = "string",
                                                [PIKOS_OPT_LIST] = "list"};

uint32_t pikos_option_type_from_string(const char *text)
{
    for (uint32_t t = PIKOS_OPT_INT; t <= PIKOS_OPT_LIST; t++)
        if (strcmp(text, option_type_names[t]) == 0)
            return t;
    return 0;
}

PIKOS_EXPORT const char *pikos_option_type_name(uint32_t type)
{
    if (type < PIKOS_OPT_INT || type > PIKOS_OPT_LIST)
        return "?";
    return option_type_names[type];
}

/* Plugin and option names: letters, digits, '_' and '-'. */
static int is_name(const char *text)
{
    if (*text == '\0')
        return 0;
    for (; *text; text++)
        if (!(*text >= 'a' && *text <= 'z') &&
            !(*text >= 'A' && *text <= 'Z') &&
            !(*text >= '0' && *text <= '9') && *text != '_' && *text != '-')
            return 0;
    return 1;
}

static int key_index(const char *const *keys, int nkeys, const char *key)
{
    for (int i = 0; i < nkeys; i++)
        if (strcmp(keys[i], key) == 0)
            return i;
    return -1;
}

/* Records the first problem; `line` 0 means the file as a whole. */
static void fail(struct manifest_parse *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(struct manifest_parse *p, int line, const char *fmt, ...)
{
    char what[768];
    va_list ap;

    if (p->error.code != PIKOS_OK)
        return;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (line > 0)
        pikos_error_set(&p->error, PIKOS_EINVAL, "%s:%d: %s", p->path, line,
                        what);
    else
        pikos_error_set(&p->error, PIKOS_EINVAL, "%s: %s", p->path, what);
    p->error_line = line;
}

static void out_of_memory(struct manifest_parse *p)
{
    if (p->error.code == PIKOS_OK) {
        fail(p, p->lineno, "out of memory");
        p->error.code = PIKOS_ENOMEM;
    }
}

static void store_text(struct manifest_parse *p, char **field,
                       const char *value)
{
    *field = strdup(value);
    if (*field == NULL)
        out_of_memory(p);
}

/* Joins an indented continuation line to a summary or help text. */
static void append_text(struct manifest_parse *p, char **field,
                        const char *value)
{
    size_t old = strlen(*field), extra = strlen(value);
    char *text = realloc(*field, old + 1 + extra + 1);

    if (text == NULL) {
        out_of_memory(p);
        return;
    }
    text[old] = ' ';
    memcpy(text + old + 1, value, extra + 1);
    *field = text;
}

/* ------------------------------------------------------------ [plugin] */

static void read_kind(struct manifest_parse *p, const char *value)
{
    if (strcmp(value, "external") == 0) {
        p->external = 1;
        p->info->kind = PIKOS_KIND_MONITOR;
        return;
    }
    p->info->kind = pikos_kind_from_string(value);
    if (p->info->kind == 0)
        fail(p, p->lineno,
             "unknown kind '%s' (expected monitor, filter, recorder or "
             "external)",
             value);
}

static void read_abi(struct manifest_parse *p, const char *value)
{
    int64_t abi;

    if (pikos_option_parse(PIKOS_OPT_INT, value, &abi) != PIKOS_OK ||
        abi <= 0 || abi > INT_MAX) {
        fail(p, p->lineno,
             "abi '%s' is not a positive integer (this pikos speaks abi = "
             "%d)",
             value, PIKOS_ABI_MAJOR);
        return;
    }
    p->info->abi = (int)abi;
}

static void read_plugin_key(struct manifest_parse *p, int key,
                            const char *value)
{
    struct pikos_plugin_info *info = p->info;

    switch (key) {
    case KEY_NAME:
        if (!is_name(value))
            fail(p, p->lineno,
                 "name '%s' is not a plugin name (letters, digits, '_' and "
                 "'-')",
                 value);
        else
            store_text(p, &info->name, value);
        break;
    case KEY_KIND:
        read_kind(p, value);
        break;
    case KEY_LIBRARY:
        if (*value == '\0' || strchr(value, '/') != NULL)
            fail(p, p->lineno,
                 "library '%s' is not a module name (expected the name of a "
                 "shared object beside the manifest, without '/')",
                 value);
        else
            store_text(p, &info->library, value);
        break;
    case KEY_ABI:
        read_abi(p, value);
        break;
    case KEY_SUMMARY:
        store_text(p, &info->summary, value);
        break;
    case KEY_VERSION:
        store_text(p, &info->version, value);
        break;
    case KEY_PYTHON_MODULE:
        store_text(p, &info->python_module, value);
        break;
    case KEY_PACKAGE:
        store_text(p, &info->package, value);
        break;
    }
}

/* ------------------------------------------------------------ [option] */

static struct pikos_manifest_option *current_option(struct manifest_parse *p)
{
    return &p->info->options[p->info->noptions - 1];
}

static void start_option(struct manifest_parse *p, const char *name)
{
    struct pikos_plugin_info *info = p->info;
    struct pikos_manifest_option *options;

    while (*name == ' ' || *name == '\t')
        name++;
    if (!is_name(name)) {
        fail(p, p->lineno,
             "[option %s] does not name an option (letters, digits, '_' and "
             "'-')",
             name);
        return;
    }
    for (size_t i = 0; i < info->noptions; i++) {
        if (strcmp(info->options[i].name, name) == 0) {
            fail(p, p->lineno,
                 "duplicate option '%s' (each [option NAME] appears once)",
                 name);
            return;
        }
    }
    options = realloc(info->options, (info->noptions + 1) * sizeof(*options));
    if (options == NULL) {
        out_of_memory(p);
        return;
    }
    info->options = options;
    memset(&options[info->noptions], 0, sizeof(*options));
    info->noptions++;
    store_text(p, &current_option(p)->name, name);
    p->option_line = p->lineno;
    p->section_kind = SECTION_OPTION;
}

static void read_option_key(struct manifest_parse *p, int key,
                            const char *value)
{
    struct pikos_manifest_option *opt = current_option(p);
    int required;

    switch (key) {
    case KEY_TYPE:
        opt->type = pikos_option_type_from_string(value);
        if (opt->type == 0)
            fail(p, p->lineno,
                 "unknown type '%s' for option '%s' (expected int, float, "
                 "bool, string or list)",
                 value, opt->name);
        break;
    case KEY_DEFAULT:
        store_text(p, &opt->default_value, value);
        p->default_line = p->lineno;
        break;
    case KEY_HELP:
        store_text(p, &opt->help, value);
        break;
    case KEY_REQUIRED:
        if (pikos_option_parse(PIKOS_OPT_BOOL, value, &required) != PIKOS_OK)
            fail(p, p->lineno,
                 "required = '%s' is not a bool (expected true or false)",
                 value);
        else if (required)
            opt->flags |= PIKOS_OPTION_REQUIRED;
        break;
    }
}

/* Checks what needs the whole [option NAME] section. */
static void finish_option(struct manifest_parse *p)
{
    struct pikos_manifest_option *opt = current_option(p);

    if (opt->type == 0) {
        fail(p, p->option_line,
             "option '%s' has no type (expected type = int, float, bool, "
             "string or list)",
             opt->name);
    } else if (opt->default_value != NULL &&
               pikos_option_parse(opt->type, opt->default_value, NULL) !=
                   PIKOS_OK) {
        fail(p, p->default_line, "default '%s' of option '%s' is not %s %s",
             opt->default_value, opt->name,
             opt->type == PIKOS_OPT_INT ? "an" : "a",
             pikos_option_type_name(opt->type));
    } else if (opt->default_value != NULL &&
               (opt->flags & PIKOS_OPTION_REQUIRED)) {
        fail(p, p->default_line,
             "option '%s' is required and has a default (drop one of them)",
             opt->name);
    }
}

/* ------------------------------------------------------------ sections */

static void enter_section(struct manifest_parse *p, const char *section,
                          const char *key)
{
    if (p->section_kind == SECTION_OPTION)
        finish_option(p);
    snprintf(p->section, sizeof(p->section), "%s", section);
    p->section_kind = SECTION_BAD;
    p->option_keys_seen = 0;
    p->last_key[0] = '\0'; /* libinih continues no key across sections */
    if (strcmp(section, "plugin") == 0) {
        if (p->seen_plugin_section)
            fail(p, p->lineno, "duplicate section [plugin]");
        p->seen_plugin_section = 1;
        p->section_kind = SECTION_PLUGIN;
    } else if (strncmp(section, "option ", 7) == 0) {
        start_option(p, section + 7);
    } else if (*section == '\0') {
        fail(p, p->lineno,
             "key '%s' is outside any section (a manifest starts with "
             "[plugin])",
             key);
    } else {
        fail(p, p->lineno,
             "unknown section [%s] (expected [plugin] or [option NAME])",
             section);
    }
}

static void read_key(struct manifest_parse *p, const char *key,
                     const char *value)
{
    int plugin = p->section_kind == SECTION_PLUGIN;
    const char *const *keys = plugin ? plugin_keys : option_keys;
    int nkeys = plugin ? PLUGIN_KEY_COUNT : OPTION_KEY_COUNT;
    unsigned *seen = plugin ? &p->plugin_keys_seen : &p->option_keys_seen;
    int index = key_index(keys, nkeys, key);

    if (index < 0) {
        fail(p, p->lineno,
             plugin ? "unknown key '%s' in [%s] (expected name, kind, "
                      "library, abi, summary, version, python_module or "
                      "package)"
                    : "unknown key '%s' in [%s] (expected type, default, "
                      "help or required)",
             key, p->section);
    } else if (*seen & (1u << index)) {
        fail(p, p->lineno, "duplicate key '%s' in [%s]", key, p->section);
    } else {
        *seen |= 1u << index;
        if (plugin)
            read_plugin_key(p, index, value);
        else
            read_option_key(p, index, value);
    }
}

static void continue_key(struct manifest_parse *p, const char *key,
                         const char *value)
{
    if (p->section_kind == SECTION_PLUGIN && strcmp(key, "summary") == 0)
        append_text(p, &p->info->summary, value);
    else if (p->section_kind == SECTION_OPTION && strcmp(key, "help") == 0)
        append_text(p, &current_option(p)->help, value);
    else
        fail(p, p->lineno,
             "only summary and help may continue on an indented line");
}

/* libinih's handler: one call per key (and per continuation line). */
static int on_key(void *user, const char *section, const char *key,
                  const char *value)
{
    struct manifest_parse *p = user;

    if (p->error.code != PIKOS_OK)
        return 1; /* only the first problem is reported */
    if (p->section_kind == SECTION_NONE || strcmp(section, p->section) != 0)
        enter_section(p, section, key);
    if (p->error.code != PIKOS_OK)
        return 1;
    if (p->indented && strcmp(key, p->last_key) == 0)
        continue_key(p, key, value);
    else
        read_key(p, key, value);
    snprintf(p->last_key, sizeof(p->last_key), "%s", key);
    return 1;
}

/*
 * libinih's reader, over the file's text: one line per call, so its line
 * numbers are ours.  A line that does not fit libinih's buffer stops the
 * parse, rather than being split in two.
 */
static char *next_line(char *buf, int size, void *stream)
{
    struct manifest_parse *p = stream;
    const char *start = p->next, *newline;
    size_t len;

    if (start == p->end || p->error.code != PIKOS_OK)
        return NULL;
    newline = memchr(start, '\n', (size_t)(p->end - start));
    len = newline != NULL ? (size_t)(newline - start) + 1
                          : (size_t)(p->end - start);
    p->lineno++;
    if (len + 1 > (size_t)size) {
        fail(p, p->lineno,
             "line is longer than %d bytes (continue a long summary or help "
             "on an indented next line)",
             size - 2);
        return NULL;
    }
    memcpy(buf, start, len);
    buf[len] = '\0';
    p->next = start + len;
    p->indented = *start == ' ' || *start == '\t';
    return buf;
}

/* ------------------------------------------------------------ the file */

/* Length of the valid UTF-8 text character at s (n bytes left), or 0 for a
   control character, a NUL or an invalid sequence. */
static size_t text_char_length(const unsigned char *s, size_t n)
{
    size_t len;
    uint32_t cp;

    if (s[0] < 0x80)
        return (s[0] >= 0x20 && s[0] != 0x7f) || s[0] == '\t' || s[0] == '\n' ||
               s[0] == '\r';
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0; /* overlong, out of range or a surrogate */
    return len;
}

/* A manifest is UTF-8 text: reports the first byte that is not. */
static void check_text(struct manifest_parse *p, const char *text, size_t size)
{
    const unsigned char *s = (const unsigned char *)text;
    int line = 1;

    for (size_t i = 0; i < size;) {
        size_t len = text_char_length(s + i, size - i);
        if (len == 0) {
            fail(p, line,
                 "binary data (byte 0x%02x): a manifest is UTF-8 text; is "
                 "this file really a plugin manifest?",
                 s[i]);
            return;
        }
        line += s[i] == '\n';
        i += len;
    }
}

static char *read_file(struct manifest_parse *p, size_t *size)
{
    FILE *file = fopen(p->path, "rb");
    struct stat st;
    char *text = NULL;

    if (file == NULL) {
        fail(p, 0, "cannot read: %s", strerror(errno));
        return NULL;
    }
    if (fstat(fileno(file), &st) != 0 || !S_ISREG(st.st_mode))
        fail(p, 0, "cannot read: not a regular file");
    else if (st.st_size > MANIFEST_MAX_BYTES)
        fail(p, 0, "larger than %d bytes: is this file really a manifest?",
             MANIFEST_MAX_BYTES);
    else if ((text = malloc((size_t)st.st_size + 1)) == NULL) /* 1: "" */
        out_of_memory(p);
    else if ((*size = fread(text, 1, (size_t)st.st_size, file)) !=
             (size_t)st.st_size)
        fail(p, 0, "cannot read: %s",
             ferror(file) ? strerror(errno) : "the file shrank while read");
    fclose(file);
    if (p->error.code != PIKOS_OK) {
        free(text);
        return NULL;
    }
    return text;
}

static void parse_text(struct manifest_parse *p, const char *text, size_t size)
{
    int syntax_line;

    p->next = text;
    p->end = text + size;
    syntax_line = ini_parse_stream(next_line, p, on_key, p);
    if (p->error.code == PIKOS_OK && p->section_kind == SECTION_OPTION)
        finish_option(p);
    /* libinih reports the first line it could not parse (keys are all
       accepted by on_key); keep whichever problem comes first. */
    if (syntax_line > 0 &&
        (p->error.code == PIKOS_OK || syntax_line < p->error_line)) {
        pikos_error_clear(&p->error);
        fail(p, syntax_line,
             "cannot parse this line (expected [section], key = value or a "
             "; comment)");
    }
}

static void check_required_keys(struct manifest_parse *p)
{
    if (!p->seen_plugin_section) {
        fail(p, 0,
             "no [plugin] section (a manifest starts with [plugin] and the "
             "keys name, kind, library and abi)");
        return;
    }
    for (int key = KEY_NAME; key <= KEY_ABI; key++)
        if (!(p->plugin_keys_seen & (1u << key)))
            fail(p, 0, "missing key '%s' in [plugin] (%s)", plugin_keys[key],
                 plugin_key_meaning[key]);
}

/* ------------------------------------------------------------ the entry */

/* The name of a manifest whose own name could not be read: its file's. */
static char *name_from_path(const char *path)
{
    const char *base = strrchr(path, '/');
    size_t len;

    base = base != NULL ? base + 1 : path;
    len = strlen(base);
    if (len > strlen(MANIFEST_SUFFIX) &&
        strcmp(base + len - strlen(MANIFEST_SUFFIX), MANIFEST_SUFFIX) == 0)
        len -= strlen(MANIFEST_SUFFIX);
    return strndup(base, len);
}

static char *directory_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        return strdup(".");
    return strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* "kind/name" for a known kind, the bare name otherwise. */
static char *make_full_name(const struct manifest_parse *p)
{
    const struct pikos_plugin_info *info = p->info;
    const char *prefix =
        p->external ? "external" : pikos_kind_plural(info->kind);
    size_t size;
    char *full;

    if (prefix == NULL)
        return strdup(info->name);
    size = strlen(prefix) + 1 + strlen(info->name) + 1;
    full = malloc(size);
    if (full != NULL)
        snprintf(full, size, "%s/%s", prefix, info->name);
    return full;
}

static int fill_entry(struct manifest_parse *p)
{
    struct pikos_plugin_info *info = p->info;

    if (info->name == NULL)
        info->name = name_from_path(p->path);
    info->manifest_path = strdup(p->path);
    info->directory = directory_of(p->path);
    info->full_name = info->name != NULL ? make_full_name(p) : NULL;
    if (info->name == NULL || info->manifest_path == NULL ||
        info->directory == NULL || info->full_name == NULL)
        return PIKOS_ENOMEM;
    return PIKOS_OK;
}

int pikos_manifest_read(const char *path, struct pikos_plugin_info *info)
{
    struct manifest_parse p = {.path = path, .info = info};
    size_t size = 0;
    char *text;

    memset(info, 0, sizeof(*info));
    text = read_file(&p, &size);
    if (text != NULL) {
        check_text(&p, text, size);
        if (p.error.code == PIKOS_OK)
            parse_text(&p, text, size);
        if (p.error.code == PIKOS_OK)
            check_required_keys(&p);
        free(text);
    }
    if (fill_entry(&p) != PIKOS_OK)
        out_of_memory(&p);
    if (p.error.code == PIKOS_OK) {
        info->state = PIKOS_PLUGIN_UNCHECKED;
        return PIKOS_OK;
    }
    info->state = PIKOS_PLUGIN_BROKEN;
    info->reason = strdup(p.error.message);
    return p.error.code;
}

void pikos_manifest_info_clear(struct pikos_plugin_info *info)
{
    for (size_t i = 0; i < info->noptions; i++) {
        free(info->options[i].name);
        free(info->options[i].default_value);
        free(info->options[i].help);
    }
    free(info->options);
    free(info->full_name);
    free(info->name);
    free(info->summary);
    free(info->library);
    free(info->manifest_path);
    free(info->directory);
    free(info->reason);
    free(info->version);
    free(info->python_module);
    free(info->package);
    for (size_t i = 0; i < info->nshadowed; i++)
        free(info->shadowed[i]);
    free(info->shadowed);
    memset(info, 0, sizeof(*info));
}
