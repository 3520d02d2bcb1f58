/*
 * recorders/text - records as lines of text, on the screen or in a file.
 *
 * The seed's TextStreamRecorder: for each record schema a header line and a
 * line of '-' as long as the header, then one line per record.  Formatted
 * (the default) uses the schema's header/line templates ("{:<8} {:<11}
 * ..."); otherwise the field names and the values are joined by one space.
 *
 * Lines are formatted into a buffer kept in the context, which grows only
 * when a record is longer than any before it, and written to a host output
 * (buffered; flushed after each record when auto_flush is set or the output
 * is a terminal).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pikos/plugin.h>

#define TEXT_INITIAL_LINE 1024

/* How one schema is written: a schema's context (ABI 1.2, so prepared
   once in the recorder's life and its header written once, as the seed's
   recorders do, however often monitoring restarts). */
struct text_schema {
    const struct pikos_schema *schema;
    struct pikos_template *header; /* both NULL: plain, space separated */
    struct pikos_template *line;
};

struct text_ctx {
    /* Options, stored by the host. */
    char *filename;
    int formatted;
    int auto_flush;

    const struct pikos_host *host;
    struct pikos_output *out;
    int flush_each_record;
    char *line; /* the line being written */
    size_t line_cap;
};

static const struct pikos_option text_options[] = {
    {"filename", PIKOS_OPT_STRING, 0, "", "file to write (empty: the screen)",
     offsetof(struct text_ctx, filename)},
    {"formatted", PIKOS_OPT_BOOL, 0, "true",
     "use the record's column templates (false: values separated by spaces)",
     offsetof(struct text_ctx, formatted)},
    {"auto_flush", PIKOS_OPT_BOOL, 0, "false",
     "flush the output after every record",
     offsetof(struct text_ctx, auto_flush)},
    {0},
};

/* ------------------------------------------------------------ writing */

/* The field names (values NULL) or values, joined by one space. */
static size_t join_fields(const struct text_ctx *self,
                          const struct pikos_schema *schema,
                          const struct pikos_value *values, char *buf,
                          size_t cap)
{
    size_t len = 0;
    for (size_t i = 0; i < schema->nfields; i++) {
        if (i > 0) {
            if (len < cap)
                buf[len] = ' ';
            len++;
        }
        struct pikos_value name;
        uint32_t type = schema->fields[i].type;
        if (values == NULL) {
            name.u.s.ptr = schema->fields[i].name;
            name.u.s.len = strlen(name.u.s.ptr);
            type = PIKOS_FIELD_STR;
        }
        size_t at = len < cap ? len : cap;
        len += self->host->format_value(type, values ? &values[i] : &name,
                                        buf + at, cap - at);
    }
    return len;
}

/* The header (values NULL) or a record line, without its newline; returns
   the length it needs, as snprintf. */
static size_t render(const struct text_ctx *self, const struct text_schema *ts,
                     const struct pikos_value *values, char *buf, size_t cap)
{
    if (ts->line == NULL)
        return join_fields(self, ts->schema, values, buf, cap);
    const struct pikos_template *tpl = values ? ts->line : ts->header;
    return self->host->template_format(tpl, ts->schema, values, buf, cap);
}

/* Renders into self->line and appends "\n"; *len gets the total. */
static int render_line(struct text_ctx *self, const struct text_schema *ts,
                       const struct pikos_value *values, size_t *len)
{
    size_t need = render(self, ts, values, self->line, self->line_cap);
    if (need + 1 > self->line_cap) {
        size_t cap = self->line_cap ? self->line_cap : TEXT_INITIAL_LINE;
        while (cap < need + 1)
            cap *= 2;
        char *line = realloc(self->line, cap);
        if (line == NULL)
            return PIKOS_ENOMEM;
        self->line = line;
        self->line_cap = cap;
        render(self, ts, values, self->line, self->line_cap);
    }
    self->line[need] = '\n';
    *len = need + 1;
    return PIKOS_OK;
}

static size_t count_code_points(const char *text, size_t len)
{
    size_t count = 0;
    for (size_t i = 0; i < len; i++)
        count += ((unsigned char)text[i] & 0xC0) != 0x80;
    return count;
}

static int write_dashes(struct text_ctx *self, size_t count)
{
    static const char dashes[] =
        "----------------------------------------------------------------";
    int rc = PIKOS_OK;
    while (count > 0 && rc == PIKOS_OK) {
        size_t chunk = count < sizeof(dashes) - 1 ? count : sizeof(dashes) - 1;
        rc = self->host->output_write(self->out, dashes, chunk);
        count -= chunk;
    }
    return rc == PIKOS_OK ? self->host->output_write(self->out, "\n", 1) : rc;
}

/* The header line and the separator under it, as long as the header. */
static int write_header(struct pikos_instance *inst, struct text_ctx *self,
                        const struct text_schema *ts)
{
    size_t len;
    if (render_line(self, ts, NULL, &len) != PIKOS_OK)
        return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    int rc = self->host->output_write(self->out, self->line, len);
    if (rc == PIKOS_OK)
        rc = write_dashes(self, count_code_points(self->line, len - 1));
    if (rc == PIKOS_OK && self->flush_each_record)
        rc = self->host->output_flush(self->out);
    return rc;
}

/* ------------------------------------------------------------ schemas */

/* Compiles the schema's templates when formatted output is asked for and
   the schema has them (otherwise the schema is written plain). */
static int compile_templates(struct pikos_instance *inst, struct text_ctx *self,
                             struct text_schema *ts)
{
    const struct pikos_schema *schema = ts->schema;
    if (!self->formatted || schema->header_template == NULL ||
        schema->line_template == NULL)
        return PIKOS_OK;
    ts->header = self->host->template_compile(inst, schema->header_template);
    if (ts->header == NULL)
        return PIKOS_EINVAL;
    ts->line = self->host->template_compile(inst, schema->line_template);
    if (ts->line == NULL) {
        self->host->template_free(ts->header);
        ts->header = NULL;
        return PIKOS_EINVAL;
    }
    return PIKOS_OK;
}

static void text_release(struct pikos_instance *inst, void *ctx,
                         const struct pikos_schema *schema, void *schema_ctx)
{
    struct text_ctx *self = ctx;
    struct text_schema *ts = schema_ctx;

    self->host->template_free(ts->header);
    self->host->template_free(ts->line);
    free(ts);
}

static int text_prepare(struct pikos_instance *inst, void *ctx,
                        const struct pikos_schema *schema, void **schema_ctx)
{
    struct text_ctx *self = ctx;
    struct text_schema *ts = calloc(1, sizeof(*ts));
    int rc;

    if (ts == NULL)
        return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    ts->schema = schema;
    rc = compile_templates(inst, self, ts);
    if (rc == PIKOS_OK)
        rc = write_header(inst, self, ts);
    if (rc != PIKOS_OK) { /* the host keeps nothing of a failed prepare */
        text_release(inst, ctx, schema, ts);
        return rc;
    }
    *schema_ctx = ts;
    return PIKOS_OK;
}

/* ------------------------------------------------------------ lifecycle */

static int text_init(struct pikos_instance *inst, void *ctx,
                     const struct pikos_host *host)
{
    struct text_ctx *self = ctx;
    self->host = host;
    self->line = malloc(TEXT_INITIAL_LINE);
    if (self->line == NULL)
        return host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    self->line_cap = TEXT_INITIAL_LINE;
    /* Opened now, so that an unwritable path fails before the program
       runs; the host has set the error. */
    self->out = host->output_open(inst, self->filename);
    if (self->out == NULL) {
        free(self->line);
        self->line = NULL;
        return PIKOS_EIO;
    }
    self->flush_each_record =
        self->auto_flush || host->output_is_terminal(self->out);
    return PIKOS_OK;
}

static int text_record(struct pikos_instance *inst, void *ctx, void *schema_ctx,
                       const struct pikos_record *rec)
{
    struct text_ctx *self = ctx;
    size_t len;
    int rc;

    if (render_line(self, schema_ctx, rec->values, &len) != PIKOS_OK)
        return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    rc = self->host->output_write(self->out, self->line, len);
    if (rc == PIKOS_OK && self->flush_each_record)
        rc = self->host->output_flush(self->out);
    return rc;
}

static int text_flush(struct pikos_instance *inst, void *ctx)
{
    struct text_ctx *self = ctx;
    return self->host->output_flush(self->out);
}

static void text_fini(struct pikos_instance *inst, void *ctx)
{
    struct text_ctx *self = ctx;
    if (self->out != NULL)
        self->host->output_close(self->out); /* standard output: flushed */
    self->out = NULL;
    free(self->line);
    self->line = NULL;
    self->line_cap = 0;
}

PIKOS_PLUGIN_DEFINE({
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_RECORDER,
    .name = "text",
    .version = "0.1.0",
    .description = "Write records as text lines to the screen or a file",
    .options = text_options,
    .ctx_size = sizeof(struct text_ctx),
    .init = text_init,
    .fini = text_fini,
    .flush = text_flush,
    .finalize = text_flush,
    .prepare_schema = text_prepare,
    .record_schema = text_record,
    .release_schema = text_release,
});
