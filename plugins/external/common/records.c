/*
 * plugins/external/common/records.c - the statistics records of the
 * external monitors, and the emission of a table of statistics as records.
 *
 * A profiler's statistics arrive as a Python list of tuples.  Each tuple
 * becomes a row of struct pikos_value (strings point into the tuple's str
 * objects, which the list keeps alive); the rows are sorted by index and
 * emitted one by one.  This runs once per snapshot, never per event.
 */
#include "external.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ schemas */

static const struct pikos_field profile_stats_fields[PROFILE_FIELD_COUNT] = {
    [PROFILE_FUNCTION] = {"function", PIKOS_FIELD_STR},
    [PROFILE_FILENAME] = {"filename", PIKOS_FIELD_STR},
    [PROFILE_LINENO] = {"lineNo", PIKOS_FIELD_INT},
    [PROFILE_NCALLS] = {"ncalls", PIKOS_FIELD_INT},
    [PROFILE_PRIMITIVE_CALLS] = {"primitive_calls", PIKOS_FIELD_INT},
    [PROFILE_TOTTIME] = {"tottime", PIKOS_FIELD_FLOAT},
    [PROFILE_CUMTIME] = {"cumtime", PIKOS_FIELD_FLOAT},
    [PROFILE_SNAPSHOT] = {"snapshot", PIKOS_FIELD_INT},
};

/* Columns as pstats' print_stats reads, in the order of the fields. */
const struct pikos_schema external_profile_stats_schema = {
    .name = "ProfileStatsRecord",
    .nfields = PROFILE_FIELD_COUNT,
    .fields = profile_stats_fields,
    .header_template = "{:<30} {:<40} {:>6} {:>9} {:>15} {:>22} {:>22} {:>8}",
    .line_template = "{:<30} {:<40} {:>6} {:>9} {:>15} {:>22} {:>22} {:>8}",
};

static const struct pikos_field line_stats_fields[LINE_FIELD_COUNT] = {
    [LINE_FILENAME] = {"filename", PIKOS_FIELD_STR},
    [LINE_FUNCTION] = {"function", PIKOS_FIELD_STR},
    [LINE_LINENO] = {"lineNo", PIKOS_FIELD_INT},
    [LINE_HITS] = {"hits", PIKOS_FIELD_INT},
    [LINE_TIME] = {"time", PIKOS_FIELD_FLOAT},
    [LINE_TEXT] = {"line", PIKOS_FIELD_STR},
    [LINE_SNAPSHOT] = {"snapshot", PIKOS_FIELD_INT},
};

const struct pikos_schema external_line_stats_schema = {
    .name = "LineStatsRecord",
    .nfields = LINE_FIELD_COUNT,
    .fields = line_stats_fields,
    .header_template = "{:<40} {:<20} {:>6} {:>9} {:>22}  {}",
    .line_template = "{:<40} {:<20} {:>6} {:>9} {:>22}  {}",
};

/* ------------------------------------------------------------ sort keys */

int external_profile_sort(const char *key, struct external_sort *sort)
{
    static const struct {
        const char *key;
        struct external_sort sort;
    } keys[] = {{"cumulative", {PROFILE_CUMTIME, 1}},
                {"tottime", {PROFILE_TOTTIME, 1}},
                {"ncalls", {PROFILE_NCALLS, 1}},
                {"name", {PROFILE_FUNCTION, 0}}};

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (key != NULL && strcmp(key, keys[i].key) == 0) {
            *sort = keys[i].sort;
            return PIKOS_OK;
        }
    }
    return PIKOS_EINVAL;
}

/* ------------------------------------------------------------ rows */

/* The converted rows: `nfields` values each, and the emission order. */
struct row_table {
    const struct pikos_schema *schema;
    size_t count;
    struct pikos_value *values;
    size_t *order;
};

static int row_error(struct pikos_instance *inst, const struct pikos_host *host,
                     const struct pikos_schema *schema, size_t field)
{
    if (PyErr_Occurred())
        return external_python_error(inst, host, schema->fields[field].name);
    return host->set_error(inst, PIKOS_EINVAL,
                           "%s field '%s': the profiler gave a value of "
                           "another type",
                           schema->name, schema->fields[field].name);
}

/* One tuple item into a value of the field's type; -1 when it does not
   fit (with a Python exception set, or none for a wrong type). */
static int convert_item(PyObject *item, uint32_t type, struct pikos_value *v)
{
    Py_ssize_t len;

    switch (type) {
    case PIKOS_FIELD_INT:
        if (!PyLong_Check(item))
            return -1;
        v->u.i = PyLong_AsLongLong(item);
        return v->u.i == -1 && PyErr_Occurred() ? -1 : 0;
    case PIKOS_FIELD_FLOAT:
        if (!PyFloat_Check(item) && !PyLong_Check(item))
            return -1;
        v->u.f = PyFloat_AsDouble(item);
        return v->u.f == -1.0 && PyErr_Occurred() ? -1 : 0;
    default:
        if (!PyUnicode_Check(item))
            return -1;
        v->u.s.ptr = PyUnicode_AsUTF8AndSize(item, &len);
        v->u.s.len = (size_t)len;
        return v->u.s.ptr == NULL ? -1 : 0;
    }
}

static int convert_row(struct pikos_instance *inst,
                       const struct pikos_host *host, PyObject *row,
                       const struct pikos_schema *schema,
                       struct pikos_value *values)
{
    size_t data_fields = schema->nfields - 1; /* all but `snapshot` */

    if (!PyTuple_Check(row) || (size_t)PyTuple_GET_SIZE(row) != data_fields)
        return host->set_error(inst, PIKOS_EINVAL,
                               "%s: the profiler gave a row that is not a "
                               "tuple of %zu values",
                               schema->name, data_fields);
    for (size_t f = 0; f < data_fields; f++)
        if (convert_item(PyTuple_GET_ITEM(row, (Py_ssize_t)f),
                         schema->fields[f].type, &values[f]) < 0)
            return row_error(inst, host, schema, f);
    return PIKOS_OK;
}

static int fill_table(struct pikos_instance *inst,
                      const struct pikos_host *host, PyObject *rows,
                      struct row_table *table, int64_t snapshot)
{
    size_t n = table->schema->nfields;

    for (size_t r = 0; r < table->count; r++) {
        struct pikos_value *values = &table->values[r * n];
        int rc = convert_row(inst, host, PyList_GET_ITEM(rows, (Py_ssize_t)r),
                             table->schema, values);
        if (rc < 0)
            return rc;
        values[n - 1].u.i = snapshot;
        table->order[r] = r;
    }
    return PIKOS_OK;
}

/* ------------------------------------------------------------ sorting */

static int compare_value(uint32_t type, const struct pikos_value *a,
                         const struct pikos_value *b)
{
    size_t common;
    int c;

    switch (type) {
    case PIKOS_FIELD_INT:
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    case PIKOS_FIELD_FLOAT:
        return (a->u.f > b->u.f) - (a->u.f < b->u.f);
    default:
        common = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
        c = common > 0 ? memcmp(a->u.s.ptr, b->u.s.ptr, common) : 0;
        if (c != 0)
            return c;
        return (a->u.s.len > b->u.s.len) - (a->u.s.len < b->u.s.len);
    }
}

struct sort_by {
    const struct row_table *table;
    const struct external_sort *sort;
};

static int compare_rows(const void *pa, const void *pb, void *arg)
{
    const struct sort_by *by = arg;
    const struct pikos_schema *schema = by->table->schema;
    size_t n = schema->nfields;
    const struct pikos_value *a = &by->table->values[*(const size_t *)pa * n];
    const struct pikos_value *b = &by->table->values[*(const size_t *)pb * n];
    int field = by->sort->field, c;

    if (field >= 0) {
        c = compare_value(schema->fields[field].type, &a[field], &b[field]);
        if (c != 0)
            return by->sort->descending ? -c : c;
    }
    for (size_t f = 0; f < n; f++) {
        c = compare_value(schema->fields[f].type, &a[f], &b[f]);
        if (c != 0)
            return c;
    }
    return 0;
}

/* ------------------------------------------------------------ emission */

static int emit_table(struct pikos_instance *inst,
                      const struct pikos_host *host,
                      const struct row_table *table)
{
    size_t n = table->schema->nfields;

    for (size_t i = 0; i < table->count; i++) {
        struct pikos_record record = {table->schema,
                                      &table->values[table->order[i] * n]};
        int rc = host->emit(inst, &record);
        if (rc < 0)
            return rc;
    }
    return PIKOS_OK;
}

int external_emit_rows(struct pikos_instance *inst,
                       const struct pikos_host *host,
                       const struct pikos_schema *schema, PyObject *rows,
                       const struct external_sort *sort, int64_t snapshot)
{
    struct row_table table = {schema, 0, NULL, NULL};
    int rc;

    if (!PyList_Check(rows))
        return host->set_error(inst, PIKOS_EINVAL,
                               "%s: the profiler's statistics are not a list",
                               schema->name);
    table.count = (size_t)PyList_GET_SIZE(rows);
    table.values =
        calloc(table.count * schema->nfields + 1, sizeof(*table.values));
    table.order = calloc(table.count + 1, sizeof(*table.order));
    if (table.values == NULL || table.order == NULL)
        rc = host->set_error(inst, PIKOS_ENOMEM,
                             "out of memory for %zu statistics rows",
                             table.count);
    else
        rc = fill_table(inst, host, rows, &table, snapshot);
    if (rc == PIKOS_OK && sort != NULL) {
        struct sort_by by = {&table, sort};
        qsort_r(table.order, table.count, sizeof(*table.order), compare_rows,
                &by);
    }
    if (rc == PIKOS_OK)
        rc = emit_table(inst, host, &table);
    free(table.values);
    free(table.order);
    return rc;
}
