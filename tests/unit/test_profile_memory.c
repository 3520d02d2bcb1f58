/* recorders/profile's memory profiles: allocation records (monitors/
   allocations' StackAllocationRecord and AllocationRecord, made here by
   hand) through the fake host, each format's file compared with what the
   records say - collapsed and speedscope as exact text, pprof decoded by
   a protobuf reader of this file (gunzipped with zlib) - and the
   refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <zlib.h>

#include "../../plugins/recorders/profile/allocations.h"
#include "fakehost.h"

extern const struct pikos_plugin pikos_plugin_entry;

/* ------------------------------------------------------------ frames */

static void assert_frame(const char *text, const char *function,
                         const char *filename, int64_t lineno)
{
    struct alloc_frame_text f;
    alloc_frame_parse(text, strlen(text), &f);
    cr_assert_eq(f.function_len, strlen(function), "%s", text);
    cr_assert_eq(memcmp(f.function, function, f.function_len), 0, "%s", text);
    cr_assert_eq(f.filename_len, strlen(filename), "%s", text);
    cr_assert_eq(memcmp(f.filename, filename, f.filename_len), 0, "%s", text);
    cr_assert_eq(f.lineno, lineno, "%s", text);
}

Test(frames, are_parsed_as_the_records_write_them)
{
    assert_frame("build (/app.py:12)", "build", "/app.py", 12);
    assert_frame("<module> (/a b/app.py:1)", "<module>", "/a b/app.py", 1);
    assert_frame("<no Python frame>", "<no Python frame>", "", 0);
    /* The last " (" splits, the last ':' ends the file. */
    assert_frame("f (x) (/app.py:3)", "f (x)", "/app.py", 3);
    assert_frame("f (C:/app.py:3)", "f", "C:/app.py", 3);
    /* No line number: all of it is the file, line 0. */
    assert_frame("f (/app.py)", "f", "/app.py", 0);
    assert_frame("f (/app.py:)", "f", "/app.py:", 0);
    assert_frame("f (/app.py:3x)", "f", "/app.py:3x", 0);
    assert_frame("f (/app.py:1234567890123456789)", "f",
                 "/app.py:1234567890123456789", 0); /* past int64 */
    assert_frame("f (/app.py:123456789012345678)", "f", "/app.py",
                 123456789012345678);
    /* Not "NAME (PLACE)": the whole text is the function. */
    assert_frame("f(/app.py:3)", "f(/app.py:3)", "", 0);
    assert_frame("f (/app.py:3) ", "f (/app.py:3) ", "", 0);
    assert_frame("(x)", "(x)", "", 0);
    assert_frame(" (x)", "", "x", 0);
    assert_frame("", "", "", 0);
}

Test(frames, equal_stacks_add_up_and_share_their_locations)
{
    struct alloc_profile *p = alloc_profile_new();
    struct alloc_frame_text a[2], b[2];
    alloc_frame_parse("main (/app.py:5)", 16, &a[0]);
    alloc_frame_parse("f (/app.py:2)", 13, &a[1]);
    alloc_frame_parse("main (/app.py:5)", 16, &b[0]);
    alloc_frame_parse("f (/app.py:3)", 13, &b[1]);
    int64_t one[ALLOC_NVALUES] = {1, 2, 3, 4, 5, 6, 7, 8};
    cr_assert_eq(alloc_profile_add(p, a, 2, one), 0);
    cr_assert_eq(alloc_profile_add(p, b, 2, one), 0);
    cr_assert_eq(alloc_profile_add(p, a, 2, one), 0);
    cr_assert_eq(alloc_profile_add(p, a, 1, one), 0);
    cr_assert_eq(p->nstacks, 3);
    cr_assert_eq(p->nlocations, 3);  /* main:5, f:2, f:3 */
    cr_assert_eq(p->nfunctions, 2);  /* main, f */
    cr_assert_eq(p->stacks[0].values[0], 2);
    cr_assert_eq(p->stacks[0].values[7], 16);
    cr_assert_eq(p->stacks[1].values[7], 8);
    cr_assert_eq(p->stacks[2].depth, 1);
    cr_assert_str_eq(alloc_function_name(p, 1), "f");
    cr_assert_str_eq(alloc_function_file(p, 1), "/app.py");
    alloc_profile_free(p);
}

/* Thousands of functions, locations and stacks grow every table. */
Test(frames, many_stacks_grow_the_tables)
{
    struct alloc_profile *p = alloc_profile_new();
    char text[3][64];
    struct alloc_frame_text f[3];
    int64_t v[ALLOC_NVALUES] = {1, 1, 0, 0, 1, 1, 1, 1};
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 3000; i++) {
            snprintf(text[0], 64, "main (/app.py:%d)", i % 7);
            snprintf(text[1], 64, "f%d (/m%d.py:%d)", i % 500, i % 500 % 3,
                     i % 11);
            snprintf(text[2], 64, "leaf (/app.py:%d)", i);
            for (int d = 0; d < 3; d++)
                alloc_frame_parse(text[d], strlen(text[d]), &f[d]);
            cr_assert_eq(alloc_profile_add(p, f, 3, v), 0);
        }
    cr_assert_eq(p->nstacks, 3000);
    cr_assert_eq(p->nfunctions, 1 + 500 + 1);
    for (uint32_t s = 0; s < p->nstacks; s++) {
        cr_assert_eq(p->stacks[s].values[0], 2);
        const uint32_t *frames = alloc_stack_frames(p, &p->stacks[s]);
        cr_assert_eq(p->locations[frames[2]].line, (int64_t)s);
    }
    alloc_profile_free(p);
}

/* ------------------------------------------------------------ records */

/* StackAllocationRecord as monitors/allocations emits it
   (aggregate=stack), and AllocationRecord (aggregate=line). */
static const struct pikos_field stack_fields[] = {
    {"stack", PIKOS_FIELD_STR},      {"function", PIKOS_FIELD_STR},
    {"filename", PIKOS_FIELD_STR},   {"lineno", PIKOS_FIELD_INT},
    {"alloc_bytes", PIKOS_FIELD_INT}, {"alloc_count", PIKOS_FIELD_INT},
    {"free_bytes", PIKOS_FIELD_INT}, {"free_count", PIKOS_FIELD_INT},
    {"peak_bytes", PIKOS_FIELD_INT}, {"peak_count", PIKOS_FIELD_INT},
    {"exit_bytes", PIKOS_FIELD_INT}, {"exit_count", PIKOS_FIELD_INT}};
static const struct pikos_schema stacks = {"StackAllocationRecord", 12,
                                           stack_fields, NULL, NULL};
static const struct pikos_schema lines = {"AllocationRecord", 11,
                                          stack_fields + 1, NULL, NULL};
/* One without peak_count. */
static const struct pikos_field short_fields[] = {
    {"function", PIKOS_FIELD_STR},   {"filename", PIKOS_FIELD_STR},
    {"lineno", PIKOS_FIELD_INT},     {"alloc_bytes", PIKOS_FIELD_INT},
    {"alloc_count", PIKOS_FIELD_INT}, {"free_bytes", PIKOS_FIELD_INT},
    {"free_count", PIKOS_FIELD_INT}, {"peak_bytes", PIKOS_FIELD_INT},
    {"exit_bytes", PIKOS_FIELD_INT}, {"exit_count", PIKOS_FIELD_INT}};
static const struct pikos_schema short_schema = {"ShortAllocationRecord", 10,
                                                 short_fields, NULL, NULL};

static const struct pikos_field timed_fields[] = {
    {"index", PIKOS_FIELD_INT},    {"type", PIKOS_FIELD_STR},
    {"function", PIKOS_FIELD_STR}, {"lineNo", PIKOS_FIELD_INT},
    {"filename", PIKOS_FIELD_STR}, {"firstLineNo", PIKOS_FIELD_INT},
    {"time", PIKOS_FIELD_INT},     {"thread", PIKOS_FIELD_INT}};
static const struct pikos_schema timed = {"TimedFunctionRecord", 8,
                                          timed_fields, NULL, NULL};

/* A synthetic run's records: stack text, then its 8 values
   (alloc bytes/count, free, peak, exit). */
struct synthetic {
    const char *stack;
    int64_t v[ALLOC_NVALUES];
};

static const struct synthetic run[] = {
    {"<module> (/app.py:10);main (/app.py:5);build (/app.py:2)",
     {1000, 10, 400, 4, 600, 6, 500, 5}},
    {"<module> (/app.py:10);main (/app.py:6)", {300, 3, 300, 3, 0, 0, 0, 0}},
    {"<no Python frame>", {64, 1, 0, 0, 64, 1, 64, 1}},
    {"<module> (/app.py:10);main (/app.py:5);build (/app.py:3)",
     {50, 1, 0, 0, 50, 1, 0, 0}},
};
#define NRUN (sizeof(run) / sizeof(run[0]))

/* The record of a stack, its last frame as function/filename/lineno. */
static void record_stack(struct fake_instance *fi, const char *stack,
                         const int64_t v[ALLOC_NVALUES])
{
    const char *last = strrchr(stack, ';');
    last = last ? last + 1 : stack;
    struct alloc_frame_text f;
    alloc_frame_parse(last, strlen(last), &f);
    struct pikos_value values[12] = {
        {.u.s = {stack, strlen(stack)}},
        {.u.s = {f.function, f.function_len}},
        {.u.s = {f.filename, f.filename_len}},
        {.u.i = f.lineno}};
    for (int i = 0; i < ALLOC_NVALUES; i++)
        values[4 + i].u.i = v[i];
    struct pikos_record rec = {&stacks, values};
    cr_assert_eq(fake_record(fi, &rec), PIKOS_OK, "%s", fi->error);
}

static void record_run(struct fake_instance *fi)
{
    for (size_t i = 0; i < NRUN; i++)
        record_stack(fi, run[i].stack, run[i].v);
}

/* A profile writing `path`, with `settings` (NULL-terminated, up to 4). */
static struct fake_instance *profiler(const char *format, char path[64],
                                      const char *more)
{
    fake_temp_file(path);
    char format_setting[64], file_setting[96];
    snprintf(format_setting, sizeof(format_setting), "format=%s", format);
    snprintf(file_setting, sizeof(file_setting), "filename=%s", path);
    const char *settings[] = {format_setting, file_setting, more, NULL};
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, settings);
    cr_assert_not_null(fi);
    cr_assert_eq(fi->init_rc, PIKOS_OK, "%s", fi->error);
    return fi;
}

/* The file a profile of the synthetic run writes, with `more`. */
static char *profile_of_run(const char *format, const char *more)
{
    char path[64];
    struct fake_instance *fi = profiler(format, path, more);
    record_run(fi);
    cr_assert_eq(pikos_plugin_entry.finalize(&fi->inst, fi->ctx), PIKOS_OK,
                 "%s", fi->error);
    fake_instance_free(fi);
    char *text = fake_read_file(path);
    cr_assert_not_null(text);
    unlink(path);
    return text;
}

/* ------------------------------------------------------------ collapsed */

Test(collapsed, weighs_the_stacks_by_their_bytes_at_the_peak_by_default)
{
    char *text = profile_of_run("collapsed", NULL);
    cr_assert_str_eq(
        text, "<module> (/app.py:10);main (/app.py:5);build (/app.py:2) 600\n"
              "<no Python frame> 64\n"
              "<module> (/app.py:10);main (/app.py:5);build (/app.py:3) 50\n");
    free(text);
}

Test(collapsed, weighs_them_by_bytes_at_exit_or_allocated_when_asked)
{
    char *text = profile_of_run("collapsed", "memory=exit");
    cr_assert_str_eq(
        text, "<module> (/app.py:10);main (/app.py:5);build (/app.py:2) 500\n"
              "<no Python frame> 64\n");
    free(text);
    text = profile_of_run("collapsed", "memory=alloc");
    cr_assert_str_eq(
        text, "<module> (/app.py:10);main (/app.py:5);build (/app.py:2) 1000\n"
              "<module> (/app.py:10);main (/app.py:6) 300\n"
              "<no Python frame> 64\n"
              "<module> (/app.py:10);main (/app.py:5);build (/app.py:3) 50\n");
    free(text);
}

/* Line breaks in a name or file cannot break a line; a second run's
   records add to the first's (each file holds every run so far). */
Test(collapsed, a_second_run_adds_to_the_first)
{
    char path[64];
    struct fake_instance *fi = profiler("collapsed", path, "memory=alloc");
    int64_t v[ALLOC_NVALUES] = {10, 1, 0, 0, 10, 1, 0, 0};
    record_stack(fi, "f (/a\nb.py:1)", v);
    record_stack(fi, "<no Python frame>", v);
    cr_assert_eq(pikos_plugin_entry.finalize(&fi->inst, fi->ctx), PIKOS_OK);
    record_stack(fi, "<no Python frame>", v);
    cr_assert_eq(pikos_plugin_entry.finalize(&fi->inst, fi->ctx), PIKOS_OK);
    char *text = fake_read_file(path);
    cr_assert_str_eq(text, "f (/a_b.py:1) 10\n<no Python frame> 20\n");
    free(text);
    fake_instance_free(fi);
    unlink(path);
}

/* AllocationRecord (aggregate=line): each line a stack of one frame. */
Test(collapsed, line_records_are_stacks_of_one_frame)
{
    char path[64];
    struct fake_instance *fi = profiler("collapsed", path, NULL);
    struct pikos_value values[11] = {{.u.s = {"build", 5}},
                                     {.u.s = {"/app.py", 7}},
                                     {.u.i = 2}};
    for (int i = 0; i < ALLOC_NVALUES; i++)
        values[3 + i].u.i = 100 * (i + 1);
    struct pikos_record rec = {&lines, values};
    cr_assert_eq(fake_record(fi, &rec), PIKOS_OK, "%s", fi->error);
    values[0].u.s.ptr = "<no Python frame>";
    values[0].u.s.len = 17;
    values[1].u.s.len = 0;
    values[2].u.i = 0;
    cr_assert_eq(fake_record(fi, &rec), PIKOS_OK, "%s", fi->error);
    cr_assert_eq(pikos_plugin_entry.finalize(&fi->inst, fi->ctx), PIKOS_OK);
    char *text = fake_read_file(path);
    cr_assert_str_eq(text, "build (/app.py:2) 500\n<no Python frame> 500\n");
    free(text);
    fake_instance_free(fi);
    unlink(path);
}

/* ------------------------------------------------------------ speedscope */

Test(speedscope, one_sampled_profile_in_bytes)
{
    char *text = profile_of_run("speedscope", NULL);
    cr_assert_str_eq(
        text,
        "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
        "\"name\":\"pikos memory profile\",\"exporter\":\"pikos "
        "recorders/profile\",\"activeProfileIndex\":0,\"shared\":{\"frames\":"
        "[{\"name\":\"<module>\",\"file\":\"/app.py\",\"line\":10},"
        "{\"name\":\"main\",\"file\":\"/app.py\",\"line\":5},"
        "{\"name\":\"build\",\"file\":\"/app.py\",\"line\":2},"
        "{\"name\":\"main\",\"file\":\"/app.py\",\"line\":6},"
        "{\"name\":\"<no Python frame>\"},"
        "{\"name\":\"build\",\"file\":\"/app.py\",\"line\":3}]},"
        "\"profiles\":[{\"type\":\"sampled\",\"name\":\"live bytes at the "
        "peak\",\"unit\":\"bytes\",\"startValue\":0,\"endValue\":714,"
        "\"samples\":[[0,1,2],[4],[0,1,5]],\"weights\":[600,64,50]}]}\n");
    free(text);
    text = profile_of_run("speedscope", "memory=exit");
    cr_assert(strstr(text, "\"name\":\"live bytes when monitoring stopped\","
                           "\"unit\":\"bytes\",\"startValue\":0,"
                           "\"endValue\":564,\"samples\":[[0,1,2],[4]],"
                           "\"weights\":[500,64]}") != NULL,
              "%s", text);
    free(text);
}

/* ------------------------------------------------------------ pprof */

/* A protobuf reader of its own (the wire format: varints and
   length-delimited fields), to decode what pprof.c encoded. */
struct pb {
    const unsigned char *at, *end;
};

static uint64_t pb_read_varint(struct pb *r)
{
    uint64_t v = 0;
    for (int shift = 0; r->at < r->end; shift += 7) {
        unsigned char byte = *r->at++;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return v;
    }
    cr_assert_fail("a varint runs past its message");
    return 0;
}

/* The next field: its number, and its varint or its bytes. */
static int pb_next(struct pb *r, uint32_t *field, uint64_t *value,
                   struct pb *bytes)
{
    if (r->at >= r->end)
        return 0;
    uint64_t key = pb_read_varint(r);
    *field = (uint32_t)(key >> 3);
    if ((key & 7) == 0) {
        *value = pb_read_varint(r);
    } else {
        cr_assert_eq(key & 7, 2, "wire type %d", (int)(key & 7));
        uint64_t len = pb_read_varint(r);
        cr_assert_leq(len, (uint64_t)(r->end - r->at));
        bytes->at = r->at;
        bytes->end = r->at + len;
        r->at += len;
    }
    return 1;
}

/* A packed repeated varint field, or a single one. */
static size_t pb_values(uint64_t value, struct pb *bytes, int packed,
                        uint64_t *out, size_t cap, size_t n)
{
    if (!packed) {
        cr_assert_lt(n, cap);
        out[n++] = value;
        return n;
    }
    while (bytes->at < bytes->end) {
        cr_assert_lt(n, cap);
        out[n++] = pb_read_varint(bytes);
    }
    return n;
}

struct decoded {
    char strings[64][128];
    size_t nstrings;
    uint64_t sample_types[8][2];
    size_t ntypes;
    uint64_t sample_ids[16][8], sample_values[16][8];
    size_t sample_nids[16], sample_nvalues[16], nsamples;
    uint64_t location[16][3]; /* id, function id, line */
    size_t nlocations;
    uint64_t function[16][4]; /* id, name, system name, file */
    size_t nfunctions;
    uint64_t period_type[2], period, comment, default_type;
    size_t ncomments;
};

static void decode_sample(struct decoded *d, struct pb m)
{
    size_t s = d->nsamples++;
    uint32_t field;
    uint64_t value;
    struct pb bytes = {0};
    cr_assert_lt(s, 16);
    while (pb_next(&m, &field, &value, &bytes)) {
        int packed = bytes.at != NULL;
        if (field == 1)
            d->sample_nids[s] = pb_values(value, &bytes, packed,
                                          d->sample_ids[s], 8,
                                          d->sample_nids[s]);
        else if (field == 2)
            d->sample_nvalues[s] = pb_values(value, &bytes, packed,
                                             d->sample_values[s], 8,
                                             d->sample_nvalues[s]);
        else
            cr_assert_fail("sample field %u", field);
        bytes.at = NULL;
    }
}

/* The fields of a small message, by number (at most 8; 0 when absent);
   an embedded message's first field goes into its slot. */
static void decode_small(struct pb m, uint64_t out[8])
{
    uint32_t field;
    uint64_t value;
    struct pb bytes = {0};
    memset(out, 0, 8 * sizeof(*out));
    while (pb_next(&m, &field, &value, &bytes)) {
        cr_assert_lt(field, 8);
        if (bytes.at != NULL) { /* Location.line: {function_id, line} */
            uint64_t line[8];
            decode_small(bytes, line);
            out[field] = line[1];
            out[0] = line[2];
            bytes.at = NULL;
        } else {
            out[field] = value;
        }
    }
}

static struct decoded *decode_pprof(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    static unsigned char gz[1 << 16], raw[1 << 16];
    size_t len = fread(gz, 1, sizeof(gz), f);
    fclose(f);
    z_stream z = {0};
    cr_assert_eq(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = gz;
    z.avail_in = (uInt)len;
    z.next_out = raw;
    z.avail_out = sizeof(raw);
    cr_assert_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
    struct pb r = {raw, raw + z.total_out};
    inflateEnd(&z);

    struct decoded *d = calloc(1, sizeof(*d));
    uint32_t field;
    uint64_t value, small[8];
    struct pb bytes = {0};
    while (pb_next(&r, &field, &value, &bytes)) {
        switch (field) {
        case 1: /* sample_type */
            decode_small(bytes, small);
            d->sample_types[d->ntypes][0] = small[1];
            d->sample_types[d->ntypes++][1] = small[2];
            break;
        case 2:
            decode_sample(d, bytes);
            break;
        case 3: /* the mapping */
            break;
        case 4: /* location: id 1, mapping 2, line 4 */
            decode_small(bytes, small);
            d->location[d->nlocations][0] = small[1];
            d->location[d->nlocations][1] = small[4];
            d->location[d->nlocations++][2] = small[0];
            break;
        case 5: /* function: id 1, name 2, system name 3, file 4 */
            decode_small(bytes, small);
            memcpy(d->function[d->nfunctions++], small + 1,
                   4 * sizeof(uint64_t));
            break;
        case 6:
            cr_assert_lt(bytes.end - bytes.at, 128);
            memcpy(d->strings[d->nstrings], bytes.at,
                   (size_t)(bytes.end - bytes.at));
            d->nstrings++;
            break;
        case 11:
            decode_small(bytes, small);
            d->period_type[0] = small[1];
            d->period_type[1] = small[2];
            break;
        case 12:
            d->period = value;
            break;
        case 13:
            d->comment = value;
            d->ncomments++;
            break;
        case 14:
            d->default_type = value;
            break;
        default:
            cr_assert_fail("profile field %u", field);
        }
        bytes.at = NULL;
    }
    return d;
}

static const char *str(const struct decoded *d, uint64_t i)
{
    cr_assert_lt(i, d->nstrings);
    return d->strings[i];
}

/* A location's frame as collapsed stacks write it. */
static void frame_text(const struct decoded *d, uint64_t location_id,
                       char *out, size_t cap)
{
    for (size_t l = 0; l < d->nlocations; l++) {
        if (d->location[l][0] != location_id)
            continue;
        for (size_t f = 0; f < d->nfunctions; f++) {
            if (d->function[f][0] != d->location[l][1])
                continue;
            const char *file = str(d, d->function[f][3]);
            if (file[0] == '\0')
                snprintf(out, cap, "%s", str(d, d->function[f][1]));
            else
                snprintf(out, cap, "%s (%s:%llu)", str(d, d->function[f][1]),
                         file, (unsigned long long)d->location[l][2]);
            return;
        }
    }
    cr_assert_fail("no location %llu", (unsigned long long)location_id);
}

static void assert_pprof_of_run(const char *more, int inuse_value,
                                const char *comment)
{
    char path[64];
    struct fake_instance *fi = profiler("pprof", path, more);
    record_run(fi);
    cr_assert_eq(pikos_plugin_entry.finalize(&fi->inst, fi->ctx), PIKOS_OK);
    fake_instance_free(fi);
    struct decoded *d = decode_pprof(path);
    unlink(path);

    static const char *const types[4][2] = {{"alloc_objects", "count"},
                                            {"alloc_space", "bytes"},
                                            {"inuse_objects", "count"},
                                            {"inuse_space", "bytes"}};
    cr_assert_eq(d->ntypes, 4);
    for (int t = 0; t < 4; t++) {
        cr_assert_str_eq(str(d, d->sample_types[t][0]), types[t][0]);
        cr_assert_str_eq(str(d, d->sample_types[t][1]), types[t][1]);
    }
    cr_assert_str_eq(str(d, d->default_type), "inuse_space");
    cr_assert_str_eq(str(d, d->period_type[0]), "space");
    cr_assert_str_eq(str(d, d->period_type[1]), "bytes");
    cr_assert_eq(d->period, 1);
    cr_assert_eq(d->ncomments, 1);
    cr_assert_str_eq(str(d, d->comment), comment);
    cr_assert_str_eq(str(d, 0), "");

    /* Every record is a sample, leaf first, with its four values. */
    cr_assert_eq(d->nsamples, NRUN);
    for (size_t s = 0; s < NRUN; s++) {
        char stack[512] = "", frame[128];
        for (size_t i = d->sample_nids[s]; i-- > 0;) {
            frame_text(d, d->sample_ids[s][i], frame, sizeof(frame));
            if (stack[0])
                strcat(stack, ";");
            strcat(stack, frame);
        }
        cr_assert_str_eq(stack, run[s].stack);
        cr_assert_eq(d->sample_nvalues[s], 4);
        cr_assert_eq(d->sample_values[s][0], (uint64_t)run[s].v[ALLOC_COUNT]);
        cr_assert_eq(d->sample_values[s][1], (uint64_t)run[s].v[ALLOC_BYTES]);
        cr_assert_eq(d->sample_values[s][2],
                     (uint64_t)run[s].v[inuse_value + 1]);
        cr_assert_eq(d->sample_values[s][3], (uint64_t)run[s].v[inuse_value]);
    }
    /* Each (function, line) once, each (name, file) once. */
    cr_assert_eq(d->nlocations, 6);
    cr_assert_eq(d->nfunctions, 4); /* <module>, main, build, no frame */
    for (size_t f = 0; f < d->nfunctions; f++)
        cr_assert_eq(d->function[f][2], 0); /* no system name */
    free(d);
}

Test(pprof, a_heap_profile_with_inuse_at_the_peak_by_default)
{
    assert_pprof_of_run(NULL, PEAK_BYTES,
                        "inuse_objects, inuse_space: live when the program's "
                        "live bytes were at their peak (pikos memory=peak)");
}

Test(pprof, inuse_at_exit_when_asked)
{
    assert_pprof_of_run("memory=exit", EXIT_BYTES,
                        "inuse_objects, inuse_space: live when monitoring "
                        "stopped (pikos memory=exit)");
}

/* ------------------------------------------------------------ refusals */

static struct fake_instance *refused_at_init(const char *format,
                                             const char *memory)
{
    const char *settings[] = {format, memory, NULL};
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, settings);
    cr_assert_not_null(fi);
    cr_assert_eq(fi->init_rc, PIKOS_EINVAL);
    return fi;
}

Test(refusals, memory_options_that_mean_nothing_are_refused_at_init)
{
    struct fake_instance *fi = refused_at_init("format=pprof", "memory=alloc");
    cr_assert_str_eq(fi->error, "option 'memory' of format=pprof must be peak "
                                "or exit (what inuse_space is: alloc_space is "
                                "always there), not 'alloc'");
    fake_instance_free(fi);
    fi = refused_at_init("format=collapsed", "memory=most");
    cr_assert_str_eq(fi->error, "option 'memory' must be peak, exit or "
                                "alloc, not 'most'");
    fake_instance_free(fi);
    fi = refused_at_init("format=pstats", "memory=peak");
    cr_assert_str_eq(fi->error, "option 'memory' is for memory profiles, "
                                "which format=pstats does not write");
    fake_instance_free(fi);
}

Test(refusals, pstats_refuses_allocation_records)
{
    char path[64];
    struct fake_instance *fi = profiler("pstats", path, NULL);
    cr_assert_eq(fake_prepare(fi, &stacks), PIKOS_EINVAL);
    cr_assert_str_eq(fi->error,
                     "format=pstats takes function records, not allocation "
                     "records (StackAllocationRecord): write a memory profile "
                     "with format=pprof, collapsed or speedscope");
    fake_instance_free(fi);
    unlink(path);
}

Test(refusals, one_kind_of_record_per_profile)
{
    char path[64];
    struct fake_instance *fi = profiler("pprof", path, NULL);
    cr_assert_eq(fake_prepare(fi, &timed), PIKOS_OK);
    cr_assert_eq(fake_prepare(fi, &stacks), PIKOS_EINVAL);
    cr_assert_str_eq(fi->error,
                     "a profile holds one kind of record: "
                     "StackAllocationRecord (allocation records) cannot join "
                     "the function records it takes; profile them in "
                     "separate runs (every recorder of a run gets every "
                     "monitor's records)");
    fake_instance_free(fi);
    unlink(path);

    fi = profiler("collapsed", path, NULL);
    cr_assert_eq(fake_prepare(fi, &lines), PIKOS_OK);
    cr_assert_eq(fake_prepare(fi, &stacks), PIKOS_OK); /* both allocations */
    cr_assert_eq(fake_prepare(fi, &timed), PIKOS_EINVAL);
    cr_assert_str_eq(fi->error,
                     "a profile holds one kind of record: "
                     "TimedFunctionRecord (function records) cannot join the "
                     "allocation records it takes; profile them in separate "
                     "runs (every recorder of a run gets every monitor's "
                     "records)");
    fake_instance_free(fi);
    unlink(path);
}

Test(refusals, the_memory_option_with_function_records)
{
    char path[64];
    struct fake_instance *fi = profiler("speedscope", path, "memory=exit");
    cr_assert_eq(fake_prepare(fi, &timed), PIKOS_EINVAL);
    cr_assert_str_eq(fi->error, "option 'memory' is for allocation records "
                                "(monitors/allocations), not "
                                "TimedFunctionRecord");
    fake_instance_free(fi);
    unlink(path);
}

Test(refusals, an_allocation_schema_lacking_a_field)
{
    char path[64];
    struct fake_instance *fi = profiler("pprof", path, NULL);
    cr_assert_eq(fake_prepare(fi, &short_schema), PIKOS_EINVAL);
    cr_assert_str_eq(fi->error, "a memory profile cannot read "
                                "ShortAllocationRecord: it has no int field "
                                "'peak_count'");
    fake_instance_free(fi);
    unlink(path);
}
