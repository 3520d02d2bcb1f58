/* tests/unit/fakehost.c - see fakehost.h. */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fakehost.h"

/* ------------------------------------------------------------ the host */

static struct fake_instance *fake_of(struct pikos_instance *inst)
{
    return (struct fake_instance *)inst; /* inst is its first member */
}

static void fake_log(struct pikos_instance *inst, int level, const char *fmt,
                     ...)
{
    struct fake_instance *fi = fake_of(inst);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fi->last_log, sizeof(fi->last_log), fmt, ap);
    va_end(ap);
    fi->nlogs++;
}

static int fake_set_error(struct pikos_instance *inst, int code,
                          const char *fmt, ...)
{
    struct fake_instance *fi = fake_of(inst);
    if (fi->error_code != 0)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fi->error, sizeof(fi->error), fmt, ap);
    va_end(ap);
    fi->error_code = code;
    return code;
}

/* Stores the record as "v0|v1|...", truncated to FAKE_RECORD_TEXT. */
static int fake_emit(struct pikos_instance *inst,
                     const struct pikos_record *rec)
{
    struct fake_instance *fi = fake_of(inst);
    if (fi->nrecords == FAKE_MAX_RECORDS)
        return PIKOS_ENOMEM;
    char *text = fi->records[fi->nrecords++];
    size_t cap = FAKE_RECORD_TEXT - 1, len = 0;
    for (size_t i = 0; i < rec->schema->nfields; i++) {
        if (i > 0 && len < cap)
            text[len++] = '|';
        size_t n = pikos_format_value(rec->schema->fields[i].type,
                                      &rec->values[i], text + len, cap - len);
        len += n < cap - len ? n : cap - len;
    }
    text[len] = '\0';
    return PIKOS_OK;
}

uint64_t fake_now_ns, fake_run_start_ns, fake_thread_id;

static uint64_t fake_clock_ns(void)
{
    struct timespec now;
    if (fake_now_ns != 0)
        return fake_now_ns;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static uint64_t fake_run_started_ns(struct pikos_instance *inst)
{
    (void)inst;
    return fake_run_start_ns;
}

static uint64_t fake_os_thread_id(void)
{
    return fake_thread_id;
}

/* Allocation events (ABI 1.5): the test gives the events itself; stacks
   have no frames. */
static int fake_stack_frame(uint32_t stack, const struct pikos_code **code,
                            int *lineno, uint32_t *parent)
{
    (void)stack;
    (void)code;
    (void)lineno;
    (void)parent;
    return PIKOS_ENOTFOUND;
}

static int fake_allocations_sample(struct pikos_instance *inst,
                                   uint64_t mean_bytes)
{
    (void)inst;
    (void)mean_bytes;
    return PIKOS_OK;
}

/* Native mode: the test gives the events itself, so nothing to do. */
static int fake_allocations_native(struct pikos_instance *inst, int native)
{
    (void)inst;
    (void)native;
    return PIKOS_OK;
}

static struct pikos_output *fake_output_open(struct pikos_instance *inst,
                                             const char *path)
{
    struct pikos_error err;
    struct pikos_output *out = pikos_output_open(path, &err);
    if (out == NULL)
        fake_set_error(inst, err.code, "%s", err.message);
    else /* as the host does: a failed write is the instance's error */
        pikos_output_set_owner(out, inst, fake_set_error, path);
    return out;
}

static struct pikos_template *fake_template_compile(struct pikos_instance *inst,
                                                    const char *text)
{
    struct pikos_error err;
    struct pikos_template *tpl = pikos_template_compile(text, &err);
    if (tpl == NULL)
        fake_set_error(inst, err.code, "%s", err.message);
    return tpl;
}

const struct pikos_host fake_host = {
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_host),
    .log = fake_log,
    .set_error = fake_set_error,
    .emit = fake_emit,
    .clock_ns = fake_clock_ns,
    .output_open = fake_output_open,
    .output_write = pikos_output_write,
    .output_flush = pikos_output_flush,
    .output_close = pikos_output_close,
    .output_is_terminal = pikos_output_is_terminal,
    .template_compile = fake_template_compile,
    .template_format = pikos_template_format,
    .template_free = pikos_template_free,
    .format_value = pikos_format_value,
    .output_reserve = pikos_output_reserve,
    .output_commit = pikos_output_commit,
    .run_started_ns = fake_run_started_ns,
    .os_thread_id = fake_os_thread_id,
    .output_set_ending = pikos_output_set_ending,
    .state_resize = pikos_state_resize,
    .state_get = pikos_state_get,
    .stack_frame = fake_stack_frame,
    .allocations_sample = fake_allocations_sample,
    .allocations_native = fake_allocations_native,
};

/* ------------------------------------------------------------ options */

/* The value `settings` gives the option ("key=value"), or NULL. */
static const char *given_value(const char *const *settings, const char *name)
{
    size_t len = strlen(name);
    for (; settings && *settings; settings++)
        if (strncmp(*settings, name, len) == 0 && (*settings)[len] == '=')
            return *settings + len + 1;
    return NULL;
}

static int names_an_option(const struct pikos_plugin *plugin,
                           const char *setting)
{
    for (const struct pikos_option *o = plugin->options; o && o->name; o++) {
        size_t len = strlen(o->name);
        if (strncmp(setting, o->name, len) == 0 && setting[len] == '=')
            return 1;
    }
    return 0;
}

/* Stores each option (given, else its default) with the host's own parser,
   as pikos_options_apply does. */
static int apply_settings(const struct pikos_plugin *plugin, void *ctx,
                          const char *const *settings)
{
    for (const char *const *s = settings; s && *s; s++)
        if (!names_an_option(plugin, *s))
            return -1;
    for (const struct pikos_option *o = plugin->options; o && o->name; o++) {
        const char *text = given_value(settings, o->name);
        if (text == NULL)
            text = o->default_value;
        if (text != NULL &&
            pikos_option_parse(o->type, text, (char *)ctx + o->offset) != 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ instances */

static void release_schemas(struct fake_instance *fi);

struct fake_instance *fake_instance_new(const struct pikos_plugin *plugin,
                                        const char *const *settings)
{
    struct fake_instance *fi = calloc(1, sizeof(*fi));
    void *ctx = calloc(1, plugin->ctx_size ? plugin->ctx_size : 1);
    if (fi == NULL || ctx == NULL) {
        free(fi);
        free(ctx);
        return NULL;
    }
    fi->plugin = plugin;
    fi->ctx = ctx;
    fi->inst.plugin = plugin; /* as the real instance has them */
    fi->inst.ctx = ctx;
    if (apply_settings(plugin, fi->ctx, settings) != 0) {
        pikos_options_release(plugin, fi->ctx, NULL);
        free(fi->ctx);
        free(fi);
        return NULL;
    }
    fi->init_rc =
        plugin->init ? plugin->init(&fi->inst, fi->ctx, &fake_host) : 0;
    return fi;
}

void fake_instance_free(struct fake_instance *fi)
{
    if (fi == NULL)
        return;
    if (fi->init_rc == PIKOS_OK)
        release_schemas(fi);
    if (fi->init_rc == PIKOS_OK && fi->plugin->fini != NULL)
        fi->plugin->fini(&fi->inst, fi->ctx);
    pikos_state_free(&fi->inst);
    pikos_options_release(fi->plugin, fi->ctx, NULL);
    free(fi->ctx);
    free(fi);
}

/* ------------------------------------------------------------ schemas */

static int has_schema_callbacks(const struct pikos_plugin *plugin)
{
    return PIKOS_PLUGIN_HAS(plugin, release_schema);
}

static struct pikos_prepared *find_schema(struct fake_instance *fi,
                                          const struct pikos_schema *schema)
{
    for (size_t i = 0; i < fi->nschemas; i++)
        if (fi->schemas[i].schema == schema)
            return &fi->schemas[i];
    return NULL;
}

static int call_prepare(struct fake_instance *fi,
                        const struct pikos_schema *schema, void **schema_ctx)
{
    const struct pikos_plugin *p = fi->plugin;

    *schema_ctx = NULL;
    if (has_schema_callbacks(p) && p->prepare_schema != NULL)
        return p->prepare_schema(&fi->inst, fi->ctx, schema, schema_ctx);
    if (p->kind == PIKOS_KIND_FILTER && p->filter_prepare != NULL)
        return p->filter_prepare(&fi->inst, fi->ctx, schema);
    if (p->kind == PIKOS_KIND_RECORDER && p->prepare != NULL)
        return p->prepare(&fi->inst, fi->ctx, schema);
    return PIKOS_OK;
}

int fake_prepare(struct fake_instance *fi, const struct pikos_schema *schema)
{
    void *schema_ctx;
    int rc;

    if (find_schema(fi, schema) != NULL)
        return PIKOS_OK;
    if (fi->nschemas == FAKE_MAX_SCHEMAS)
        return PIKOS_ENOMEM; /* the fake's own limit, not the host's */
    rc = call_prepare(fi, schema, &schema_ctx);
    if (rc == PIKOS_OK)
        fi->schemas[fi->nschemas++] =
            (struct pikos_prepared){schema, schema_ctx};
    return rc;
}

int fake_filter(struct fake_instance *fi, const struct pikos_record *rec)
{
    const struct pikos_plugin *p = fi->plugin;
    int rc = fake_prepare(fi, rec->schema);

    if (rc != PIKOS_OK)
        return rc;
    if (has_schema_callbacks(p) && p->filter_schema != NULL)
        return p->filter_schema(&fi->inst, fi->ctx,
                                find_schema(fi, rec->schema)->ctx, rec);
    return p->filter(&fi->inst, fi->ctx, rec);
}

int fake_record(struct fake_instance *fi, const struct pikos_record *rec)
{
    const struct pikos_plugin *p = fi->plugin;
    int rc = fake_prepare(fi, rec->schema);

    if (rc != PIKOS_OK)
        return rc;
    if (has_schema_callbacks(p) && p->record_schema != NULL)
        return p->record_schema(&fi->inst, fi->ctx,
                                find_schema(fi, rec->schema)->ctx, rec);
    return p->record(&fi->inst, fi->ctx, rec);
}

static void release_schemas(struct fake_instance *fi)
{
    const struct pikos_plugin *p = fi->plugin;

    for (size_t i = 0; i < fi->nschemas; i++)
        if (has_schema_callbacks(p) && p->release_schema != NULL)
            p->release_schema(&fi->inst, fi->ctx, fi->schemas[i].schema,
                              fi->schemas[i].ctx);
    fi->nschemas = 0;
}

/* ------------------------------------------------------------ files */

void fake_temp_file(char path[64])
{
    snprintf(path, 64, "/tmp/pikos-test-XXXXXX");
    int fd = mkstemp(path);
    if (fd >= 0)
        close(fd);
}

void fake_remove_dir(const char *dir)
{
    DIR *listing = opendir(dir);
    struct dirent *entry;
    while (listing != NULL && (entry = readdir(listing)) != NULL)
        if (entry->d_name[0] != '.')
            unlinkat(dirfd(listing), entry->d_name, 0);
    if (listing != NULL)
        closedir(listing);
    rmdir(dir);
}

char *fake_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, len = 0, n;
    char *text = malloc(cap);
    while (text != NULL && (n = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len == 1) {
            char *bigger = realloc(text, cap *= 2);
            if (bigger == NULL)
                free(text);
            text = bigger;
        }
    }
    fclose(f);
    if (text != NULL)
        text[len] = '\0';
    return text;
}
