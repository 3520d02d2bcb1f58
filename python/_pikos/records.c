/*
 * python/_pikos/records.c - records as Python objects.
 *
 * Each schema name has one record class, called with the record's values
 * (`cls(*values)`): the class registered for it (pikos.monitors.records
 * registers the seed's namedtuples), or else a namedtuple made once from
 * the schema, with the schema's templates as its `header` and `line`.
 * Values: INT -> int, FLOAT -> float, STR -> str (UTF-8; bytes that are not
 * UTF-8 become surrogates, as os.fsdecode does with file names).
 *
 * Converting is the cost of every record a Python recorder sees and of
 * every record ListRecorder hands out, so a converter keeps what it can:
 *   - the class, looked up once per schema;
 *   - whether calling the class would only run collections.namedtuple's
 *     __new__, which is tuple.__new__(cls, values): then the tuple is built
 *     directly, with no Python code run;
 *   - per text field, the last str made: a text that repeats (a file name,
 *     a function name) is the same object, made once.
 */
#include "ext.h" /* Python.h first, as Python asks */

#include <stdint.h>
#include <string.h>

/* Values of a record passed on the C stack; more take one allocation. */
#define STACK_FIELDS 16

static PyObject *record_classes; /* schema name -> class */
static PyObject *namedtuple;     /* collections.namedtuple */
/* Changes whenever a class is registered, so that converters look again. */
static unsigned long classes_generation = 1;

int pikos_ext_records_init(void)
{
    PyObject *collections;

    if (record_classes != NULL)
        return 0;
    collections = PyImport_ImportModule("collections");
    if (collections == NULL)
        return -1;
    namedtuple = pikos_ext_attr(collections, "namedtuple");
    Py_DECREF(collections);
    record_classes = namedtuple != NULL ? PyDict_New() : NULL;
    return record_classes != NULL ? 0 : -1;
}

PyObject *pikos_ext_register_record_class(PyObject *module, PyObject *args)
{
    PyObject *name, *cls;

    if (!PyArg_ParseTuple(args, "UO!:register_record_class", &name,
                          &PyType_Type, &cls))
        return NULL;
    if (PyDict_SetItem(record_classes, name, cls) < 0)
        return NULL;
    classes_generation++;
    Py_RETURN_NONE;
}

PyObject *pikos_ext_record_class(PyObject *module, PyObject *name)
{
    PyObject *cls;

    if (!PyUnicode_Check(name)) {
        PyErr_Format(PyExc_TypeError, "record_class() takes a str, not %.100s",
                     Py_TYPE(name)->tp_name);
        return NULL;
    }
    cls = PyDict_GetItemWithError(record_classes, name);
    if (cls == NULL && !PyErr_Occurred())
        PyErr_SetObject(PyExc_KeyError, name);
    return Py_XNewRef(cls);
}

/* ------------------------------------------------------------ classes */

/* namedtuple(schema.name, field names, rename=True): a field name that is
   not an identifier becomes _1, ... rather than an error. */
static PyObject *make_namedtuple(PyObject *name,
                                 const struct pikos_schema *schema)
{
    PyObject *fields = PyTuple_New((Py_ssize_t)schema->nfields);
    PyObject *keywords, *cls = NULL;

    for (size_t i = 0; fields != NULL && i < schema->nfields; i++) {
        const char *text = schema->fields[i].name;
        PyObject *field = PyUnicode_FromString(text != NULL ? text : "");
        if (field == NULL)
            Py_CLEAR(fields);
        else
            PyTuple_SET_ITEM(fields, (Py_ssize_t)i, field);
    }
    keywords = fields != NULL ? Py_BuildValue("(s)", "rename") : NULL;
    if (keywords != NULL) {
        PyObject *args[] = {name, fields, Py_True};
        cls = PyObject_Vectorcall(namedtuple, args, 2, keywords);
    }
    Py_XDECREF(keywords);
    Py_XDECREF(fields);
    return cls;
}

/* The class attribute `attr` ("header" or "line") holding `template`.  When
   the schema also has a field of that name (LineRecord's `line`), a
   pikos.monitors.records.TemplateOrField: the template on the class (what
   recorders read), the field's value on a record. */
static PyObject *template_attribute(PyObject *base,
                                    const struct pikos_schema *schema,
                                    const char *attr, const char *template)
{
    PyObject *module, *field, *value;

    if (pikos_schema_field_index(schema, attr) < 0)
        return PyUnicode_FromString(template);
    module = PyImport_ImportModule("pikos.monitors.records");
    field = module ? pikos_ext_attr(base, attr) : NULL;
    value = field ? PyObject_CallMethod(module, "TemplateOrField", "sO",
                                        template, field)
                  : NULL;
    Py_XDECREF(module);
    Py_XDECREF(field);
    if (value == NULL && PyErr_ExceptionMatches(PyExc_ImportError)) {
        PyErr_Clear(); /* the extension alone: the template hides the field */
        return PyUnicode_FromString(template);
    }
    return value;
}

/* As the seed's record classes are made: a subclass of the namedtuple
   with the templates as class attributes. */
static PyObject *make_class(PyObject *name, const struct pikos_schema *schema)
{
    PyObject *base = make_namedtuple(name, schema);
    PyObject *header =
        base ? template_attribute(base, schema, "header",
                                  schema->header_template
                                      ? schema->header_template
                                      : "")
             : NULL;
    PyObject *line =
        header ? template_attribute(base, schema, "line",
                                    schema->line_template
                                        ? schema->line_template
                                        : "")
               : NULL;
    PyObject *cls = NULL;

    if (line != NULL)
        cls = PyObject_CallFunction((PyObject *)&PyType_Type,
                                    "O(O){s:(),s:O,s:O}", name, base,
                                    "__slots__", "header", header, "line",
                                    line);
    Py_XDECREF(base);
    Py_XDECREF(header);
    Py_XDECREF(line);
    return cls;
}

/* The class of a schema's records (a new reference): registered, or made
   now and registered. */
static PyObject *class_of(const struct pikos_schema *schema)
{
    PyObject *name =
        PyUnicode_FromString(schema->name != NULL ? schema->name : "Record");
    PyObject *cls;

    if (name == NULL)
        return NULL;
    cls = Py_XNewRef(PyDict_GetItemWithError(record_classes, name));
    if (cls == NULL && !PyErr_Occurred()) {
        cls = make_class(name, schema);
        if (cls != NULL && PyDict_SetItem(record_classes, name, cls) < 0)
            Py_CLEAR(cls);
    }
    Py_DECREF(name);
    return cls;
}

/* `name` from the class's own namespace (not its bases'); NULL if absent. */
static PyObject *own_attribute(PyObject *cls, const char *name)
{
    PyObject *namespace = pikos_ext_attr(cls, "__dict__");
    PyObject *value =
        namespace != NULL ? PyMapping_GetItemString(namespace, name) : NULL;

    Py_XDECREF(namespace);
    PyErr_Clear();
    return value;
}

/*
 * Whether `cls(*values)` would only run the __new__ collections.namedtuple
 * generates, tuple.__new__(cls, values): the class of the __new__ it runs
 * is the one namedtuple made (it holds namedtuple's _fields, as many as the
 * schema has fields) and no __init__ was added.
 */
static int builds_directly(PyObject *cls, size_t nfields)
{
    PyTypeObject *type = (PyTypeObject *)cls;
    PyObject *mro = type->tp_mro;
    int direct = 0;

    if (!PyType_IsSubtype(type, &PyTuple_Type) ||
        type->tp_init != PyBaseObject_Type.tp_init || mro == NULL)
        return 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(mro); i++) {
        PyObject *base = PyTuple_GET_ITEM(mro, i);
        PyObject *new_method = own_attribute(base, "__new__");
        PyObject *fields = NULL;
        if (new_method == NULL)
            continue;
        fields = own_attribute(base, "_fields");
        direct = fields != NULL && PyTuple_Check(fields) &&
                 (size_t)PyTuple_GET_SIZE(fields) == nfields;
        Py_DECREF(new_method);
        Py_XDECREF(fields);
        break;
    }
    return direct;
}

/* Texts repeat (event types, function and file names): each field keeps
   the str objects it made last in a small table indexed by a cheap hash of
   the bytes, so that a repeated text costs a comparison, not a new str. */
#define TEXT_SLOTS 64

/* A hash of the length and of three 8-byte windows (start, middle, end):
   file names that share a directory still spread. */
static size_t text_slot(const char *text, size_t len)
{
    uint64_t head = 0, middle = 0, tail = 0, h;

    memcpy(&head, text, len < 8 ? len : 8);
    if (len > 8) {
        memcpy(&middle, text + len / 2 - 4, 8);
        memcpy(&tail, text + len - 8, 8);
    }
    h = (head * 0x9E3779B97F4A7C15u) ^ (middle * 0xC2B2AE3D27D4EB4Fu) ^
        (tail * 0xFF51AFD7ED558CCDu) ^ len;
    h ^= h >> 29;
    return (size_t)(h * 0x94D049BB133111EBu >> 58); /* 6 bits: 0..63 */
}

/* Makes the converter's per-field text memory fit `schema`. */
static int reset_texts(struct pikos_ext_converter *conv,
                       const struct pikos_schema *schema)
{
    size_t count = schema->nfields * TEXT_SLOTS;
    PyObject **texts = PyMem_Calloc(count + 1, sizeof(*texts));

    if (texts == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < conv->ntexts; i++)
        Py_XDECREF(conv->texts[i]);
    PyMem_Free(conv->texts);
    conv->texts = texts;
    conv->ntexts = count;
    return 0;
}

PyObject *pikos_ext_class_for(struct pikos_ext_converter *conv,
                              const struct pikos_schema *schema)
{
    PyObject *cls;

    if (conv->schema == schema && conv->generation == classes_generation)
        return conv->cls;
    if (record_classes == NULL) {
        PyErr_SetString(pikos_ext_error, "pikos._pikos is not initialized");
        return NULL;
    }
    cls = class_of(schema);
    if (cls == NULL || reset_texts(conv, schema) < 0) {
        Py_XDECREF(cls);
        return NULL;
    }
    Py_XSETREF(conv->cls, cls);
    conv->direct = builds_directly(cls, schema->nfields);
    conv->schema = schema;
    conv->generation = classes_generation;
    return cls;
}

void pikos_ext_converter_clear(struct pikos_ext_converter *conv)
{
    for (size_t i = 0; i < conv->ntexts; i++)
        Py_CLEAR(conv->texts[i]);
    PyMem_Free(conv->texts);
    conv->texts = NULL;
    conv->ntexts = 0;
    conv->schema = NULL;
    Py_CLEAR(conv->cls);
}

/* ------------------------------------------------------------ values */

static int same_text(PyObject *str, const char *text, size_t len)
{
    Py_ssize_t size;
    const char *utf8;

    if (PyUnicode_IS_COMPACT_ASCII(str)) {
        size = PyUnicode_GET_LENGTH(str);
        utf8 = PyUnicode_DATA(str);
    } else if ((utf8 = PyUnicode_AsUTF8AndSize(str, &size)) == NULL) {
        PyErr_Clear(); /* surrogates: not the same as any UTF-8 */
        return 0;
    }
    return (size_t)size == len && memcmp(utf8, text, len) == 0;
}

/* The str of text field `i`: one made before when the text repeats. */
static PyObject *text_object(struct pikos_ext_converter *conv, size_t i,
                             const struct pikos_value *value)
{
    const char *bytes = value->u.s.ptr;
    size_t len = value->u.s.len;
    PyObject **slot = &conv->texts[i * TEXT_SLOTS + text_slot(bytes, len)];
    PyObject *text;

    if (*slot != NULL && same_text(*slot, bytes, len))
        return Py_NewRef(*slot);
    text = PyUnicode_DecodeUTF8(bytes, (Py_ssize_t)len, "surrogateescape");
    if (text != NULL)
        Py_XSETREF(*slot, Py_NewRef(text));
    return text;
}

static PyObject *value_object(struct pikos_ext_converter *conv, size_t i,
                              const struct pikos_value *value)
{
    const struct pikos_field *field = &conv->schema->fields[i];

    switch (field->type) {
    case PIKOS_FIELD_INT:
        return PyLong_FromLongLong(value->u.i);
    case PIKOS_FIELD_FLOAT:
        return PyFloat_FromDouble(value->u.f);
    case PIKOS_FIELD_STR:
        return text_object(conv, i, value);
    default:
        PyErr_Format(pikos_ext_error,
                     "record field '%s' has an unknown type (%u)", field->name,
                     (unsigned)field->type);
        return NULL;
    }
}

/* Fills values[0..n) with the record's values; 0, or -1 with none left. */
static int values_of(struct pikos_ext_converter *conv,
                     const struct pikos_record *rec, PyObject **values)
{
    for (size_t i = 0; i < conv->schema->nfields; i++) {
        values[i] = value_object(conv, i, &rec->values[i]);
        if (values[i] == NULL) {
            while (i > 0)
                Py_DECREF(values[--i]);
            return -1;
        }
    }
    return 0;
}

/* tuple.__new__(cls, values), taking over the values' references.
   A record holds only ints, floats and strs, so it can never be part of a
   reference cycle: it is taken out of the garbage collector's lists at
   once.  Otherwise a million records read from a ListRecorder would make
   the collector walk them over and over (it costs several times the rest
   of the conversion). */
static PyObject *tuple_of(PyObject *cls, PyObject **values, size_t n)
{
    PyTypeObject *type = (PyTypeObject *)cls;
    PyObject *record = type->tp_alloc(type, (Py_ssize_t)n);

    for (size_t i = 0; i < n; i++) {
        if (record != NULL)
            PyTuple_SET_ITEM(record, (Py_ssize_t)i, values[i]);
        else
            Py_DECREF(values[i]);
    }
    if (record != NULL && PyObject_GC_IsTracked(record))
        PyObject_GC_UnTrack(record);
    return record;
}

/* cls(*values); the values' references are released. */
static PyObject *call_class(PyObject *cls, PyObject **values, size_t n)
{
    PyObject *record = PyObject_Vectorcall(cls, values, n, NULL);

    for (size_t i = 0; i < n; i++)
        Py_DECREF(values[i]);
    return record;
}

PyObject *pikos_ext_record_new(struct pikos_ext_converter *conv,
                               const struct pikos_record *rec)
{
    size_t n = rec->schema->nfields;
    PyObject *stack[STACK_FIELDS], **values = stack;
    PyObject *cls = Py_XNewRef(pikos_ext_class_for(conv, rec->schema));
    PyObject *record = NULL;

    if (cls == NULL)
        return NULL;
    if (n > STACK_FIELDS && (values = PyMem_Calloc(n, sizeof(*values))) == NULL)
        PyErr_NoMemory();
    else if (values_of(conv, rec, values) == 0)
        record = conv->direct ? tuple_of(cls, values, n)
                              : call_class(cls, values, n);
    if (values != stack)
        PyMem_Free(values);
    Py_DECREF(cls);
    return record;
}
