/*
 * monitors/line_memory - one LineMemoryRecord per Python line event.
 *
 * The seed's LineMemoryMonitor: for every line about to run it records
 * (index, function, lineNo, RSS, VMS, line, filename): the process's
 * resident and virtual memory in bytes just before the line runs, and the
 * line's source text from the host's source-line cache.  index counts the
 * events this monitor receives (filtered records leave gaps).
 *
 * Memory is read as `memory=` says (common/memory_mode.h): exactly at
 * every event (one pread of a kept-open /proc/self/statm), or from the
 * host's sampler thread.  With time=true (common/timing.h) it emits
 * TimedLineMemoryRecord: the same fields, then time and thread.  Focus
 * (`functions`) and threads (`threads`) are handled by the host.
 */
#include <stddef.h>

#include <pikos/plugin.h>

#include "../common/memory_mode.h"
#include "../common/timing.h"

enum line_memory_field {
    FIELD_INDEX,
    FIELD_FUNCTION,
    FIELD_LINENO,
    FIELD_RSS,
    FIELD_VMS,
    FIELD_LINE,
    FIELD_FILENAME,
    FIELD_COUNT,
    /* TimedLineMemoryRecord's */
    FIELD_TIME = FIELD_COUNT,
    FIELD_THREAD,
    FIELD_TIMED_COUNT
};

static const struct pikos_field line_memory_record_fields[FIELD_TIMED_COUNT] = {
    [FIELD_INDEX] = {"index", PIKOS_FIELD_INT},
    [FIELD_FUNCTION] = {"function", PIKOS_FIELD_STR},
    [FIELD_LINENO] = {"lineNo", PIKOS_FIELD_INT},
    [FIELD_RSS] = {"RSS", PIKOS_FIELD_INT},
    [FIELD_VMS] = {"VMS", PIKOS_FIELD_INT},
    [FIELD_LINE] = {"line", PIKOS_FIELD_STR},
    [FIELD_FILENAME] = {"filename", PIKOS_FIELD_STR},
    [FIELD_TIME] = {"time", PIKOS_FIELD_INT},
    [FIELD_THREAD] = {"thread", PIKOS_FIELD_INT},
};

/* The seed's templates (its rendering lost the ':' of "{:^12}"). */
static const struct pikos_schema line_memory_record = {
    .name = "LineMemoryRecord",
    .nfields = FIELD_COUNT,
    .fields = line_memory_record_fields,
    .header_template = "{:^12} | {:^30} | {:^7} | {:^15} | {:^15} | {} {}",
    .line_template = "{:<12} | {:<30} | {:<7} | {:>15} | {:>15} | {} {}",
};

static const struct pikos_schema timed_line_memory_record = {
    .name = "TimedLineMemoryRecord",
    .nfields = FIELD_TIMED_COUNT,
    .fields = line_memory_record_fields,
    .header_template =
        "{:^12} | {:^30} | {:^7} | {:^15} | {:^15} | {} {} | {:>15} | {}",
    .line_template =
        "{:<12} | {:<30} | {:<7} | {:>15} | {:>15} | {} {} | {:>15} | {}",
};

struct line_memory_ctx {
    /* Options memory and interval, and what they select. */
    struct memory_mode mode;
    struct timing timing; /* option time */

    const struct pikos_host *host;
    int64_t index; /* events seen so far, kept across stop and start */
};

static const struct pikos_option line_memory_options[] = {
    {"memory", PIKOS_OPT_STRING, 0, "exact", MEMORY_MODE_MEMORY_HELP,
     offsetof(struct line_memory_ctx, mode.memory)},
    {"interval", PIKOS_OPT_INT, 0, "100", MEMORY_MODE_INTERVAL_HELP,
     offsetof(struct line_memory_ctx, mode.interval)},
    TIMING_OPTION(struct line_memory_ctx, timing),
    {0},
};

static int line_memory_init(struct pikos_instance *inst, void *ctx,
                            const struct pikos_host *host)
{
    struct line_memory_ctx *self = ctx;

    if (!PIKOS_HOST_HAS(host, source_line) || host->source_line == NULL)
        return host->set_error(inst, PIKOS_EABI,
                               "this pikos has no source-line cache; "
                               "upgrade pikos to use this monitor");
    self->host = host;
    self->index = 0;
    if (timing_init(&self->timing, inst, host) != PIKOS_OK)
        return PIKOS_EABI;
    return memory_mode_init(&self->mode, inst, host);
}

static int line_memory_start(struct pikos_instance *inst, void *ctx)
{
    struct line_memory_ctx *self = ctx;

    timing_start(&self->timing, inst);
    return memory_mode_start(&self->mode, inst);
}

static const struct pikos_schema *
line_memory_schema(struct pikos_instance *inst, void *ctx)
{
    (void)inst;
    return ((struct line_memory_ctx *)ctx)->timing.enabled
               ? &timed_line_memory_record
               : &line_memory_record;
}

static int line_memory_stop(struct pikos_instance *inst, void *ctx)
{
    return memory_mode_stop(&((struct line_memory_ctx *)ctx)->mode, inst);
}

static void set_text(struct pikos_value *v, const char *text, size_t len)
{
    v->u.s.ptr = text;
    v->u.s.len = len;
}

static void line_memory_on_event(struct pikos_instance *inst, void *ctx,
                                 const struct pikos_event *ev)
{
    struct line_memory_ctx *self = ctx;
    const struct pikos_code *code = ev->code;
    struct pikos_value values[FIELD_TIMED_COUNT];
    struct pikos_record record = {&line_memory_record, values};
    const char *line;
    size_t line_len;
    uint64_t rss, vms;

    values[FIELD_INDEX].u.i = self->index++;
    /* Memory first: it is the state before the line runs, and reading the
       source of a new file allocates. */
    if (self->mode.read(&rss, &vms) != PIKOS_OK) {
        memory_mode_failed(&self->mode, inst);
        return;
    }
    if (self->host->source_line(code, ev->lineno, &line, &line_len) < 0)
        self->host->set_error(inst, PIKOS_ENOMEM,
                              "out of memory while reading the source of %s",
                              code->filename);
    set_text(&values[FIELD_FUNCTION], code->name, code->name_len);
    values[FIELD_LINENO].u.i = ev->lineno;
    values[FIELD_RSS].u.i = (int64_t)rss;
    values[FIELD_VMS].u.i = (int64_t)vms;
    set_text(&values[FIELD_LINE], line, line_len);
    set_text(&values[FIELD_FILENAME], code->filename, code->filename_len);
    if (self->timing.enabled) {
        record.schema = &timed_line_memory_record;
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
    .name = "line_memory",
    .version = "0.1.0",
    .description = "Record the process's memory (RSS, VMS) at every Python "
                   "line event as a LineMemoryRecord",
    .options = line_memory_options,
    .ctx_size = sizeof(struct line_memory_ctx),
    .init = line_memory_init,
    .start = line_memory_start,
    .stop = line_memory_stop,
    .event_mask = PIKOS_EVENT_BIT(PIKOS_EVENT_LINE),
    .monitor_flags = PIKOS_MONITOR_HOST_OPTIONS | PIKOS_MONITOR_TIME_OPTION,
    .schema = &line_memory_record,
    .instance_schema = line_memory_schema,
    .on_event = line_memory_on_event,
});
