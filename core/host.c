/*
 * core/host.c - the table of services handed to every plugin's `init`.
 *
 * Most entries are the core's own functions.  The wrappers below exist only
 * where a plugin-facing call reports failures differently from the core:
 * plugins learn about errors through their instance's sticky error, the
 * core through a struct pikos_error.  An output the host opens for an
 * instance sets that instance's error itself when a write fails, so a
 * recorder only returns what the output calls return.
 */
#include <time.h>

#include "internal.h"
#include "pipeline.h"

static uint64_t host_clock_ns(void)
{
    return pikos_clock_ns();
}

static uint64_t host_run_started_ns(struct pikos_instance *inst)
{
    return inst->pipeline != NULL ? inst->pipeline->started_ns : 0;
}

static struct pikos_output *host_output_open(struct pikos_instance *inst,
                                             const char *path)
{
    struct pikos_error err;
    /* A recorder with a salvage writes its whole file at finalize: never
       resumed (pikos_outputs_resume). */
    int whole = PIKOS_PLUGIN_HAS(inst->plugin, salvage) &&
                inst->plugin->salvage != NULL;
    struct pikos_output *out = pikos_output_open_as(
        path, pikos_outputs_resuming() && !whole, &err);
    if (out == NULL)
        pikos_instance_set_error(inst, err.code, "%s", err.message);
    else if (pikos_output_set_owner(out, inst, pikos_instance_set_error,
                                    path) != PIKOS_OK) {
        pikos_output_close(out);
        pikos_instance_set_error(inst, PIKOS_ENOMEM, "out of memory");
        return NULL;
    }
    return out;
}

static struct pikos_template *host_template_compile(struct pikos_instance *inst,
                                                    const char *text)
{
    struct pikos_error err;
    struct pikos_template *tpl = pikos_template_compile(text, &err);
    if (tpl == NULL)
        pikos_instance_set_error(inst, err.code, "%s", err.message);
    return tpl;
}

const struct pikos_host pikos_host_table = {
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_host),
    .log = pikos_instance_log,
    .set_error = pikos_instance_set_error,
    .emit = pikos_pipeline_emit,
    .clock_ns = host_clock_ns,
    .output_open = host_output_open,
    .output_write = pikos_output_write,
    .output_flush = pikos_output_flush,
    .output_close = pikos_output_close,
    .output_is_terminal = pikos_output_is_terminal,
    .template_compile = host_template_compile,
    .template_format = pikos_template_format,
    .template_free = pikos_template_free,
    .format_value = pikos_format_value,
    .output_reserve = pikos_output_reserve,
    .output_commit = pikos_output_commit,
    .source_line = pikos_source_line,
    .process_memory = pikos_process_memory,
    .memory_sampler_acquire = pikos_memory_sampler_acquire,
    .memory_sampler_release = pikos_memory_sampler_release,
    .process_memory_sampled = pikos_process_memory_sampled,
    .focus_matches = pikos_focus_match_names,
    .run_started_ns = host_run_started_ns,
    .os_thread_id = pikos_os_thread_id,
    .output_set_ending = pikos_output_set_ending,
    .state_resize = pikos_state_resize,
    .state_get = pikos_state_get,
    .stack_frame = pikos_stack_frame,
    .allocations_sample = pikos_alloc_sample,
    .allocations_native = pikos_alloc_native_ask,
    .safe_point_soon = pikos_alloc_safe_point_soon,
};
