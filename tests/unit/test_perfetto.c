/* recorders/perfetto against the fake host: untimed records are refused;
   each thread's packets form a sequence of their own (cleared first,
   then needing that state), whose incremental timestamps add up to the
   records' times; names are interned once per sequence; open calls end
   at the last time seen; counters are written when they change; line
   instants follow `lines`.  The file is read back with a small protobuf
   reader of the test's own. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "fakehost.h"

extern const struct pikos_plugin pikos_plugin_entry;

/* ------------------------------------------------------------ records */

static const struct pikos_field function_fields[] = {
    {"index", PIKOS_FIELD_INT},    {"type", PIKOS_FIELD_STR},
    {"function", PIKOS_FIELD_STR}, {"RSS", PIKOS_FIELD_INT},
    {"VMS", PIKOS_FIELD_INT},      {"lineNo", PIKOS_FIELD_INT},
    {"filename", PIKOS_FIELD_STR}, {"firstLineNo", PIKOS_FIELD_INT},
    {"time", PIKOS_FIELD_INT},     {"thread", PIKOS_FIELD_INT}};
/* TimedFunctionMemoryRecord's fields; TimedFunctionRecord's lack RSS
   and VMS, FunctionRecord's time and thread too. */
static const struct pikos_field timed_fields[] = {
    {"index", PIKOS_FIELD_INT},     {"type", PIKOS_FIELD_STR},
    {"function", PIKOS_FIELD_STR},  {"lineNo", PIKOS_FIELD_INT},
    {"filename", PIKOS_FIELD_STR},  {"firstLineNo", PIKOS_FIELD_INT},
    {"time", PIKOS_FIELD_INT},      {"thread", PIKOS_FIELD_INT}};
static const struct pikos_schema memory_schema = {
    "TimedFunctionMemoryRecord", 10, function_fields, NULL, NULL};
static const struct pikos_schema timed_schema = {"TimedFunctionRecord", 8,
                                                 timed_fields, NULL, NULL};
static const struct pikos_schema untimed_schema = {"FunctionRecord", 5,
                                                   timed_fields, NULL, NULL};
static const struct pikos_field line_fields[] = {
    {"index", PIKOS_FIELD_INT},    {"function", PIKOS_FIELD_STR},
    {"lineNo", PIKOS_FIELD_INT},   {"line", PIKOS_FIELD_STR},
    {"filename", PIKOS_FIELD_STR}, {"time", PIKOS_FIELD_INT},
    {"thread", PIKOS_FIELD_INT}};
static const struct pikos_schema line_schema = {"TimedLineRecord", 7,
                                                line_fields, NULL, NULL};

static char path[64];
static char filename_setting[80];

static void make_temp_file(void)
{
    fake_temp_file(path);
    snprintf(filename_setting, sizeof(filename_setting), "filename=%s", path);
    fake_run_start_ns = 5000000;
}

static void remove_temp_file(void)
{
    unlink(path);
}

TestSuite(perfetto, .init = make_temp_file, .fini = remove_temp_file);

static struct fake_instance *recorder(const char *setting)
{
    const char *settings[] = {filename_setting, setting, NULL};
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, settings);
    cr_assert_not_null(fi);
    cr_assert_eq(fi->init_rc, PIKOS_OK, "%s", fi->error);
    return fi;
}

static void call(struct fake_instance *fi, const char *type,
                 const char *function, int64_t time, int64_t thread)
{
    struct pikos_value v[8] = {
        {.u.i = 0},        {.u.s = {type, strlen(type)}},
        {.u.s = {function, strlen(function)}},
        {.u.i = 7},        {.u.s = {"app.py", 6}},
        {.u.i = 5},        {.u.i = time},
        {.u.i = thread}};
    struct pikos_record rec = {&timed_schema, v};
    cr_assert_eq(fake_record(fi, &rec), PIKOS_OK, "%s", fi->error);
}

static void call_with_memory(struct fake_instance *fi, const char *type,
                             int64_t rss, int64_t vms, int64_t time)
{
    struct pikos_value v[10] = {
        {.u.i = 0},      {.u.s = {type, strlen(type)}}, {.u.s = {"f", 1}},
        {.u.i = rss},    {.u.i = vms},   {.u.i = 7},
        {.u.s = {"app.py", 6}},          {.u.i = 5},
        {.u.i = time},   {.u.i = 1}};
    struct pikos_record rec = {&memory_schema, v};
    cr_assert_eq(fake_record(fi, &rec), PIKOS_OK, "%s", fi->error);
}

static void line(struct fake_instance *fi, const char *text, int64_t time)
{
    struct pikos_value v[7] = {
        {.u.i = 0},       {.u.s = {"f", 1}},
        {.u.i = 8},       {.u.s = {text, strlen(text)}},
        {.u.s = {"app.py", 6}}, {.u.i = time},
        {.u.i = 1}};
    struct pikos_record rec = {&line_schema, v};
    cr_assert_eq(fake_record(fi, &rec), PIKOS_OK, "%s", fi->error);
}

/* ------------------------------------------------------------ reading */

/* What the tests look at in one packet. */
struct packet {
    uint64_t sequence, flags, timestamp, clock_id;
    int timed;
    int event_type; /* 0: not a track event */
    uint64_t name_iid, location_iid, track_uuid;
    int64_t counter;
    int interned_names; /* EventName entries in its interned_data */
    char interned_name[64]; /* the first one */
    int has_defaults, has_snapshot, has_track;
    uint64_t incremental_base; /* clock 64's timestamp in the snapshot */
    uint64_t monotonic_base;   /* and CLOCK_MONOTONIC's (id 3) */
    char track_name[64];       /* a descriptor's thread/process/own name */
    int64_t pid;               /* a process descriptor's */
};

struct field {
    uint64_t number, value;
    const unsigned char *data; /* length-delimited: value bytes */
};

static uint64_t varint(const unsigned char **p, const unsigned char *end)
{
    uint64_t v = 0;
    for (int shift = 0; *p < end; shift += 7) {
        unsigned char byte = *(*p)++;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return v;
    }
    cr_assert_fail("a varint runs past the end");
    return 0;
}

/* The next field at *p (varints and length-delimited only: all this
   recorder writes); 0 at the end. */
static int next_field(const unsigned char **p, const unsigned char *end,
                      struct field *f)
{
    if (*p >= end)
        return 0;
    uint64_t key = varint(p, end);
    f->number = key >> 3;
    f->value = varint(p, end);
    f->data = NULL;
    if ((key & 7) == 2) {
        cr_assert_leq(f->value, (uint64_t)(end - *p));
        f->data = *p;
        *p += f->value;
    } else {
        cr_assert_eq(key & 7, 0, "wire type %d", (int)(key & 7));
    }
    return 1;
}

/* Each field of a message into f; `at` names the loop's cursor, distinct
   in nested loops. */
#define EACH_FIELD(f, at, data, len)                                          \
    for (const unsigned char *at = (data), *at##_end = (data) + (len);        \
         next_field(&at, at##_end, &(f));)

static void copy_name(char *dst, const struct field *f)
{
    size_t n = f->value < 63 ? (size_t)f->value : 63;
    memcpy(dst, f->data, n);
    dst[n] = '\0';
}

static void read_event(struct packet *pk, const struct field *te)
{
    struct field f;
    EACH_FIELD(f, at, te->data, te->value)
    {
        if (f.number == 9)
            pk->event_type = (int)f.value;
        else if (f.number == 10)
            pk->name_iid = f.value;
        else if (f.number == 11)
            pk->track_uuid = f.value;
        else if (f.number == 30)
            pk->counter = (int64_t)f.value;
        else if (f.number == 34)
            pk->location_iid = f.value;
    }
}

static void read_interned(struct packet *pk, const struct field *id)
{
    struct field f, g;
    EACH_FIELD(f, at, id->data, id->value)
    {
        if (f.number != 2)
            continue;
        if (pk->interned_names++ == 0)
            EACH_FIELD(g, in, f.data, f.value)
            if (g.number == 2)
                copy_name(pk->interned_name, &g);
    }
}

static void read_snapshot(struct packet *pk, const struct field *cs)
{
    struct field clock, f;
    pk->has_snapshot = 1;
    EACH_FIELD(clock, at, cs->data, cs->value)
    {
        uint64_t id = 0, ts = 0;
        EACH_FIELD(f, in, clock.data, clock.value)
        {
            if (f.number == 1)
                id = f.value;
            if (f.number == 2)
                ts = f.value;
        }
        if (id == 64)
            pk->incremental_base = ts;
        if (id == 3)
            pk->monotonic_base = ts;
    }
}

static void read_track(struct packet *pk, const struct field *td)
{
    struct field f, g;
    pk->has_track = 1;
    EACH_FIELD(f, at, td->data, td->value)
    {
        if (f.number == 2)
            copy_name(pk->track_name, &f);
        if (f.number == 3 || f.number == 4)
            EACH_FIELD(g, in, f.data, f.value)
            {
                if ((f.number == 3 && g.number == 6) ||
                    (f.number == 4 && g.number == 5))
                    copy_name(pk->track_name, &g);
                if (f.number == 3 && g.number == 1)
                    pk->pid = (int64_t)g.value;
            }
    }
}

static struct packet read_packet(const struct field *tp)
{
    struct packet pk = {0};
    struct field f;
    EACH_FIELD(f, at, tp->data, tp->value)
    {
        switch (f.number) {
        case 8: pk.timed = 1; pk.timestamp = f.value; break;
        case 58: pk.clock_id = f.value; break;
        case 10: pk.sequence = f.value; break;
        case 13: pk.flags = f.value; break;
        case 11: read_event(&pk, &f); break;
        case 12: read_interned(&pk, &f); break;
        case 59: pk.has_defaults = 1; break;
        case 6: read_snapshot(&pk, &f); break;
        case 60: read_track(&pk, &f); break;
        }
    }
    return pk;
}

#define MAX_PACKETS 256
static struct packet packets[MAX_PACKETS];
static size_t npackets;

/* Finalizes the recorder and reads its file's packets. */
static void finish(struct fake_instance *fi)
{
    cr_assert_eq(pikos_plugin_entry.finalize(&fi->inst, fi->ctx), PIKOS_OK);
    fake_instance_free(fi);
    FILE *file = fopen(path, "rb");
    static unsigned char data[65536];
    size_t len = fread(data, 1, sizeof(data), file);
    fclose(file);
    struct field f;
    npackets = 0;
    EACH_FIELD(f, at, data, len)
    {
        cr_assert_eq(f.number, 1, "Trace has only packets");
        cr_assert_lt(npackets, MAX_PACKETS);
        packets[npackets++] = read_packet(&f);
    }
}

/* The track events of one sequence, and their times from its clock. */
static size_t events_of(uint64_t sequence, struct packet **out,
                        uint64_t *times)
{
    size_t n = 0;
    uint64_t now = 0;
    for (size_t i = 0; i < npackets; i++) {
        struct packet *pk = &packets[i];
        if (pk->sequence != sequence)
            continue;
        if (pk->has_snapshot)
            now = pk->incremental_base;
        else if (pk->timed && pk->clock_id == 0)
            now += pk->timestamp;
        if (pk->event_type != 0) {
            out[n] = pk;
            times[n++] = now;
        }
    }
    return n;
}

/* ------------------------------------------------------------ tests */

Test(perfetto, options_and_their_defaults)
{
    const struct pikos_option *o = pikos_plugin_entry.options;
    cr_assert_str_eq(o[0].name, "filename");
    cr_assert_str_eq(o[0].default_value, "pikos.perfetto-trace");
    cr_assert_str_eq(o[1].name, "lines");
    cr_assert_str_eq(o[1].default_value, "true");
    cr_assert_null(o[2].name);
}

Test(perfetto, untimed_records_are_refused_in_one_message)
{
    struct fake_instance *fi = recorder(NULL);
    cr_assert_eq(fake_prepare(fi, &untimed_schema), PIKOS_EINVAL);
    cr_assert_str_eq(fi->error,
                     "a Perfetto trace takes timed records: FunctionRecord "
                     "has no time and thread fields (give the monitor "
                     "time=true, e.g. monitors/functions:time=true)");
    fake_instance_free(fi);
}

Test(perfetto, the_process_track_comes_first)
{
    finish(recorder(NULL));
    cr_assert_eq(npackets, 1);
    cr_assert(packets[0].has_track);
    cr_assert_eq(packets[0].sequence, 1);
    cr_assert_eq(packets[0].flags, 1); /* SEQ_INCREMENTAL_STATE_CLEARED */
    cr_assert_eq(packets[0].pid, getpid());
    cr_assert_neq(packets[0].track_name[0], '\0');
}

Test(perfetto, each_thread_is_a_sequence_cleared_first)
{
    struct fake_instance *fi = recorder(NULL);
    call(fi, "call", "f", 1000, 11);
    call(fi, "call", "g", 1500, 22);
    call(fi, "return", "f", 2000, 11);
    call(fi, "return", "g", 2600, 22);
    finish(fi);
    /* process; then per thread: clock and defaults, track, begin, end */
    cr_assert_eq(npackets, 1 + 2 * 4);
    for (uint64_t seq = 2; seq <= 3; seq++) {
        int seen = 0;
        for (size_t i = 0; i < npackets; i++) {
            if (packets[i].sequence != seq)
                continue;
            if (seen++ == 0) {
                cr_assert_eq(packets[i].flags, 1);
                cr_assert(packets[i].has_defaults && packets[i].has_snapshot);
            } else {
                cr_assert_eq(packets[i].flags, 2);
            }
        }
        cr_assert_eq(seen, 4);
    }
    cr_assert_str_eq(packets[2].track_name, "thread 11");
}

Test(perfetto, timestamps_add_up_to_the_records_times)
{
    struct fake_instance *fi = recorder(NULL);
    call(fi, "call", "f", 1000, 11);
    call(fi, "c_call", "len", 1001, 11);
    call(fi, "c_return", "len", 1300, 11);
    call(fi, "call", "g", 90000, 11);
    call(fi, "return", "g", 90000, 11);
    call(fi, "return", "f", 5000000000, 11);
    finish(fi);
    struct packet *ev[16];
    uint64_t t[16];
    static const uint64_t want_t[] = {1000, 1001, 1300, 90000, 90000,
                                      5000000000};
    static const int want_type[] = {1, 1, 2, 1, 2, 2};
    cr_assert_eq(events_of(2, ev, t), 6);
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(t[i], want_t[i], "event %d at %llu", i,
                     (unsigned long long)t[i]);
        cr_assert_eq(ev[i]->event_type, want_type[i]);
    }
    cr_assert(packets[1].has_snapshot);
    cr_assert_eq(packets[1].incremental_base, 1000);
    cr_assert_eq(packets[1].monotonic_base, 5000000 + 1000);
    cr_assert_str_eq(ev[1]->interned_name, "len");
    cr_assert_eq(ev[1]->location_iid, 0, "C functions have no location");
    cr_assert_eq(ev[0]->location_iid, ev[0]->name_iid);
}

Test(perfetto, names_are_interned_once_per_sequence)
{
    struct fake_instance *fi = recorder(NULL);
    call(fi, "call", "f", 10, 11);
    call(fi, "return", "f", 20, 11);
    call(fi, "call", "f", 30, 11);
    call(fi, "return", "f", 40, 11);
    call(fi, "call", "f", 50, 22);
    call(fi, "return", "f", 60, 22);
    finish(fi);
    struct packet *ev[16];
    uint64_t t[16];
    cr_assert_eq(events_of(2, ev, t), 4);
    cr_assert_eq(ev[0]->interned_names, 1);
    cr_assert_str_eq(ev[0]->interned_name, "f");
    cr_assert_eq(ev[2]->interned_names, 0);
    cr_assert_eq(ev[2]->name_iid, ev[0]->name_iid);
    cr_assert_eq(events_of(3, ev, t), 2);
    cr_assert_eq(ev[0]->interned_names, 1, "another sequence: sent again");
    cr_assert_eq(ev[0]->name_iid, 1);
}

Test(perfetto, open_calls_end_at_the_last_time_seen)
{
    struct fake_instance *fi = recorder(NULL);
    call(fi, "call", "f", 10, 11);
    call(fi, "c_call", "sleep", 20, 11);
    call(fi, "call", "g", 700, 22);
    call(fi, "return", "nothing", 800, 11); /* ends the C call, then f */
    call(fi, "call", "h", 900, 11);
    finish(fi);
    struct packet *ev[16];
    uint64_t t[16];
    cr_assert_eq(events_of(2, ev, t), 6);
    cr_assert_eq(ev[2]->event_type, 2);
    cr_assert_eq(ev[3]->event_type, 2);
    cr_assert_eq(t[2], 800);
    cr_assert_eq(t[3], 800);
    cr_assert_eq(ev[4]->event_type, 1);
    cr_assert_eq(ev[5]->event_type, 2);
    cr_assert_eq(t[5], 900);
    cr_assert_eq(events_of(3, ev, t), 2);
    cr_assert_eq(ev[1]->event_type, 2);
    cr_assert_eq(t[1], 900);
}

Test(perfetto, counters_are_written_when_they_change)
{
    struct fake_instance *fi = recorder(NULL);
    call_with_memory(fi, "call", 4096, 8192, 10);
    call_with_memory(fi, "c_call", 4096, 8192, 20);
    call_with_memory(fi, "c_return", 8192, 8192, 30);
    call_with_memory(fi, "return", 8192, 12288, 40);
    finish(fi);
    int tracks = 0;
    for (size_t i = 0; i < npackets; i++)
        if (packets[i].has_track && (strcmp(packets[i].track_name, "RSS") == 0 ||
                                     strcmp(packets[i].track_name, "VMS") == 0))
            tracks++;
    cr_assert_eq(tracks, 2);
    struct packet *ev[32];
    uint64_t t[32];
    size_t n = events_of(2, ev, t);
    int64_t values[8];
    uint64_t at[8];
    size_t nvalues = 0;
    for (size_t i = 0; i < n; i++)
        if (ev[i]->event_type == 4) {
            values[nvalues] = ev[i]->counter;
            at[nvalues++] = t[i];
        }
    cr_assert_eq(nvalues, 4);
    cr_assert_eq(values[0], 4096);
    cr_assert_eq(values[1], 8192);
    cr_assert_eq(at[1], 10);
    cr_assert_eq(values[2], 8192);
    cr_assert_eq(at[2], 30);
    cr_assert_eq(values[3], 12288);
    cr_assert_eq(at[3], 40);
}

Test(perfetto, lines_are_instants_named_by_their_text)
{
    struct fake_instance *fi = recorder(NULL);
    line(fi, "    x = 1", 10);
    line(fi, "    x = 1", 20);
    finish(fi);
    struct packet *ev[16];
    uint64_t t[16];
    cr_assert_eq(events_of(2, ev, t), 2);
    cr_assert_eq(ev[0]->event_type, 3);
    cr_assert_str_eq(ev[0]->interned_name, "x = 1");
    cr_assert_neq(ev[0]->location_iid, 0);
    cr_assert_eq(ev[1]->interned_names, 0);
}

Test(perfetto, lines_false_leaves_them_out)
{
    struct fake_instance *fi = recorder("lines=false");
    line(fi, "x = 1", 10);
    finish(fi);
    struct packet *ev[16];
    uint64_t t[16];
    cr_assert_eq(events_of(2, ev, t), 0);
}

Test(perfetto, a_new_run_clears_every_sequence_again)
{
    struct fake_instance *fi = recorder(NULL);
    call(fi, "call", "f", 500, 11);
    cr_assert_eq(pikos_plugin_entry.finalize(&fi->inst, fi->ctx), PIKOS_OK);
    call(fi, "call", "f", 100, 11); /* times start again from 0 */
    finish(fi);
    struct packet *ev[16];
    uint64_t t[16];
    cr_assert_eq(events_of(2, ev, t), 4);
    cr_assert_eq(t[1], 500);
    cr_assert_eq(t[2], 100);
    cr_assert_eq(ev[2]->interned_names, 1, "interned again after a clear");
}

Test(perfetto, a_time_going_back_is_written_on_the_monotonic_clock)
{
    struct fake_instance *fi = recorder(NULL);
    call(fi, "call", "f", 1000, 11);
    call(fi, "return", "f", 400, 11); /* before the call: not from pikos */
    call(fi, "call", "g", 2500, 11);
    finish(fi);
    struct packet *ev[16];
    uint64_t t[16];
    cr_assert_eq(events_of(2, ev, t), 4);
    cr_assert_eq(ev[1]->clock_id, 3);
    cr_assert_eq(ev[1]->timestamp, 5000000 + 400, "the run's start + 400");
    cr_assert_eq(ev[2]->clock_id, 0);
    cr_assert_eq(ev[2]->timestamp, 1500, "the incremental clock was at 1000");
    cr_assert_eq(t[2], 2500);
}

/* The events of one round: a Python call holding a C call and a line. */
static void one_round(struct fake_instance *fi, int64_t *time)
{
    call(fi, "call", "f", (*time)++, 11);
    call(fi, "c_call", "len", (*time)++, 11);
    call(fi, "c_return", "len", (*time)++, 11);
    line(fi, "x = 1", (*time)++);
    call(fi, "return", "f", (*time)++, 11);
    int64_t rss = 4096 + *time % 2; /* changes every other round */
    call_with_memory(fi, "call", rss, 8192, (*time)++);
    call_with_memory(fi, "return", 4096, 8192, (*time)++);
}

Test(perfetto, memory_does_not_grow_with_events)
{
    struct fake_instance *fi = recorder(NULL);
    int64_t time = 1;
    for (int i = 0; i < 100; i++) /* every name, thread and stack seen */
        one_round(fi, &time);
    size_t before = mallinfo2().uordblks;
    for (int i = 0; i < 50000; i++)
        one_round(fi, &time);
    size_t after = mallinfo2().uordblks;
    cr_assert_eq(after, before, "%zu bytes allocated in 50000 rounds",
                 after - before);
    fake_instance_free(fi);
}

/* ------------------------------------------------------------ heap */

/* monitors/allocations' records (interval=N): HeapRecord and the
   aggregates it emits at the end. */
static const struct pikos_field heap_fields[] = {
    {"index", PIKOS_FIELD_INT},      {"live_bytes", PIKOS_FIELD_INT},
    {"live_blocks", PIKOS_FIELD_INT}, {"time", PIKOS_FIELD_INT},
    {"thread", PIKOS_FIELD_INT}};
static const struct pikos_schema heap_schema = {"HeapRecord", 5, heap_fields,
                                                NULL, NULL};
static const struct pikos_field aggregate_fields[] = {
    {"function", PIKOS_FIELD_STR}, {"filename", PIKOS_FIELD_STR},
    {"lineno", PIKOS_FIELD_INT},   {"alloc_bytes", PIKOS_FIELD_INT}};
static const struct pikos_schema aggregate_schema = {
    "AllocationRecord", 4, aggregate_fields, NULL, NULL};

static void heap(struct fake_instance *fi, int64_t bytes, int64_t time,
                 int64_t thread)
{
    struct pikos_value v[5] = {
        {.u.i = 0}, {.u.i = bytes}, {.u.i = bytes / 100}, {.u.i = time},
        {.u.i = thread}};
    struct pikos_record rec = {&heap_schema, v};
    cr_assert_eq(fake_record(fi, &rec), PIKOS_OK, "%s", fi->error);
}

Test(perfetto, heap_records_are_a_counter_track_of_the_process)
{
    struct fake_instance *fi = recorder(NULL);
    heap(fi, 0, 10, 7);
    heap(fi, 4096, 20, 7);
    heap(fi, 4096, 30, 7); /* unchanged: no packet */
    call(fi, "call", "f", 40, 7);
    heap(fi, 1000000, 50, 7);
    heap(fi, 512, 60, 7);
    /* the aggregates at the end: skipped, no error */
    struct pikos_value a[4] = {{.u.s = {"f", 1}}, {.u.s = {"a.py", 4}},
                               {.u.i = 3}, {.u.i = 99}};
    struct pikos_record agg = {&aggregate_schema, a};
    cr_assert_eq(fake_record(fi, &agg), PIKOS_OK, "%s", fi->error);
    finish(fi);
    int tracks = 0;
    for (size_t i = 0; i < npackets; i++)
        if (packets[i].has_track &&
            strcmp(packets[i].track_name, "Python heap (bytes)") == 0)
            tracks++;
    cr_assert_eq(tracks, 1);
    struct packet *ev[16];
    uint64_t t[16];
    size_t n = events_of(2, ev, t);
    int64_t values[8];
    uint64_t at[8];
    size_t nvalues = 0, slices = 0;
    for (size_t i = 0; i < n; i++) {
        if (ev[i]->event_type == 4) {
            cr_assert_lt(nvalues, 8);
            values[nvalues] = ev[i]->counter;
            at[nvalues++] = t[i];
        } else
            slices++;
    }
    cr_assert_eq(nvalues, 4);
    cr_assert_eq(values[0], 0);
    cr_assert_eq(at[0], 10);
    cr_assert_eq(values[1], 4096);
    cr_assert_eq(at[1], 20);
    cr_assert_eq(values[2], 1000000);
    cr_assert_eq(at[2], 50);
    cr_assert_eq(values[3], 512);
    cr_assert_eq(at[3], 60);
    cr_assert_eq(slices, 2); /* f's begin, and its end at finalize */
}

Test(perfetto, allocation_aggregates_without_heap_records_are_refused)
{
    struct fake_instance *fi = recorder(NULL);
    cr_assert_eq(fake_prepare(fi, &aggregate_schema), PIKOS_EINVAL);
    cr_assert(strstr(fi->error, "AllocationRecord has no time") != NULL,
              "%s", fi->error);
    cr_assert(strstr(fi->error, "interval=N") != NULL, "%s", fi->error);
    fake_instance_free(fi);
}

/* The live view's snapshots (monitors/allocations live=S): skipped
   whether heap records came or not, no error, no packet, no track. */
static const struct pikos_field top_fields[] = {
    {"snapshot", PIKOS_FIELD_INT},   {"function", PIKOS_FIELD_STR},
    {"live_bytes", PIKOS_FIELD_INT}, {"alloc_bytes", PIKOS_FIELD_INT},
    {"time", PIKOS_FIELD_INT}};
static const struct pikos_schema top_schema = {"HeapTopRecord", 5, top_fields,
                                               NULL, NULL};

Test(perfetto, heap_top_snapshots_are_skipped)
{
    struct fake_instance *fi = recorder(NULL);
    struct pikos_value v[5] = {{.u.i = 1}, {.u.s = {"f", 1}}, {.u.i = 4096},
                               {.u.i = 8192}, {.u.i = 20}};
    struct pikos_record rec = {&top_schema, v};
    cr_assert_eq(fake_record(fi, &rec), PIKOS_OK, "%s", fi->error);
    call(fi, "call", "f", 40, 7);
    cr_assert_eq(fake_record(fi, &rec), PIKOS_OK, "%s", fi->error);
    finish(fi);
    for (size_t i = 0; i < npackets; i++)
        cr_assert(!packets[i].has_track ||
                      strcmp(packets[i].track_name, "Python heap (bytes)") != 0,
                  "a heap track from snapshots");
    struct packet *ev[16];
    uint64_t t[16];
    size_t n = events_of(2, ev, t);
    for (size_t i = 0; i < n; i++)
        cr_assert_neq(ev[i]->event_type, 4, "a counter from a snapshot");
    cr_assert_eq(n, 2); /* f's begin and end */
}
