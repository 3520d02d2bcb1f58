/*
 * plugins/recorders/profile/pprof.c - pprof's profile.proto (google/pprof
 * proto/profile.proto), gzip-compressed as the format asks, for `go tool
 * pprof` and the tools that read it.
 *
 * Field numbers are profile.proto's: Profile.sample_type 1, sample 2,
 * location 4, function 5, string_table 6, duration_nanos 10,
 * default_sample_type 14; ValueType.type 1, unit 2; Sample.location_id 1
 * (leaf first), value 2, label 3; Label.key 1, num 3; Location.id 1,
 * line 4; Line.function_id 1, line 2; Function.id 1, name 2,
 * system_name 3, filename 4, start_line 5.
 *
 * Mapping.id 1, filename 5, has_functions 7, has_filenames 8,
 * has_line_numbers 9; Location.mapping_id 2.
 *
 * One sample per call path of each thread: values [wall nanoseconds
 * (exclusive time), calls], a "thread" label with the OS thread id.  One
 * function and one location (its first line) per function: function i is
 * id i + 1, and so is its location.  Strings: the fixed ones first, then
 * for function i its name, system name and file at 6 + 3i, 7 + 3i and
 * 8 + 3i.  A C function is named "<built-in method NAME>", its system
 * name the bare NAME, with no file; a Python function has no system name
 * (pprof would try to demangle one equal to the name).
 *
 * Each top-level field is one message, streamed into the gzip stream.
 */
#include <stdlib.h>
#include <string.h>

#include "formats.h"
#include "protobuf.h"

enum { /* Profile */
       PROFILE_SAMPLE_TYPE = 1,
       PROFILE_SAMPLE = 2,
       PROFILE_MAPPING = 3,
       PROFILE_LOCATION = 4,
       PROFILE_FUNCTION = 5,
       PROFILE_STRING_TABLE = 6,
       PROFILE_DURATION_NANOS = 10,
       PROFILE_DEFAULT_SAMPLE_TYPE = 14,
};
enum { VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2 };
enum { SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3 };
enum { LABEL_KEY = 1, LABEL_NUM = 3 };
enum {
    MAPPING_ID = 1,
    MAPPING_FILENAME = 5,
    MAPPING_HAS_FUNCTIONS = 7,
    MAPPING_HAS_FILENAMES = 8,
    MAPPING_HAS_LINE_NUMBERS = 9,
};
enum { LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_LINE = 4 };
enum { LINE_FUNCTION_ID = 1, LINE_LINE = 2 };
enum {
    FUNCTION_ID = 1,
    FUNCTION_NAME = 2,
    FUNCTION_SYSTEM_NAME = 3,
    FUNCTION_FILENAME = 4,
    FUNCTION_START_LINE = 5,
};

/* The string table's fixed part; functions' strings follow. */
static const char *const fixed_strings[] = {
    "", "wall", "nanoseconds", "calls", "count", "thread", "python"};
enum {
    S_EMPTY,
    S_WALL,
    S_NANOSECONDS,
    S_CALLS,
    S_COUNT,
    S_THREAD,
    S_PYTHON,
    S_FIXED
};

static uint64_t string_of(uint32_t function, int which)
{
    return S_FIXED + 3 * (uint64_t)function + (uint64_t)which;
}

struct pprof_writer {
    struct profile_writer *w;
    struct bytes message; /* an embedded message, built before its parent */
    struct bytes inner;   /* one embedded in that message */
    uint64_t *ids;        /* a sample's location ids */
    size_t ids_cap;
    uint64_t thread;
};

/* The message built in `built`, as field `field` of `into`. */
static void put_built(struct bytes *into, uint32_t field, struct bytes *built)
{
    pb_bytes_field(into, field, built->data, built->len);
    into->failed |= built->failed;
    bytes_clear(built);
}

/* The message built in pw->message, as field `field` of `into`. */
static void put_message(struct pprof_writer *pw, struct bytes *into,
                        uint32_t field)
{
    put_built(into, field, &pw->message);
}

static void put_sample_type(struct pprof_writer *pw, uint64_t type,
                            uint64_t unit)
{
    pb_uint_field(&pw->message, VALUE_TYPE_TYPE, type);
    pb_uint_field(&pw->message, VALUE_TYPE_UNIT, unit);
    put_message(pw, &pw->w->unit, PROFILE_SAMPLE_TYPE);
    writer_emit(pw->w);
}

/* Room for a path's ids; -1 when out of memory. */
static int reserve_ids(struct pprof_writer *pw, size_t depth)
{
    if (depth <= pw->ids_cap)
        return 0;
    uint64_t *grown = realloc(pw->ids, 2 * depth * sizeof(*grown));
    if (grown == NULL)
        return -1;
    pw->ids = grown;
    pw->ids_cap = 2 * depth;
    return 0;
}

static void visit(const uint32_t *path, size_t depth, void *arg)
{
    struct pprof_writer *pw = arg;
    struct profile_writer *w = pw->w;
    uint32_t node = path[depth - 1];
    if (w->rc != PIKOS_OK)
        return;
    if (reserve_ids(pw, depth) < 0) {
        writer_fail(w, PIKOS_ENOMEM, "out of memory writing the profile");
        return;
    }
    for (size_t i = 0; i < depth; i++) /* leaf first */
        pw->ids[i] = w->tree->nodes[path[depth - 1 - i]].function + 1u;
    uint64_t values[2] = {call_tree_exclusive_ns(w->tree, node),
                          w->tree->nodes[node].calls};
    pb_uint_field(&pw->inner, LABEL_KEY, S_THREAD);
    pb_uint_field(&pw->inner, LABEL_NUM, pw->thread);
    pb_packed_field(&pw->message, SAMPLE_LOCATION_ID, pw->ids, depth);
    pb_packed_field(&pw->message, SAMPLE_VALUE, values, 2);
    put_built(&pw->message, SAMPLE_LABEL, &pw->inner);
    put_message(pw, &w->unit, PROFILE_SAMPLE);
    writer_emit(w);
}

static void put_samples(struct pprof_writer *pw)
{
    const struct call_tree *tree = pw->w->tree;
    for (uint32_t t = 0; t < tree->nthreads && pw->w->rc == PIKOS_OK; t++) {
        pw->thread = tree->threads[t].thread;
        if (call_tree_walk(tree, tree->threads[t].root, visit, NULL, pw) < 0)
            writer_fail(pw->w, PIKOS_ENOMEM,
                        "out of memory writing the profile");
    }
}

/* One mapping, "python" (the string `python`), that says the functions,
   files and lines are all here: pprof then neither looks for a binary nor
   symbolizes. */
static void put_mapping_named(struct pprof_writer *pw, uint64_t python)
{
    pb_uint_field(&pw->message, MAPPING_ID, 1);
    pb_uint_field(&pw->message, MAPPING_FILENAME, python);
    pb_uint_field(&pw->message, MAPPING_HAS_FUNCTIONS, 1);
    pb_uint_field(&pw->message, MAPPING_HAS_FILENAMES, 1);
    pb_uint_field(&pw->message, MAPPING_HAS_LINE_NUMBERS, 1);
    put_message(pw, &pw->w->unit, PROFILE_MAPPING);
    writer_emit(pw->w);
}

static void put_location(struct pprof_writer *pw, uint32_t f)
{
    pb_uint_field(&pw->inner, LINE_FUNCTION_ID, f + 1u);
    pb_uint_field(&pw->inner, LINE_LINE,
                  (uint64_t)pw->w->tree->functions[f].first_lineno);
    pb_uint_field(&pw->message, LOCATION_ID, f + 1u);
    pb_uint_field(&pw->message, LOCATION_MAPPING_ID, 1);
    put_built(&pw->message, LOCATION_LINE, &pw->inner);
    put_message(pw, &pw->w->unit, PROFILE_LOCATION);
    writer_emit(pw->w);
}

static void put_function(struct pprof_writer *pw, uint32_t f)
{
    pb_uint_field(&pw->message, FUNCTION_ID, f + 1u);
    pb_uint_field(&pw->message, FUNCTION_NAME, string_of(f, 0));
    if (pw->w->tree->functions[f].c_function)
        pb_uint_field(&pw->message, FUNCTION_SYSTEM_NAME, string_of(f, 1));
    pb_uint_field(&pw->message, FUNCTION_FILENAME, string_of(f, 2));
    pb_uint_field(&pw->message, FUNCTION_START_LINE,
                  (uint64_t)pw->w->tree->functions[f].first_lineno);
    put_message(pw, &pw->w->unit, PROFILE_FUNCTION);
    writer_emit(pw->w);
}

/* Function f's three strings, in string_of's order. */
static void put_function_strings(struct pprof_writer *pw, uint32_t f)
{
    const struct tree_function *fn = &pw->w->tree->functions[f];
    struct bytes *unit = &pw->w->unit;
    put_function_name(&pw->message, fn);
    put_message(pw, unit, PROFILE_STRING_TABLE);
    pb_bytes_field(unit, PROFILE_STRING_TABLE, fn->name, fn->name_len);
    pb_bytes_field(unit, PROFILE_STRING_TABLE, fn->filename, fn->filename_len);
    writer_emit(pw->w);
}

static void put_strings(struct pprof_writer *pw)
{
    struct bytes *unit = &pw->w->unit;
    for (int i = 0; i < S_FIXED; i++)
        pb_bytes_field(unit, PROFILE_STRING_TABLE, fixed_strings[i],
                       strlen(fixed_strings[i]));
    writer_emit(pw->w);
    for (uint32_t f = 0; f < pw->w->tree->nfunctions; f++)
        put_function_strings(pw, f);
}

int write_pprof(struct profile_writer *w)
{
    struct pprof_writer pw = {.w = w};
    put_sample_type(&pw, S_WALL, S_NANOSECONDS);
    put_sample_type(&pw, S_CALLS, S_COUNT);
    put_samples(&pw);
    put_mapping_named(&pw, S_PYTHON);
    for (uint32_t f = 0; f < w->tree->nfunctions && w->rc == PIKOS_OK; f++) {
        put_location(&pw, f);
        put_function(&pw, f);
    }
    put_strings(&pw);
    pb_uint_field(&w->unit, PROFILE_DURATION_NANOS, w->duration_ns);
    pb_uint_field(&w->unit, PROFILE_DEFAULT_SAMPLE_TYPE, S_WALL);
    writer_emit(w);
    bytes_free(&pw.message);
    bytes_free(&pw.inner);
    free(pw.ids);
    return w->rc;
}

/* ------------------------------------------------------------ memory */

/*
 * A memory profile, in the heap-profile convention of Go's runtime/pprof
 * that `go tool pprof` and Pyroscope read: sample types alloc_objects
 * (count), alloc_space (bytes), inuse_objects (count), inuse_space
 * (bytes), default inuse_space, period_type space/bytes with period 1
 * (every allocation counted, none sampled).  One sample per stack, its
 * location ids innermost first, values [alloc_count, alloc_bytes, then
 * the count and bytes of the measure: live at the peak (memory=peak) or
 * when monitoring stopped (memory=exit)], which a comment says.
 *
 * A location per (function, line) of the stacks, location l is id l + 1;
 * a function per (name, file), function f is id f + 1, its name and file
 * strings at M_FIXED + 2f and M_FIXED + 2f + 1.  No start line: the
 * records give the line each frame was at, not where its function
 * begins.  No thread label: the records do not say which thread.
 */
static const char *const memory_strings[] = {
    "",      "alloc_objects", "count", "alloc_space", "bytes",
    "inuse_objects", "inuse_space", "space", "python"};
enum {
    M_EMPTY,
    M_ALLOC_OBJECTS,
    M_COUNT,
    M_ALLOC_SPACE,
    M_BYTES,
    M_INUSE_OBJECTS,
    M_INUSE_SPACE,
    M_SPACE,
    M_PYTHON,
    M_COMMENT, /* the measure's comment */
    M_FIXED
};
enum {
    PROFILE_PERIOD_TYPE = 11,
    PROFILE_PERIOD = 12,
    PROFILE_COMMENT = 13,
};

static void put_memory_sample(struct pprof_writer *pw,
                              const struct alloc_stack *s)
{
    struct profile_writer *w = pw->w;
    const uint32_t *frames = alloc_stack_frames(w->allocs, s);
    if (reserve_ids(pw, s->depth) < 0) {
        writer_fail(w, PIKOS_ENOMEM, "out of memory writing the profile");
        return;
    }
    for (uint32_t i = 0; i < s->depth; i++) /* leaf first */
        pw->ids[i] = frames[s->depth - 1 - i] + 1u;
    enum alloc_value inuse = w->measure->bytes;
    uint64_t values[4] = {(uint64_t)s->values[ALLOC_COUNT],
                          (uint64_t)s->values[ALLOC_BYTES],
                          (uint64_t)s->values[inuse + 1],
                          (uint64_t)s->values[inuse]};
    pb_packed_field(&pw->message, SAMPLE_LOCATION_ID, pw->ids, s->depth);
    pb_packed_field(&pw->message, SAMPLE_VALUE, values, 4);
    put_message(pw, &w->unit, PROFILE_SAMPLE);
    writer_emit(w);
}

static void put_memory_location(struct pprof_writer *pw, uint32_t l)
{
    const struct alloc_location *loc = &pw->w->allocs->locations[l];
    pb_uint_field(&pw->inner, LINE_FUNCTION_ID, loc->function + 1u);
    pb_uint_field(&pw->inner, LINE_LINE, (uint64_t)loc->line);
    pb_uint_field(&pw->message, LOCATION_ID, l + 1u);
    pb_uint_field(&pw->message, LOCATION_MAPPING_ID, 1);
    put_built(&pw->message, LOCATION_LINE, &pw->inner);
    put_message(pw, &pw->w->unit, PROFILE_LOCATION);
    writer_emit(pw->w);
}

static void put_memory_function(struct pprof_writer *pw, uint32_t f)
{
    pb_uint_field(&pw->message, FUNCTION_ID, f + 1u);
    pb_uint_field(&pw->message, FUNCTION_NAME, M_FIXED + 2 * (uint64_t)f);
    pb_uint_field(&pw->message, FUNCTION_FILENAME,
                  M_FIXED + 2 * (uint64_t)f + 1);
    put_message(pw, &pw->w->unit, PROFILE_FUNCTION);
    writer_emit(pw->w);
}

int write_memory_pprof(struct profile_writer *w)
{
    const struct alloc_profile *p = w->allocs;
    struct pprof_writer pw = {.w = w};
    put_sample_type(&pw, M_ALLOC_OBJECTS, M_COUNT);
    put_sample_type(&pw, M_ALLOC_SPACE, M_BYTES);
    put_sample_type(&pw, M_INUSE_OBJECTS, M_COUNT);
    put_sample_type(&pw, M_INUSE_SPACE, M_BYTES);
    for (uint32_t i = 0; i < p->nstacks && w->rc == PIKOS_OK; i++)
        put_memory_sample(&pw, &p->stacks[i]);
    put_mapping_named(&pw, M_PYTHON);
    for (uint32_t l = 0; l < p->nlocations && w->rc == PIKOS_OK; l++)
        put_memory_location(&pw, l);
    for (uint32_t f = 0; f < p->nfunctions && w->rc == PIKOS_OK; f++)
        put_memory_function(&pw, f);
    for (int i = 0; i < M_COMMENT; i++)
        pb_bytes_field(&w->unit, PROFILE_STRING_TABLE, memory_strings[i],
                       strlen(memory_strings[i]));
    pb_bytes_field(&w->unit, PROFILE_STRING_TABLE, w->measure->comment,
                   strlen(w->measure->comment));
    writer_emit(w);
    for (uint32_t f = 0; f < p->nfunctions && w->rc == PIKOS_OK; f++) {
        const struct alloc_function *fn = &p->functions[f];
        pb_bytes_field(&w->unit, PROFILE_STRING_TABLE,
                       alloc_function_name(p, f), fn->name_len);
        pb_bytes_field(&w->unit, PROFILE_STRING_TABLE,
                       alloc_function_file(p, f), fn->filename_len);
        writer_emit(w);
    }
    pb_uint_field(&pw.message, VALUE_TYPE_TYPE, M_SPACE);
    pb_uint_field(&pw.message, VALUE_TYPE_UNIT, M_BYTES);
    put_message(&pw, &w->unit, PROFILE_PERIOD_TYPE);
    pb_uint_field(&w->unit, PROFILE_PERIOD, 1);
    pb_uint_field(&w->unit, PROFILE_COMMENT, M_COMMENT);
    pb_uint_field(&w->unit, PROFILE_DEFAULT_SAMPLE_TYPE, M_INUSE_SPACE);
    writer_emit(w);
    bytes_free(&pw.message);
    bytes_free(&pw.inner);
    free(pw.ids);
    return w->rc;
}
