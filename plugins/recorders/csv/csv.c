/*
 * recorders/csv - records as CSV rows, on standard output or in a file.
 *
 * The seed's CSVRecorder, which used Python's csv.writer with its default
 * dialect; the output here is byte for byte what that writer produces: a
 * header row of field names, then one row per record, fields holding the
 * delimiter, a quote, CR or LF quoted (QUOTE_MINIMAL) with their quotes
 * doubled, every row ended by "\r\n" (RFC 4180).
 *
 * A row is built straight into the host output's buffer (output_reserve),
 * with no copy; only a row longer than that buffer is built in a buffer of
 * the context and handed over with output_write.
 *
 * One record type per file: a CSV file has one header.  The first schema
 * a recorder gets goes to `filename`; each other one (a second monitor of
 * another kind: every recorder gets every monitor's records) to a file of
 * its own named after it, out.csv -> out.LineRecord.csv.  Standard output
 * holds one: a second schema there is refused when the pipeline starts,
 * before the program runs (docs/decisions.md).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pikos/plugin.h>

/* Longer than the text of any int64_t or double. */
#define CSV_NUMBER_MAX 64

struct csv_ctx {
    /* Options, stored by the host. */
    char *filename;
    char *delimiter;

    const struct pikos_host *host;
    int in_place;   /* the host has output_reserve/commit (since 1.1) */
    char separator; /* the delimiter's one byte */
    int numbers_may_need_quotes; /* the delimiter can occur in a number */
    unsigned lowest_plain_byte;  /* bytes below it may need quoting */
    char *row;                   /* for rows longer than the output's buffer */
    size_t row_cap;
    /* One file per record type, each the context of its schema (ABI 1.2,
       so prepared once in the recorder's life: a file's header row is
       written once, as the seed's recorders do, however often monitoring
       restarts).  `first` is `filename`, opened at init and given to the
       first schema; the others follow it in a list, for flush. */
    struct csv_file {
        const struct pikos_schema *schema;
        struct pikos_output *out;
        struct csv_file *next;
    } first;
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

/* Eight copies of byte c, and whether a word holds a byte equal to c
   (the classic "has zero byte" test on word ^ copies). */
#define BYTES_OF(c) (0x0101010101010101ull * (unsigned char)(c))
#define HAS_BYTE(word, c)                                                    \
    ((((word) ^ BYTES_OF(c)) - BYTES_OF(1)) & ~((word) ^ BYTES_OF(c)) &        \
     BYTES_OF(0x80))

/* Whether a word holds a byte below n (n <= 128). */
#define HAS_LESS(word, n)                                                     \
    (((word) - BYTES_OF(n)) & ~(word) & BYTES_OF(0x80))

/* Whether one 8-byte word holds the delimiter, '"', CR or LF.  Most words
   of names and paths have no byte as low as those, which one test rules
   out; the four exact tests run only for the others. */
static int word_needs_quotes(const struct csv_ctx *self, uint64_t word)
{
    if (!HAS_LESS(word, self->lowest_plain_byte))
        return 0;
    return (HAS_BYTE(word, self->separator) | HAS_BYTE(word, '"') |
            HAS_BYTE(word, '\r') | HAS_BYTE(word, '\n')) != 0;
}

/* Whether a field must be quoted.  Hot (every text field of every record),
   so eight bytes at a time; the last word is padded with a plain byte. */
static int must_quote(const struct csv_ctx *self, const char *text, size_t len)
{
    uint64_t word;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        memcpy(&word, text + i, 8);
        if (word_needs_quotes(self, word))
            return 1;
    }
    if (i == len)
        return 0;
    word = BYTES_OF('A');
    memcpy(&word, text + i, len - i);
    return word_needs_quotes(self, word);
}

/* Quoted, with each '"' doubled; returns the end of what it wrote. */
static char *put_quoted(char *dst, const char *text, size_t len)
{
    *dst++ = '"';
    for (size_t i = 0; i < len; i++) {
        *dst++ = text[i];
        if (text[i] == '"')
            *dst++ = '"';
    }
    *dst++ = '"';
    return dst;
}

/* One text field.  As Python's csv.writer, a row made of one empty field
   is written as "" so that it does not read back as an empty row. */
static char *put_text(const struct csv_ctx *self, char *dst, const char *text,
                      size_t len, int alone)
{
    if (must_quote(self, text, len) || (alone && len == 0))
        return put_quoted(dst, text, len);
    memcpy(dst, text, len);
    return dst + len;
}

/* A number, formatted in place.  Its text (digits, '-', '+', '.', 'e',
   "inf", "nan") needs quoting only with an unusual delimiter. */
static char *put_number(const struct csv_ctx *self, char *dst, uint32_t type,
                        const struct pikos_value *value)
{
    if (type == PIKOS_FIELD_INT && !self->numbers_may_need_quotes)
        return pikos_put_int(dst, value->u.i); /* no format_value, no copy */
    if (!self->numbers_may_need_quotes)
        return dst + self->host->format_value(type, value, dst, CSV_NUMBER_MAX);
    char number[CSV_NUMBER_MAX];
    size_t len = self->host->format_value(type, value, number, sizeof(number));
    return put_text(self, dst, number, len, 0);
}

/* The most bytes a row can take: every text byte a doubled quote. */
static size_t row_max_size(const struct pikos_schema *schema,
                           const struct pikos_value *values)
{
    size_t size = 2; /* "\r\n" */
    for (size_t i = 0; i < schema->nfields; i++) {
        size_t len = values == NULL ? strlen(schema->fields[i].name)
                     : schema->fields[i].type == PIKOS_FIELD_STR
                         ? values[i].u.s.len
                         : CSV_NUMBER_MAX;
        size += 2 * len + 3; /* delimiter and quotes */
    }
    return size;
}

/* The field names (values NULL) or the values of a record, as one row at
   dst (row_max_size bytes); returns its length. */
static size_t build_row(const struct csv_ctx *self,
                        const struct pikos_schema *schema,
                        const struct pikos_value *values, char *dst)
{
    char *end = dst;
    int alone = schema->nfields == 1;
    for (size_t i = 0; i < schema->nfields; i++) {
        const struct pikos_field *field = &schema->fields[i];
        if (i > 0)
            *end++ = self->separator;
        if (values == NULL)
            end = put_text(self, end, field->name, strlen(field->name), alone);
        else if (field->type == PIKOS_FIELD_STR)
            end = put_text(self, end, values[i].u.s.ptr, values[i].u.s.len,
                           alone);
        else
            end = put_number(self, end, field->type, &values[i]);
    }
    *end++ = '\r';
    *end++ = '\n';
    return (size_t)(end - dst);
}

/* A row too long for the output's buffer goes through the context's. */
static int write_long_row(struct pikos_instance *inst, struct csv_ctx *self,
                          struct pikos_output *out,
                          const struct pikos_schema *schema,
                          const struct pikos_value *values, size_t max)
{
    if (max > self->row_cap) {
        char *row = realloc(self->row, max);
        if (row == NULL)
            return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
        self->row = row;
        self->row_cap = max;
    }
    size_t len = build_row(self, schema, values, self->row);
    return self->host->output_write(out, self->row, len);
}

/* Rows are built straight into the output's buffer, where the host can. */
static int write_row(struct pikos_instance *inst, struct csv_ctx *self,
                     struct pikos_output *out,
                     const struct pikos_schema *schema,
                     const struct pikos_value *values)
{
    size_t max = row_max_size(schema, values);
    char *dst = self->in_place ? self->host->output_reserve(out, max) : NULL;
    if (dst == NULL)
        return write_long_row(inst, self, out, schema, values, max);
    size_t len = build_row(self, schema, values, dst);
    return self->host->output_commit(out, len);
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
    self->numbers_may_need_quotes = strchr("0123456789+-.aefin", d[0]) != NULL;
    /* The quick test of word_needs_quotes works for bytes up to 127; a
       delimiter above that makes every word take the exact tests. */
    unsigned char top = (unsigned char)d[0] > '"' ? (unsigned char)d[0] : '"';
    self->lowest_plain_byte = top < 128 ? top + 1u : 128u;
    return PIKOS_OK;
}

static int csv_init(struct pikos_instance *inst, void *ctx,
                    const struct pikos_host *host)
{
    struct csv_ctx *self = ctx;
    self->host = host;
    self->in_place = PIKOS_HOST_HAS(host, output_commit);
    int rc = set_separator(inst, self);
    if (rc != PIKOS_OK)
        return rc;
    /* Opened now, so that an unwritable path fails before the program
       runs; the host has set the error. */
    self->first.out = host->output_open(inst, self->filename);
    return self->first.out != NULL ? PIKOS_OK : PIKOS_EIO;
}

/* ------------------------------------------------------------ schemas */

/* out.csv -> out.NAME.csv (out -> out.NAME): the file of another record
   type.  malloc'ed; NULL when out of memory. */
static char *file_name_for(const char *filename, const char *name)
{
    const char *slash = strrchr(filename, '/');
    const char *dot = strrchr(slash ? slash + 1 : filename, '.');
    size_t stem = dot && dot != (slash ? slash + 1 : filename)
                      ? (size_t)(dot - filename)
                      : strlen(filename);
    size_t len = strlen(filename) + strlen(name) + 2;
    char *path = malloc(len);

    if (path != NULL)
        snprintf(path, len, "%.*s.%s%s", (int)stem, filename, name,
                 filename + stem);
    return path;
}

/* A file for another record type, linked after the first; NULL with
   the error set. */
static struct csv_file *add_file(struct pikos_instance *inst,
                                 struct csv_ctx *self,
                                 const struct pikos_schema *schema)
{
    struct csv_file *file = calloc(1, sizeof(*file));
    char *path = file ? file_name_for(self->filename, schema->name) : NULL;

    if (path == NULL)
        self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    else
        file->out = self->host->output_open(inst, path);
    free(path);
    if (file == NULL || file->out == NULL) {
        free(file);
        return NULL;
    }
    file->next = self->first.next;
    self->first.next = file;
    return file;
}

/* Standard output holds one record type: a second one is refused. */
static int refuse_second_type(struct pikos_instance *inst, struct csv_ctx *self,
                              const struct pikos_schema *schema)
{
    return self->host->set_error(
        inst, PIKOS_EINVAL,
        "gets %s records besides %s ones, and standard output holds one "
        "record type: give a file (filename=, -o), and each record type "
        "gets a file of its own",
        schema->name, self->first.schema->name);
}

static int csv_prepare(struct pikos_instance *inst, void *ctx,
                       const struct pikos_schema *schema, void **schema_ctx)
{
    struct csv_ctx *self = ctx;
    struct csv_file *file = &self->first;

    if (self->first.schema != NULL &&
        (self->filename == NULL || self->filename[0] == '\0'))
        return refuse_second_type(inst, self, schema);
    if (self->first.schema != NULL)
        file = add_file(inst, self, schema);
    if (file == NULL)
        return PIKOS_EINVAL;
    file->schema = schema;
    *schema_ctx = file;
    return write_row(inst, self, file->out, schema, NULL);
}

static int csv_record(struct pikos_instance *inst, void *ctx, void *schema_ctx,
                      const struct pikos_record *rec)
{
    const struct csv_file *file = schema_ctx;

    return write_row(inst, ctx, file->out, rec->schema, rec->values);
}

static int csv_flush(struct pikos_instance *inst, void *ctx)
{
    struct csv_ctx *self = ctx;
    int rc = PIKOS_OK;

    for (struct csv_file *f = &self->first; f != NULL; f = f->next) {
        int flushed = self->host->output_flush(f->out);
        if (rc == PIKOS_OK)
            rc = flushed;
    }
    return rc;
}

/* Closes the file of another record type (the first one is closed by
   fini), unlinking it first. */
static void csv_release(struct pikos_instance *inst, void *ctx,
                        const struct pikos_schema *schema, void *schema_ctx)
{
    struct csv_ctx *self = ctx;
    struct csv_file *file = schema_ctx;

    if (file == &self->first)
        return;
    for (struct csv_file *f = &self->first; f->next != NULL; f = f->next)
        if (f->next == file) {
            f->next = file->next;
            break;
        }
    self->host->output_close(file->out);
    free(file);
}

static void csv_fini(struct pikos_instance *inst, void *ctx)
{
    struct csv_ctx *self = ctx;

    if (self->first.out != NULL)
        self->host->output_close(self->first.out); /* stdout: flushed */
    self->first.out = NULL;
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
    .flush = csv_flush,
    .finalize = csv_flush,
    .prepare_schema = csv_prepare,
    .record_schema = csv_record,
    .release_schema = csv_release,
});
