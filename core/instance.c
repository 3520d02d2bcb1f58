/*
 * core/instance.c - one configured plugin: its context, its options, its
 * sticky error and its log.
 *
 * Creating an instance finds the plugin, loads it on first use, stores the
 * options in a fresh context and calls `init`; a failure at any step frees
 * everything and leaves one line in *err.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Releases the contexts of the schemas the instance was prepared for
   (ABI 1.2): they live as long as the instance, as its context does. */
static void release_schemas(struct pikos_instance *inst)
{
    for (size_t i = 0; inst->release_schema && i < inst->nprepared; i++) {
        const struct pikos_prepared *p = &inst->prepared[i];
        PIKOS_CALL_ENTER(outer, inst, "release_schema");
        inst->release_schema(inst, inst->ctx, p->schema, p->ctx);
        PIKOS_CALL_LEAVE(outer);
    }
    inst->nprepared = 0;
}

static void destroy(struct pikos_instance *inst)
{
    if (inst->initialized)
        release_schemas(inst);
    if (inst->initialized && inst->plugin->fini != NULL) {
        PIKOS_CALL_ENTER(outer, inst, "fini");
        inst->plugin->fini(inst, inst->ctx);
        PIKOS_CALL_LEAVE(outer);
    }
    pikos_state_free(inst);
    pikos_options_release(inst->plugin, inst->ctx, &inst->host_values);
    free(inst->ctx);
    free(inst->prepared);
    free(inst->schemas);
    free(inst->error_message);
    free(inst->unmatched_focus);
    free(inst->spec);
    free(inst);
}

static struct pikos_instance *allocate(struct pikos_plugin_info *info,
                                       struct pikos_error *err)
{
    const struct pikos_plugin *plugin = info->descriptor;
    struct pikos_instance *inst = calloc(1, sizeof(*inst));

    if (inst == NULL)
        goto out_of_memory;
    inst->info = info;
    inst->plugin = plugin;
    if (plugin->ctx_size > 0) {
        inst->ctx = calloc(1, plugin->ctx_size);
        if (inst->ctx == NULL)
            goto out_of_memory;
    }
    return inst;

out_of_memory:
    free(inst);
    pikos_error_set(err, PIKOS_ENOMEM, "[%s] out of memory", info->full_name);
    return NULL;
}

static int initialize(struct pikos_instance *inst, struct pikos_error *err)
{
    int rc;

    if (inst->plugin->init == NULL) {
        inst->initialized = 1;
        return PIKOS_OK;
    }
    PIKOS_CALL_ENTER(outer, inst, "init");
    rc = inst->plugin->init(inst, inst->ctx, &pikos_host_table);
    PIKOS_CALL_LEAVE(outer);
    if (rc == PIKOS_OK) {
        inst->initialized = 1;
        return PIKOS_OK;
    }
    if (inst->error_code != PIKOS_OK)
        return pikos_instance_take_error(inst, err);
    return pikos_error_set(err, rc < 0 ? rc : PIKOS_EPLUGIN,
                           "[%s] init failed (code %d)", inst->info->full_name,
                           rc);
}

PIKOS_EXPORT struct pikos_instance *
pikos_instance_new(struct pikos_registry *reg, const char *name,
                   const struct pikos_option_setting *settings,
                   size_t nsettings, struct pikos_error *err)
{
    struct pikos_plugin_info *info = pikos_registry_find(reg, name, err);
    struct pikos_instance *inst;

    if (info == NULL || pikos_registry_load(reg, info, err) != PIKOS_OK)
        return NULL;
    inst = allocate(info, err);
    if (inst == NULL)
        return NULL;
    if (pikos_state_keep_spec(inst, settings, nsettings) != PIKOS_OK) {
        pikos_error_set(err, PIKOS_ENOMEM, "[%s] out of memory",
                        info->full_name);
        destroy(inst);
        return NULL;
    }
    if (pikos_options_apply(info, settings, nsettings, inst->ctx,
                            &inst->host_values, err) != PIKOS_OK ||
        (info->kind == PIKOS_KIND_MONITOR &&
         pikos_hook_check_options(inst, err) != PIKOS_OK) ||
        initialize(inst, err) != PIKOS_OK) {
        destroy(inst);
        return NULL;
    }
    return inst;
}

PIKOS_EXPORT void pikos_instance_free(struct pikos_instance *inst)
{
    if (inst != NULL)
        destroy(inst);
}

PIKOS_EXPORT const struct pikos_plugin *
pikos_instance_plugin(const struct pikos_instance *inst)
{
    return inst->plugin;
}

PIKOS_EXPORT const char *pikos_instance_name(const struct pikos_instance *inst)
{
    return inst->info->full_name;
}

PIKOS_EXPORT void *pikos_instance_ctx(struct pikos_instance *inst)
{
    return inst->ctx;
}

PIKOS_EXPORT int pikos_instance_query(struct pikos_instance *inst,
                                      const char *what, void *answer)
{
    /* query came after 1.0: an older descriptor ends before it. */
    if (!PIKOS_PLUGIN_HAS(inst->plugin, query) || inst->plugin->query == NULL)
        return PIKOS_ENOTFOUND;
    return inst->plugin->query(inst, inst->ctx, what, answer);
}

/* ------------------------------------------------------------ diagnostics */

static const char *level_prefix(int level)
{
    switch (level) {
    case PIKOS_LOG_ERROR:
        return "error: ";
    case PIKOS_LOG_WARNING:
        return "warning: ";
    case PIKOS_LOG_DEBUG:
        return "debug: ";
    default:
        return "";
    }
}

int pikos_debug_enabled(void)
{
    const char *debug = getenv("PIKOS_DEBUG");
    return debug != NULL && *debug != '\0';
}

void pikos_instance_log(struct pikos_instance *inst, int level, const char *fmt,
                        ...)
{
    char message[1024];
    va_list ap;

    if (level > PIKOS_LOG_WARNING && !pikos_debug_enabled())
        return;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    /* One fprintf per line, so lines of several plugins do not mix. */
    fprintf(stderr, "pikos: [%s] %s%s\n",
            inst != NULL ? inst->info->full_name : "?", level_prefix(level),
            message);
}

/*
 * Only the first error is kept (later ones are usually its consequences),
 * so a failing hot path formats and allocates once, not once per event.
 */
int pikos_instance_set_error(struct pikos_instance *inst, int code,
                             const char *fmt, ...)
{
    char message[1024];
    va_list ap;

    if (inst == NULL || inst->error_code != PIKOS_OK)
        return code;
    inst->error_code = code < 0 ? code : PIKOS_EPLUGIN;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    inst->error_message = strdup(message); /* NULL: the code still tells */
    return code;
}

int pikos_instance_take_error(struct pikos_instance *inst,
                              struct pikos_error *err)
{
    int code = inst->error_code;

    if (code == PIKOS_OK)
        return PIKOS_OK;
    if (inst->error_message != NULL)
        pikos_error_set(err, code, "[%s] %s", inst->info->full_name,
                        inst->error_message);
    else
        pikos_error_set(err, code, "[%s] failed (code %d)",
                        inst->info->full_name, code);
    free(inst->error_message);
    inst->error_message = NULL;
    inst->error_code = PIKOS_OK;
    return code;
}
