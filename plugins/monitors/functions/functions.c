/*
 * monitors/functions - one FunctionRecord per Python function event.
 *
 * The seed's FunctionMonitor: for every call, return, c_call, c_return and
 * c_exception it records (index, type, function, lineNo, filename), where
 * index is this monitor's event counter.  The counter runs before any
 * filter, so filtered records leave gaps in it, as in the seed.
 *
 * The record is built on the stack from the strings the core already holds
 * for the code object: nothing is allocated or formatted per event.
 *
 * With time=true (common/timing.h) it emits TimedFunctionRecord instead:
 * the same fields, then firstLineNo (the function's first line, the
 * co_firstlineno that cProfile and pprof name a function by, 0 for C
 * functions), time and thread.
 *
 * Its options `functions` (focus) and `threads` are handled by the host
 * (plugin.h): declaring them is all the monitor does; the events it is
 * given are already the ones to record.
 */
#include <stddef.h>
#include <string.h>

#include <pikos/plugin.h>

#include "../common/timing.h"

enum function_field {
    FIELD_INDEX,
    FIELD_TYPE,
    FIELD_FUNCTION,
    FIELD_LINENO,
    FIELD_FILENAME,
    FIELD_COUNT,
    /* TimedFunctionRecord's */
    FIELD_FIRST_LINENO = FIELD_COUNT,
    FIELD_TIME,
    FIELD_THREAD,
    FIELD_TIMED_COUNT
};

static const struct pikos_field function_record_fields[FIELD_TIMED_COUNT] = {
    [FIELD_INDEX] = {"index", PIKOS_FIELD_INT},
    [FIELD_TYPE] = {"type", PIKOS_FIELD_STR},
    [FIELD_FUNCTION] = {"function", PIKOS_FIELD_STR},
    [FIELD_LINENO] = {"lineNo", PIKOS_FIELD_INT},
    [FIELD_FILENAME] = {"filename", PIKOS_FIELD_STR},
    [FIELD_FIRST_LINENO] = {"firstLineNo", PIKOS_FIELD_INT},
    [FIELD_TIME] = {"time", PIKOS_FIELD_INT},
    [FIELD_THREAD] = {"thread", PIKOS_FIELD_INT},
};

static const struct pikos_schema function_record = {
    .name = "FunctionRecord",
    .nfields = FIELD_COUNT,
    .fields = function_record_fields,
    .header_template = "{:<8} {:<11} {:<30} {:<5} {}",
    .line_template = "{:<8} {:<11} {:<30} {:<5} {}",
};

static const struct pikos_schema timed_function_record = {
    .name = "TimedFunctionRecord",
    .nfields = FIELD_TIMED_COUNT,
    .fields = function_record_fields,
    .header_template = "{:<8} {:<11} {:<30} {:<5} {} {:<5} {:>15} {}",
    .line_template = "{:<8} {:<11} {:<30} {:<5} {} {:<5} {:>15} {}",
};

struct functions_ctx {
    struct timing timing; /* option time */
    const struct pikos_host *host;
    int64_t index; /* events seen so far; kept across start/stop as the
                      seed's monitor keeps its counter */
    size_t type_len[PIKOS_EVENT_COUNT];       /* strlen of each event name */
};

static const struct pikos_option functions_options[] = {
    TIMING_OPTION(struct functions_ctx, timing),
    {0},
};

static int functions_init(struct pikos_instance *inst, void *ctx,
                          const struct pikos_host *host)
{
    struct functions_ctx *self = ctx;
    self->host = host;
    self->index = 0;
    for (uint32_t type = 0; type < PIKOS_EVENT_COUNT; type++)
        self->type_len[type] = strlen(pikos_event_name(type));
    return timing_init(&self->timing, inst, host);
}

static int functions_start(struct pikos_instance *inst, void *ctx)
{
    timing_start(&((struct functions_ctx *)ctx)->timing, inst);
    return PIKOS_OK;
}

static const struct pikos_schema *functions_schema(struct pikos_instance *inst,
                                                   void *ctx)
{
    (void)inst;
    return ((struct functions_ctx *)ctx)->timing.enabled
               ? &timed_function_record
               : &function_record;
}

static int is_c_event(uint32_t type)
{
    return type == PIKOS_EVENT_C_CALL || type == PIKOS_EVENT_C_RETURN ||
           type == PIKOS_EVENT_C_EXCEPTION;
}

static void set_text(struct pikos_value *v, const char *text, size_t len)
{
    v->u.s.ptr = text;
    v->u.s.len = len;
}

static void functions_on_event(struct pikos_instance *inst, void *ctx,
                               const struct pikos_event *ev)
{
    struct functions_ctx *self = ctx;
    struct pikos_value values[FIELD_TIMED_COUNT];
    struct pikos_record record = {&function_record, values};

    if (ev->type >= PIKOS_EVENT_COUNT)
        return; /* not a function event: the mask keeps these away */

    values[FIELD_INDEX].u.i = self->index++;
    set_text(&values[FIELD_TYPE], pikos_event_name(ev->type),
             self->type_len[ev->type]);
    set_text(&values[FIELD_FUNCTION], ev->function, ev->function_len);
    values[FIELD_LINENO].u.i = ev->lineno;
    if (ev->code != NULL)
        set_text(&values[FIELD_FILENAME], ev->code->filename,
                 ev->code->filename_len);
    else
        set_text(&values[FIELD_FILENAME], "", 0);
    if (self->timing.enabled) {
        record.schema = &timed_function_record;
        values[FIELD_FIRST_LINENO].u.i =
            ev->code != NULL && !is_c_event(ev->type) ? ev->code->firstlineno
                                                      : 0;
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
    .name = "functions",
    .version = "0.1.0",
    .description = "Record every Python function event (call, return, "
                   "c_call, c_return, c_exception) as a FunctionRecord",
    .options = functions_options,
    .ctx_size = sizeof(struct functions_ctx),
    .init = functions_init,
    .start = functions_start,
    .event_mask = PIKOS_EVENTS_FUNCTION,
    .monitor_flags = PIKOS_MONITOR_HOST_OPTIONS | PIKOS_MONITOR_TIME_OPTION,
    .schema = &function_record,
    .on_event = functions_on_event,
    .instance_schema = functions_schema,
});
