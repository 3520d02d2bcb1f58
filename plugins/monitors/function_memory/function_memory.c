/*
 * monitors/function_memory - one FunctionMemoryRecord per Python function
 * event.
 *
 * The seed's FunctionMemoryMonitor: for every call, return, c_call,
 * c_return and c_exception it records (index, type, function, RSS, VMS,
 * lineNo, filename): the process's resident and virtual memory in bytes at
 * the event.  index counts the events this monitor receives (filtered
 * records leave gaps).
 *
 * Memory is read as `memory=` says (common/memory_mode.h): exactly at
 * every event (one pread of a kept-open /proc/self/statm), or from the
 * host's sampler thread.  With time=true (common/timing.h) it emits
 * TimedFunctionMemoryRecord: the same fields, then firstLineNo (as in
 * monitors/functions), time and thread.  Focus (`functions`) and threads
 * (`threads`) are handled by the host.
 */
#include <stddef.h>
#include <string.h>

#include <pikos/plugin.h>

#include "../common/memory_mode.h"
#include "../common/timing.h"

enum function_memory_field {
    FIELD_INDEX,
    FIELD_TYPE,
    FIELD_FUNCTION,
    FIELD_RSS,
    FIELD_VMS,
    FIELD_LINENO,
    FIELD_FILENAME,
    FIELD_COUNT,
    /* TimedFunctionMemoryRecord's */
    FIELD_FIRST_LINENO = FIELD_COUNT,
    FIELD_TIME,
    FIELD_THREAD,
    FIELD_TIMED_COUNT
};

static const struct pikos_field function_memory_record_fields[FIELD_TIMED_COUNT] = {
    [FIELD_INDEX] = {"index", PIKOS_FIELD_INT},
    [FIELD_TYPE] = {"type", PIKOS_FIELD_STR},
    [FIELD_FUNCTION] = {"function", PIKOS_FIELD_STR},
    [FIELD_RSS] = {"RSS", PIKOS_FIELD_INT},
    [FIELD_VMS] = {"VMS", PIKOS_FIELD_INT},
    [FIELD_LINENO] = {"lineNo", PIKOS_FIELD_INT},
    [FIELD_FILENAME] = {"filename", PIKOS_FIELD_STR},
    [FIELD_FIRST_LINENO] = {"firstLineNo", PIKOS_FIELD_INT},
    [FIELD_TIME] = {"time", PIKOS_FIELD_INT},
    [FIELD_THREAD] = {"thread", PIKOS_FIELD_INT},
};

/* The seed's templates (its rendering lost the ':' of "{:<8}"). */
static const struct pikos_schema function_memory_record = {
    .name = "FunctionMemoryRecord",
    .nfields = FIELD_COUNT,
    .fields = function_memory_record_fields,
    .header_template = "{:<8} | {:<11} | {:<12} | {:<15} | {:<15} | {:>6} | {}",
    .line_template = "{:>8} | {:<11} | {:<12} | {:>15} | {:>15} | {:>6} | {}",
};

static const struct pikos_schema timed_function_memory_record = {
    .name = "TimedFunctionMemoryRecord",
    .nfields = FIELD_TIMED_COUNT,
    .fields = function_memory_record_fields,
    .header_template = "{:<8} | {:<11} | {:<12} | {:<15} | {:<15} | {:>6} | "
                       "{} | {:>6} | {:>15} | {}",
    .line_template = "{:>8} | {:<11} | {:<12} | {:>15} | {:>15} | {:>6} | "
                     "{} | {:>6} | {:>15} | {}",
};

struct function_memory_ctx {
    /* Options memory and interval, and what they select. */
    struct memory_mode mode;
    struct timing timing; /* option time */

    const struct pikos_host *host;
    int64_t index; /* events seen so far, kept across stop and start */
    size_t type_len[PIKOS_EVENT_COUNT]; /* strlen of each event name */
};

static const struct pikos_option function_memory_options[] = {
    {"memory", PIKOS_OPT_STRING, 0, "exact", MEMORY_MODE_MEMORY_HELP,
     offsetof(struct function_memory_ctx, mode.memory)},
    {"interval", PIKOS_OPT_INT, 0, "100", MEMORY_MODE_INTERVAL_HELP,
     offsetof(struct function_memory_ctx, mode.interval)},
    TIMING_OPTION(struct function_memory_ctx, timing),
    {0},
};

static int function_memory_init(struct pikos_instance *inst, void *ctx,
                                const struct pikos_host *host)
{
    struct function_memory_ctx *self = ctx;

    self->host = host;
    self->index = 0;
    for (uint32_t type = 0; type < PIKOS_EVENT_COUNT; type++)
        self->type_len[type] = strlen(pikos_event_name(type));
    if (timing_init(&self->timing, inst, host) != PIKOS_OK)
        return PIKOS_EABI;
    return memory_mode_init(&self->mode, inst, host);
}

static int function_memory_start(struct pikos_instance *inst, void *ctx)
{
    struct function_memory_ctx *self = ctx;

    timing_start(&self->timing, inst);
    return memory_mode_start(&self->mode, inst);
}

static const struct pikos_schema *
function_memory_schema(struct pikos_instance *inst, void *ctx)
{
    (void)inst;
    return ((struct function_memory_ctx *)ctx)->timing.enabled
               ? &timed_function_memory_record
               : &function_memory_record;
}

static int is_c_event(uint32_t type)
{
    return type == PIKOS_EVENT_C_CALL || type == PIKOS_EVENT_C_RETURN ||
           type == PIKOS_EVENT_C_EXCEPTION;
}

static int function_memory_stop(struct pikos_instance *inst, void *ctx)
{
    return memory_mode_stop(&((struct function_memory_ctx *)ctx)->mode, inst);
}

static void set_text(struct pikos_value *v, const char *text, size_t len)
{
    v->u.s.ptr = text;
    v->u.s.len = len;
}

static void function_memory_on_event(struct pikos_instance *inst, void *ctx,
                                     const struct pikos_event *ev)
{
    struct function_memory_ctx *self = ctx;
    struct pikos_value values[FIELD_TIMED_COUNT];
    struct pikos_record record = {&function_memory_record, values};
    uint64_t rss, vms;

    if (ev->type >= PIKOS_EVENT_COUNT)
        return; /* not a function event: the mask keeps these away */
    values[FIELD_INDEX].u.i = self->index++;
    if (self->mode.read(&rss, &vms) != PIKOS_OK) {
        memory_mode_failed(&self->mode, inst);
        return;
    }
    set_text(&values[FIELD_TYPE], pikos_event_name(ev->type),
             self->type_len[ev->type]);
    set_text(&values[FIELD_FUNCTION], ev->function, ev->function_len);
    values[FIELD_RSS].u.i = (int64_t)rss;
    values[FIELD_VMS].u.i = (int64_t)vms;
    values[FIELD_LINENO].u.i = ev->lineno;
    set_text(&values[FIELD_FILENAME], ev->code->filename,
             ev->code->filename_len);
    if (self->timing.enabled) {
        record.schema = &timed_function_memory_record;
        values[FIELD_FIRST_LINENO].u.i =
            is_c_event(ev->type) ? 0 : ev->code->firstlineno;
        timing_fill(&self->timing, ev, &values[FIELD_TIME],
                    &values[FIELD_THREAD]);
    }
    self->host->emit(inst, &record);
}

PIKOS_PLUGIN_DEFINE({
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_MONITOR,
    .name = "function_memory",
    .version = "0.1.0",
    .description = "Record the process's memory (RSS, VMS) at every Python "
                   "function event as a FunctionMemoryRecord",
    .options = function_memory_options,
    .ctx_size = sizeof(struct function_memory_ctx),
    .init = function_memory_init,
    .start = function_memory_start,
    .stop = function_memory_stop,
    .event_mask = PIKOS_EVENTS_FUNCTION,
    .monitor_flags = PIKOS_MONITOR_HOST_OPTIONS | PIKOS_MONITOR_TIME_OPTION,
    .schema = &function_memory_record,
    .instance_schema = function_memory_schema,
    .on_event = function_memory_on_event,
});
