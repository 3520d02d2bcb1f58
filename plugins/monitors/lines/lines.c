/*
 * monitors/lines - one LineRecord per Python line event.
 *
 * The seed's LineMonitor: for every line about to run it records (index,
 * function, lineNo, line, filename), where index is this monitor's event
 * counter (counted before any filter, so filtered records leave gaps) and
 * line the source text the host's source-line cache holds: each file is
 * read once, and a line event costs an array index.
 *
 * With time=true (common/timing.h) it emits TimedLineRecord instead: the
 * same fields, then time and thread.
 *
 * Focus (`functions`) and threads (`threads`) are handled by the host,
 * which delivers only the events that pass them.
 */
#include <stddef.h>

#include <pikos/plugin.h>

#include "../common/timing.h"


enum line_field {
    FIELD_INDEX,
    FIELD_FUNCTION,
    FIELD_LINENO,
    FIELD_LINE,
    FIELD_FILENAME,
    FIELD_COUNT,
    /* TimedLineRecord's */
    FIELD_TIME = FIELD_COUNT,
    FIELD_THREAD,
    FIELD_TIMED_COUNT
};

static const struct pikos_field line_record_fields[FIELD_TIMED_COUNT] = {
    [FIELD_INDEX] = {"index", PIKOS_FIELD_INT},
    [FIELD_FUNCTION] = {"function", PIKOS_FIELD_STR},
    [FIELD_LINENO] = {"lineNo", PIKOS_FIELD_INT},
    [FIELD_LINE] = {"line", PIKOS_FIELD_STR},
    [FIELD_FILENAME] = {"filename", PIKOS_FIELD_STR},
    [FIELD_TIME] = {"time", PIKOS_FIELD_INT},
    [FIELD_THREAD] = {"thread", PIKOS_FIELD_INT},
};

/* The seed's templates; its rendering lost the ':' of "{:<12}". */
static const struct pikos_schema line_record = {
    .name = "LineRecord",
    .nfields = FIELD_COUNT,
    .fields = line_record_fields,
    .header_template = "{:<12} {:<50} {:<7} {} -- {}",
    .line_template = "{:<12} {:<50} {:<7} {} -- {}",
};

static const struct pikos_schema timed_line_record = {
    .name = "TimedLineRecord",
    .nfields = FIELD_TIMED_COUNT,
    .fields = line_record_fields,
    .header_template = "{:<12} {:<50} {:<7} {} -- {} {:>15} {}",
    .line_template = "{:<12} {:<50} {:<7} {} -- {} {:>15} {}",
};

struct lines_ctx {
    struct timing timing; /* option time */
    const struct pikos_host *host;
    int64_t index; /* events seen so far, kept across stop and start */
};

static const struct pikos_option lines_options[] = {
    TIMING_OPTION(struct lines_ctx, timing),
    {0},
};

static int lines_init(struct pikos_instance *inst, void *ctx,
                      const struct pikos_host *host)
{
    struct lines_ctx *self = ctx;

    if (!PIKOS_HOST_HAS(host, source_line) || host->source_line == NULL)
        return host->set_error(inst, PIKOS_EABI,
                               "this pikos has no source-line cache; "
                               "upgrade pikos to use this monitor");
    self->host = host;
    self->index = 0;
    return timing_init(&self->timing, inst, host);
}

static int lines_start(struct pikos_instance *inst, void *ctx)
{
    timing_start(&((struct lines_ctx *)ctx)->timing, inst);
    return PIKOS_OK;
}

static const struct pikos_schema *lines_schema(struct pikos_instance *inst,
                                               void *ctx)
{
    (void)inst;
    return ((struct lines_ctx *)ctx)->timing.enabled ? &timed_line_record
                                                      : &line_record;
}

static void set_text(struct pikos_value *v, const char *text, size_t len)
{
    v->u.s.ptr = text;
    v->u.s.len = len;
}

static void lines_on_event(struct pikos_instance *inst, void *ctx,
                           const struct pikos_event *ev)
{
    struct lines_ctx *self = ctx;
    const struct pikos_code *code = ev->code;
    struct pikos_value values[FIELD_TIMED_COUNT];
    struct pikos_record record = {&line_record, values};
    const char *line;
    size_t line_len;

    /* The text is "<compiled string>" even when this fails (out of
       memory): the record still goes out, and the error surfaces at
       stop. */
    if (self->host->source_line(code, ev->lineno, &line, &line_len) < 0)
        self->host->set_error(inst, PIKOS_ENOMEM,
                              "out of memory while reading the source of %s",
                              code->filename);
    values[FIELD_INDEX].u.i = self->index++;
    set_text(&values[FIELD_FUNCTION], code->name, code->name_len);
    values[FIELD_LINENO].u.i = ev->lineno;
    set_text(&values[FIELD_LINE], line, line_len);
    set_text(&values[FIELD_FILENAME], code->filename, code->filename_len);
    if (self->timing.enabled) {
        record.schema = &timed_line_record;
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
    .name = "lines",
    .version = "0.1.0",
    .description = "Record every Python line event, with the line's source "
                   "text, as a LineRecord",
    .options = lines_options,
    .ctx_size = sizeof(struct lines_ctx),
    .init = lines_init,
    .start = lines_start,
    .event_mask = PIKOS_EVENT_BIT(PIKOS_EVENT_LINE),
    .monitor_flags = PIKOS_MONITOR_HOST_OPTIONS | PIKOS_MONITOR_TIME_OPTION,
    .schema = &line_record,
    .on_event = lines_on_event,
    .instance_schema = lines_schema,
});
