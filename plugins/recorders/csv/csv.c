/*
 * recorders/csv - records as CSV rows, on standard output or in a file.
 *
 * The seed's CSVRecorder, which used Python's csv.writer with its default
 * dialect; the output here is byte for byte what that writer produces: a
 * header row of field names, then one row per record, fields holding the
 * delimiter, a quote, CR or LF quoted (QUOTE_MINIMAL) with their quotes
 * doubled, every row ended by "\r\n" (RFC 4180).
 *
 * A row is built in a buffer kept in the context (grown only for a row
 * longer than any before it) and handed to the host's buffered output in
 * one write.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pikos/plugin.h>

/* Longer than the text of any int64_t or double. */
#define CSV_NUMBER_MAX 64
#define CSV_INITIAL_ROW 1024

struct csv_ctx {
    /* Options, stored by the host. */
    char *filename;
    char *delimiter;

    const struct pikos_host *host;
    struct pikos_output *out;
    char separator; /* the delimiter's one byte */
    int write_failed;
    unsigned char needs_quotes[256]; /* bytes that make a field quoted */
    char *row;                       /* the row being built */
    size_t row_len;
    size_t row_cap;
};

static const struct pikos_option csv_options[] = {
    {"filename", PIKOS_OPT_STRING, 0, "",
     "file to write (empty: standard output)",
     offsetof(struct csv_ctx, filename)},
    {"delimiter", PIKOS_OPT_STRING, 0, ",", "the one character between fields",
     offsetof(struct csv_ctx, delimiter)},
    {0},
};

/* ------------------------------------------------------------ writing */

static int check_write(struct pikos_instance *inst, struct csv_ctx *self,
                       int rc)
{
    if (rc == PIKOS_OK || self->write_failed)
        return rc;
    self->write_failed = 1;
    const char *error = strerror(errno);
    if (self->filename == NULL || self->filename[0] == '\0')
        return self->host->set_error(
            inst, rc, "cannot write to standard output: %s", error);
    return self->host->set_error(inst, rc, "cannot write to '%s': %s",
                                 self->filename, error);
}

/* Makes room for `more` bytes at the end of the row. */
static int reserve(struct csv_ctx *self, size_t more)
{
    if (self->row_cap - self->row_len >= more)
        return PIKOS_OK;
    size_t cap = self->row_cap ? self->row_cap : CSV_INITIAL_ROW;
    while (cap - self->row_len < more)
        cap *= 2;
    char *row = realloc(self->row, cap);
    if (row == NULL)
        return PIKOS_ENOMEM;
    self->row = row;
    self->row_cap = cap;
    return PIKOS_OK;
}

static void append(struct csv_ctx *self, const char *data, size_t len)
{
    memcpy(self->row + self->row_len, data, len);
    self->row_len += len;
}

static int must_quote(const struct csv_ctx *self, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (self->needs_quotes[(unsigned char)text[i]])
            return 1;
    return 0;
}

/* Quoted, with each '"' doubled. */
static void append_quoted(struct csv_ctx *self, const char *text, size_t len)
{
    self->row[self->row_len++] = '"';
    for (size_t i = 0; i < len; i++) {
        self->row[self->row_len++] = text[i];
        if (text[i] == '"')
            self->row[self->row_len++] = '"';
    }
    self->row[self->row_len++] = '"';
}

/* One field, after a delimiter unless it is the first.  As Python's
   csv.writer, a row made of one empty field is written as "" so that it
   does not read back as an empty row. */
static int add_field(struct csv_ctx *self, int first, const char *text,
                     size_t len, int alone)
{
    /* At worst: the delimiter, two quotes and every byte a doubled quote. */
    if (reserve(self, 2 * len + 3) != PIKOS_OK)
        return PIKOS_ENOMEM;
    if (!first)
        self->row[self->row_len++] = self->separator;
    if (must_quote(self, text, len) || (alone && len == 0))
        append_quoted(self, text, len);
    else
        append(self, text, len);
    return PIKOS_OK;
}

/* Field i of a record (or its name when values is NULL). */
static int add_value(struct csv_ctx *self, const struct pikos_schema *schema,
                     const struct pikos_value *values, size_t i)
{
    const struct pikos_field *field = &schema->fields[i];
    int alone = schema->nfields == 1;
    if (values == NULL)
        return add_field(self, i == 0, field->name, strlen(field->name), alone);
    if (field->type == PIKOS_FIELD_STR)
        return add_field(self, i == 0, values[i].u.s.ptr, values[i].u.s.len,
                         alone);
    char number[CSV_NUMBER_MAX];
    size_t len = self->host->format_value(field->type, &values[i], number,
                                          sizeof(number));
    return add_field(self, i == 0, number, len, alone);
}

/* The field names (values NULL) or the values of a record, as one row. */
static int write_row(struct pikos_instance *inst, struct csv_ctx *self,
                     const struct pikos_schema *schema,
                     const struct pikos_value *values)
{
    self->row_len = 0;
    for (size_t i = 0; i < schema->nfields; i++)
        if (add_value(self, schema, values, i) != PIKOS_OK)
            return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    if (reserve(self, 2) != PIKOS_OK)
        return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    append(self, "\r\n", 2);
    int rc = self->host->output_write(self->out, self->row, self->row_len);
    return check_write(inst, self, rc);
}

/* ------------------------------------------------------------ lifecycle */

/* The delimiter must be one byte that csv.writer could use with '"'. */
static int set_separator(struct pikos_instance *inst, struct csv_ctx *self)
{
    const char *d = self->delimiter ? self->delimiter : "";
    if (strlen(d) != 1 || d[0] == '"' || d[0] == '\r' || d[0] == '\n')
        return self->host->set_error(
            inst, PIKOS_EINVAL,
            "option 'delimiter' must be one ASCII character other than a "
            "quote or a line break, not '%s'",
            d);
    self->separator = d[0];
    self->needs_quotes[(unsigned char)d[0]] = 1;
    self->needs_quotes['"'] = 1;
    self->needs_quotes['\r'] = 1;
    self->needs_quotes['\n'] = 1;
    return PIKOS_OK;
}

static int csv_init(struct pikos_instance *inst, void *ctx,
                    const struct pikos_host *host)
{
    struct csv_ctx *self = ctx;
    self->host = host;
    int rc = set_separator(inst, self);
    if (rc != PIKOS_OK)
        return rc;
    self->row = malloc(CSV_INITIAL_ROW);
    if (self->row == NULL)
        return host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    self->row_cap = CSV_INITIAL_ROW;
    /* Opened now, so that an unwritable path fails before the program
       runs; the host has set the error. */
    self->out = host->output_open(inst, self->filename);
    if (self->out == NULL) {
        free(self->row);
        self->row = NULL;
        return PIKOS_EIO;
    }
    return PIKOS_OK;
}

static int csv_prepare(struct pikos_instance *inst, void *ctx,
                       const struct pikos_schema *schema)
{
    return write_row(inst, ctx, schema, NULL);
}

static int csv_record(struct pikos_instance *inst, void *ctx,
                      const struct pikos_record *rec)
{
    return write_row(inst, ctx, rec->schema, rec->values);
}

static int csv_flush(struct pikos_instance *inst, void *ctx)
{
    struct csv_ctx *self = ctx;
    return check_write(inst, self, self->host->output_flush(self->out));
}

static void csv_fini(struct pikos_instance *inst, void *ctx)
{
    struct csv_ctx *self = ctx;
    if (self->out != NULL)
        self->host->output_close(self->out); /* standard output: flushed */
    self->out = NULL;
    free(self->row);
    self->row = NULL;
    self->row_cap = 0;
}

PIKOS_PLUGIN_DEFINE({
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_RECORDER,
    .name = "csv",
    .version = "0.1.0",
    .description = "Write records as CSV rows (RFC 4180) to standard output "
                   "or a file",
    .options = csv_options,
    .ctx_size = sizeof(struct csv_ctx),
    .init = csv_init,
    .fini = csv_fini,
    .prepare = csv_prepare,
    .record = csv_record,
    .flush = csv_flush,
    .finalize = csv_flush,
});
