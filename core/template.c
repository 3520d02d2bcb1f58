/*
 * core/template.c - the seed's record templates and the text of one value.
 *
 * A template is a Python str.format() string restricted to what the seed's
 * records use: literal text, "{{" and "}}", and auto-numbered replacement
 * fields "{}" or "{:SPEC}" where SPEC is an optional alignment ('<', '>' or
 * '^') followed by an optional width.  Formatting follows Python exactly:
 * without an alignment numbers go right and strings left, '^' gives the odd
 * space to the right, the width counts code points and never truncates.
 *
 * A compiled template is a list of parts, each a piece of literal text
 * followed (except for the last part) by one replacement field.
 */
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Widths beyond this are certainly a typo in a record template. */
#define TEMPLATE_MAX_WIDTH 65535

/* Enough for any int64_t or any repr() of a double. */
#define NUMBER_TEXT_MAX 32

struct template_part {
    size_t literal_start; /* into pikos_template.literals */
    size_t literal_len;
    int has_field;
    char align; /* '<', '>', '^', or 0 for the type's default */
    size_t width;
};

struct pikos_template {
    char *literals; /* the literal text with "{{" and "}}" unescaped */
    size_t nparts;
    struct template_part parts[];
};

/* ------------------------------------------------------------ writing */

/* A bounded writer with snprintf semantics: `len` counts every byte asked
   for, only the first `cap` are stored. */
struct writer {
    char *buf;
    size_t cap;
    size_t len;
};

static void writer_put(struct writer *w, const char *data, size_t n)
{
    if (w->len < w->cap) {
        size_t room = w->cap - w->len;
        memcpy(w->buf + w->len, data, n < room ? n : room);
    }
    w->len += n;
}

static void writer_pad(struct writer *w, size_t n)
{
    static const char spaces[] = "                                ";
    while (n > 0) {
        size_t chunk = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
        writer_put(w, spaces, chunk);
        n -= chunk;
    }
}

/* Number of Unicode code points in UTF-8 text (continuation bytes are not
   counted), which is what Python's width counts. */
static size_t utf8_length(const char *text, size_t len)
{
    size_t count = 0;
    for (size_t i = 0; i < len; i++)
        count += ((unsigned char)text[i] & 0xC0) != 0x80;
    return count;
}

/* ------------------------------------------------------------ values */

/* The "C" locale, so that a program that calls setlocale() does not turn
   "1.5" into "1,5". */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_create(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* The fewest significant digits that read back as x, written by "%.*e"
   into sci; returns that number of digits. */
static int shortest_scientific(double x, char *sci, size_t size)
{
    for (int digits = 1; digits < 17; digits++) {
        snprintf(sci, size, "%.*e", digits - 1, x);
        if (strtod(sci, NULL) == x)
            return digits;
    }
    snprintf(sci, size, "%.*e", 16, x);
    return 17;
}

/*
 * Python's repr(float): the shortest digits that read back as the same
 * double, in fixed notation when the decimal exponent is in [-4, 16) (with
 * ".0" added to whole numbers), in exponent notation otherwise.
 */
static size_t format_double(double x, char *out)
{
    if (isnan(x))
        return (size_t)snprintf(out, NUMBER_TEXT_MAX, "nan");
    if (isinf(x))
        return (size_t)snprintf(out, NUMBER_TEXT_MAX, x < 0 ? "-inf" : "inf");

    pthread_once(&c_locale_once, c_locale_create);
    locale_t saved = c_locale ? uselocale(c_locale) : (locale_t)0;
    char sci[NUMBER_TEXT_MAX];
    int digits = shortest_scientific(x, sci, sizeof(sci));
    int exponent = atoi(strchr(sci, 'e') + 1);
    int n;
    if (exponent < -4 || exponent >= 16) {
        n = snprintf(out, NUMBER_TEXT_MAX, "%s", sci);
    } else {
        int decimals = digits - 1 - exponent;
        n = snprintf(out, NUMBER_TEXT_MAX, "%.*f", decimals > 0 ? decimals : 0,
                     x);
        if (decimals <= 0)
            n += snprintf(out + n, NUMBER_TEXT_MAX - (size_t)n, ".0");
    }
    if (saved)
        uselocale(saved);
    return (size_t)n;
}

/* Decimal digits by hand: integers are on the hot path of every record
   (index, lineNo), where snprintf would cost more than the rest. */
/* Decimal digits, two at a time (per record, so it is worth it). */
static size_t format_int(int64_t value, char *out)
{
    return (size_t)(pikos_put_int(out, value) - out);
}

/* The text of a number into `out` (NUMBER_TEXT_MAX bytes); its length. */
static size_t format_number(uint32_t field_type, const struct pikos_value *v,
                            char *out)
{
    if (field_type == PIKOS_FIELD_INT)
        return format_int(v->u.i, out);
    return format_double(v->u.f, out);
}

size_t pikos_format_value(uint32_t field_type, const struct pikos_value *v,
                          char *buf, size_t cap)
{
    struct writer w = {buf, cap, 0};
    if (field_type == PIKOS_FIELD_STR) {
        writer_put(&w, v->u.s.ptr, v->u.s.len);
    } else if (field_type == PIKOS_FIELD_INT ||
               field_type == PIKOS_FIELD_FLOAT) {
        char number[NUMBER_TEXT_MAX];
        writer_put(&w, number, format_number(field_type, v, number));
    }
    return w.len;
}

/* ------------------------------------------------------------ compiling */

struct parser {
    const char *text;
    size_t pos;
    struct pikos_template *tpl;
    size_t literals_len;
    struct pikos_error *err;
};

#define UNCLOSED_BRACE "'{' is never closed (write '{{' for a literal brace)"

/* The column counts characters (code points) from 1, as an editor does. */
static int parse_error(struct parser *p, size_t at, const char *what)
{
    return pikos_error_set(p->err, PIKOS_EINVAL,
                           "bad template '%s': %s at column %zu", p->text, what,
                           utf8_length(p->text, at) + 1);
}

static void add_literal_char(struct parser *p, char c)
{
    p->tpl->literals[p->literals_len++] = c;
    p->tpl->parts[p->tpl->nparts].literal_len++;
}

/* Closes the current part (with or without a field) and opens the next. */
static struct template_part *close_part(struct parser *p, int has_field)
{
    struct template_part *part = &p->tpl->parts[p->tpl->nparts++];
    part->has_field = has_field;
    p->tpl->parts[p->tpl->nparts].literal_start = p->literals_len;
    return part;
}

/* Parses "[align][width]" up to the closing '}' at p->pos; `open` is the
   position of the field's '{'. */
static int parse_spec(struct parser *p, struct template_part *part, size_t open)
{
    size_t start = p->pos;
    const char *c = p->text + p->pos;
    if (*c == '<' || *c == '>' || *c == '^')
        part->align = *c++;
    if (*c == '0' && c[1] >= '0' && c[1] <= '9')
        return parse_error(p, start, "zero-padded widths are not supported");
    for (; *c >= '0' && *c <= '9'; c++) {
        part->width = part->width * 10 + (size_t)(*c - '0');
        if (part->width > TEMPLATE_MAX_WIDTH)
            return parse_error(p, start, "width is too large");
    }
    if (*c == '\0')
        return parse_error(p, open, UNCLOSED_BRACE);
    if (*c != '}')
        return parse_error(p, start,
                           "unsupported format spec (use an optional "
                           "alignment <, > or ^ and an optional width)");
    p->pos = (size_t)(c - p->text) + 1;
    return 0;
}

/* Parses a replacement field; p->pos is just after its '{'. */
static int parse_field(struct parser *p)
{
    size_t open = p->pos - 1;
    struct template_part *part = close_part(p, 1);
    char c = p->text[p->pos];
    if (c == '}') {
        p->pos++;
        return 0;
    }
    if (c == ':') {
        p->pos++;
        return parse_spec(p, part, open);
    }
    if (c == '\0')
        return parse_error(p, open, UNCLOSED_BRACE);
    return parse_error(p, open,
                       "only automatic fields '{}' and '{:SPEC}' are "
                       "supported");
}

static int parse_template(struct parser *p)
{
    while (p->text[p->pos] != '\0') {
        char c = p->text[p->pos++];
        char next = p->text[p->pos];
        if (c == '{' && next != '{') {
            int rc = parse_field(p);
            if (rc != 0)
                return rc;
            continue;
        }
        if (c == '}' && next != '}')
            return parse_error(p, p->pos - 1,
                               "single '}' (write '}}' for a literal brace)");
        if (c == '{' || c == '}')
            p->pos++; /* an escaped brace stands for one brace */
        add_literal_char(p, c);
    }
    close_part(p, 0);
    return 0;
}

struct pikos_template *pikos_template_compile(const char *text,
                                              struct pikos_error *err)
{
    /* Every part but the last consumes at least two characters ("{}"), so
       len + 1 parts and len literal bytes are always enough. */
    size_t len = strlen(text);
    struct pikos_template *tpl =
        calloc(1, sizeof(*tpl) + (len + 2) * sizeof(struct template_part));
    char *literals = malloc(len + 1);
    if (tpl == NULL || literals == NULL) {
        free(tpl);
        free(literals);
        pikos_error_set(err, PIKOS_ENOMEM, "out of memory compiling '%s'",
                        text);
        return NULL;
    }
    tpl->literals = literals;
    struct parser p = {text, 0, tpl, 0, err};
    if (parse_template(&p) != 0) {
        pikos_template_free(tpl);
        return NULL;
    }
    return tpl;
}

void pikos_template_free(struct pikos_template *tpl)
{
    if (tpl == NULL)
        return;
    free(tpl->literals);
    free(tpl);
}

/* ------------------------------------------------------------ formatting */

static void put_aligned(struct writer *w, const struct template_part *part,
                        const char *text, size_t len, int is_number)
{
    size_t length = is_number ? len : utf8_length(text, len);
    size_t pad = part->width > length ? part->width - length : 0;
    char align = part->align ? part->align : (is_number ? '>' : '<');
    size_t before = align == '>' ? pad : align == '^' ? pad / 2 : 0;
    writer_pad(w, before);
    writer_put(w, text, len);
    writer_pad(w, pad - before);
}

/* Field `index` of the record (or its name when values is NULL); missing
   fields format as empty text. */
static void put_field(struct writer *w, const struct template_part *part,
                      const struct pikos_schema *schema,
                      const struct pikos_value *values, size_t index)
{
    if (index >= schema->nfields) {
        put_aligned(w, part, "", 0, 0);
        return;
    }
    const struct pikos_field *field = &schema->fields[index];
    if (values == NULL) {
        put_aligned(w, part, field->name, strlen(field->name), 0);
    } else if (field->type == PIKOS_FIELD_STR) {
        put_aligned(w, part, values[index].u.s.ptr, values[index].u.s.len, 0);
    } else {
        char number[NUMBER_TEXT_MAX];
        size_t n = format_number(field->type, &values[index], number);
        put_aligned(w, part, number, n, 1);
    }
}

size_t pikos_template_format(const struct pikos_template *tpl,
                             const struct pikos_schema *schema,
                             const struct pikos_value *values, char *buf,
                             size_t cap)
{
    struct writer w = {buf, cap, 0};
    size_t field = 0;
    for (size_t i = 0; i < tpl->nparts; i++) {
        const struct template_part *part = &tpl->parts[i];
        writer_put(&w, tpl->literals + part->literal_start, part->literal_len);
        if (part->has_field)
            put_field(&w, part, schema, values, field++);
    }
    return w.len;
}
