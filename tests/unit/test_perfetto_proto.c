/* recorders/perfetto's writing parts: the protobuf encoder (varints,
   nested lengths, the end of the buffer), the exact bytes of its event
   packets, the interning table, each thread's pieces and open slices
   (against the shared call_stacks) and the program's name. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "../../plugins/recorders/common/call_stacks.h"
#include "../../plugins/recorders/perfetto/intern.h"
#include "../../plugins/recorders/perfetto/named_pieces.h"
#include "../../plugins/recorders/perfetto/open_slices.h"
#include "../../plugins/recorders/perfetto/packets.h"
#include "../../plugins/recorders/perfetto/process.h"
#include "../../plugins/recorders/perfetto/proto.h"

static unsigned char mem[1024];

static void assert_bytes(const struct pb_buf *b, const unsigned char *expected,
                         size_t len)
{
    cr_assert_not(b->overflow);
    cr_assert_eq(pb_size(b), len, "%zu bytes, not %zu", pb_size(b), len);
    for (size_t i = 0; i < len; i++)
        cr_assert_eq(b->start[i], expected[i], "byte %zu: %02x, not %02x", i,
                     b->start[i], expected[i]);
}

#define ASSERT_BYTES(b, ...)                                                  \
    do {                                                                      \
        static const unsigned char want[] = {__VA_ARGS__};                    \
        assert_bytes(b, want, sizeof(want));                                  \
    } while (0)

Test(proto, varints_take_seven_bits_a_byte_lowest_first)
{
    struct pb_buf b;
    pb_init(&b, mem, sizeof(mem));
    pb_uint(&b, 1, 0);
    pb_uint(&b, 1, 1);
    pb_uint(&b, 1, 127);
    pb_uint(&b, 1, 128);
    pb_uint(&b, 1, 300);
    ASSERT_BYTES(&b, 0x08, 0x00, 0x08, 0x01, 0x08, 0x7f, 0x08, 0x80, 0x01,
                 0x08, 0xac, 0x02);
    cr_assert_eq(pb_varint_size(0), 1);
    cr_assert_eq(pb_varint_size(127), 1);
    cr_assert_eq(pb_varint_size(128), 2);
    cr_assert_eq(pb_varint_size(16383), 2);
    cr_assert_eq(pb_varint_size(16384), 3);
    cr_assert_eq(pb_varint_size(UINT64_MAX), 10);
}

Test(proto, keys_of_large_field_numbers_and_64_bit_values)
{
    struct pb_buf b;
    pb_init(&b, mem, sizeof(mem));
    pb_uint(&b, 34, UINT64_MAX); /* key 34 << 3 = 272: two bytes */
    pb_int(&b, 30, -1);          /* int64 -1: ten bytes */
    ASSERT_BYTES(&b, 0x90, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                 0xff, 0xff, 0x01, 0xf0, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff,
                 0xff, 0xff, 0xff, 0xff, 0x01);
}

Test(proto, strings_and_nested_messages_are_length_delimited)
{
    struct pb_buf b;
    pb_init(&b, mem, sizeof(mem));
    pb_mark outer = pb_open(&b, 1);
    pb_string(&b, 2, "ab");
    pb_mark inner = pb_open(&b, 3);
    pb_uint(&b, 1, 5);
    pb_close(&b, inner);
    pb_mark empty = pb_open(&b, 4);
    pb_close(&b, empty);
    pb_close(&b, outer);
    ASSERT_BYTES(&b, 0x0a, 0x0a, 0x12, 0x02, 'a', 'b', 0x1a, 0x02, 0x08, 0x05,
                 0x22, 0x00);
}

Test(proto, a_long_nested_message_moves_up_for_its_length)
{
    char text[200];
    struct pb_buf b;
    memset(text, 'x', sizeof(text));
    pb_init(&b, mem, sizeof(mem));
    pb_mark outer = pb_open(&b, 1);
    pb_mark inner = pb_open(&b, 2);
    pb_bytes(&b, 3, text, sizeof(text)); /* 1 + 2 + 200 bytes */
    pb_close(&b, inner);
    pb_uint(&b, 4, 1);
    pb_close(&b, outer);
    /* inner: 203 bytes (0xcb 0x01); outer: 1 + 2 + 203 + 2 = 208. */
    cr_assert_not(b.overflow);
    cr_assert_eq(pb_size(&b), 3 + 208);
    static const unsigned char head[] = {0x0a, 0xd0, 0x01, 0x12, 0xcb,
                                         0x01, 0x1a, 0xc8, 0x01};
    cr_assert_eq(memcmp(mem, head, sizeof(head)), 0);
    cr_assert_eq(memcmp(mem + sizeof(head), text, sizeof(text)), 0);
    cr_assert_eq(mem[sizeof(head) + 200], 0x20);
    cr_assert_eq(mem[sizeof(head) + 201], 0x01);
}

Test(proto, a_write_past_the_end_marks_the_buffer_and_stops)
{
    struct pb_buf b;
    memset(mem, 0xee, sizeof(mem));
    pb_init(&b, mem, 4);
    pb_uint(&b, 1, 1);
    cr_assert_not(b.overflow);
    pb_string(&b, 2, "abc"); /* 5 bytes: does not fit in the 2 left */
    cr_assert(b.overflow);
    pb_uint(&b, 1, 1); /* skipped: it would fit, but the message is lost */
    cr_assert_eq(pb_size(&b), 3); /* the key of field 2 was written */
    cr_assert_eq(mem[4], 0xee);
    pb_init(&b, mem, 3);
    pb_mark m = pb_open(&b, 1);
    pb_bytes(&b, 2, "x", 1); /* 3 bytes after the 2 of the open */
    pb_close(&b, m);
    cr_assert(b.overflow);
    cr_assert_eq(mem[3], 0xee);
}

/* ------------------------------------------------------------ packets */

static const struct packet_head seq2_at_300 = {2, SEQ_NEEDS_INCREMENTAL_STATE,
                                               1, 0, 300};

Test(packets, a_slice_end_is_eleven_bytes)
{
    struct pb_buf b;
    pb_init(&b, mem, sizeof(mem));
    packet_event(&b, &seq2_at_300, EVENT_SLICE_END, NULL, 0);
    /* Trace.packet { timestamp: 300  trusted_packet_sequence_id: 2
       sequence_flags: 2  track_event { type: TYPE_SLICE_END } } */
    ASSERT_BYTES(&b, 0x0a, 0x0b, 0x40, 0xac, 0x02, 0x50, 0x02, 0x68, 0x02,
                 0x5a, 0x02, 0x48, 0x02);
    cr_assert_leq(pb_size(&b), packet_event_max_size(NULL));
}

Test(packets, a_python_slice_begin_with_its_interned_data)
{
    struct intern_entry f = {.iid = 1, .kind = INTERN_PYTHON, .label = "f",
                             .label_len = 1, .function = "f",
                             .function_len = 1, .file = "a.py",
                             .file_len = 4, .line = 3};
    struct packet_head head = {2, SEQ_NEEDS_INCREMENTAL_STATE, 1, 0, 5};
    struct pb_buf b;
    pb_init(&b, mem, sizeof(mem));
    packet_event(&b, &head, EVENT_SLICE_BEGIN, &f, 1);
    ASSERT_BYTES(&b, 0x0a, 0x27,     /* packet, 39 bytes */
                 0x40, 0x05,         /* timestamp 5 */
                 0x50, 0x02,         /* trusted_packet_sequence_id 2 */
                 0x68, 0x02,         /* SEQ_NEEDS_INCREMENTAL_STATE */
                 0x62, 0x16,         /* interned_data, 22 bytes */
                 0x12, 0x05,         /*   event_names */
                 0x08, 0x01,         /*     iid 1 */
                 0x12, 0x01, 'f',    /*     name "f" */
                 0x22, 0x0d,         /*   source_locations */
                 0x08, 0x01,         /*     iid 1 */
                 0x12, 0x04, 'a', '.', 'p', 'y', /* file_name */
                 0x1a, 0x01, 'f',    /*     function_name */
                 0x20, 0x03,         /*     line_number 3 */
                 0x5a, 0x07,         /* track_event */
                 0x48, 0x01,         /*   TYPE_SLICE_BEGIN */
                 0x50, 0x01,         /*   name_iid 1 */
                 0x90, 0x02, 0x01);  /*   source_location_iid 1 */
    pb_init(&b, mem, sizeof(mem));
    packet_event(&b, &head, EVENT_SLICE_BEGIN, &f, 0);
    ASSERT_BYTES(&b, 0x0a, 0x0f, 0x40, 0x05, 0x50, 0x02, 0x68, 0x02, 0x5a,
                 0x07, 0x48, 0x01, 0x50, 0x01, 0x90, 0x02, 0x01);
}

Test(packets, a_c_function_has_a_name_and_no_source_location)
{
    struct intern_entry len = {.iid = 3, .kind = INTERN_C, .label = "len",
                               .label_len = 3, .function = "len",
                               .function_len = 3, .file = "", .file_len = 0};
    struct packet_head head = {2, SEQ_NEEDS_INCREMENTAL_STATE, 1, 0, 5};
    struct pb_buf b;
    pb_init(&b, mem, sizeof(mem));
    packet_event(&b, &head, EVENT_SLICE_BEGIN, &len, 1);
    ASSERT_BYTES(&b, 0x0a, 0x17, 0x40, 0x05, 0x50, 0x02, 0x68, 0x02, 0x62,
                 0x09, 0x12, 0x07, 0x08, 0x03, 0x12, 0x03, 'l', 'e', 'n',
                 0x5a, 0x04, 0x48, 0x01, 0x50, 0x03);
}

Test(packets, a_counter_value_and_a_time_on_the_monotonic_clock)
{
    struct packet_head head = {3, SEQ_NEEDS_INCREMENTAL_STATE, 1, 1, 1000};
    struct pb_buf b;
    pb_init(&b, mem, sizeof(mem));
    packet_counter(&b, &head, 2, 4096);
    ASSERT_BYTES(&b, 0x0a, 0x14, 0x40, 0xe8, 0x07, /* timestamp 1000 */
                 0xd0, 0x03, 0x03,                 /* timestamp_clock_id 3 */
                 0x50, 0x03, 0x68, 0x02, 0x5a, 0x08, 0x48, 0x04, /* COUNTER */
                 0x58, 0x02,                       /* track_uuid 2 */
                 0xf0, 0x01, 0x80, 0x20);          /* counter_value 4096 */
}

/* The hot path's packets, from a piece encoded ahead, are the bytes
   packet_event writes for the same event without InternedData. */
static void assert_pieces_write(const struct packet_head *head,
                                enum packet_event_type type,
                                const struct intern_entry *entry)
{
    struct packet_piece piece;
    unsigned char whole[PACKET_SMALL_EVENT_MAX_SIZE];
    unsigned char pieces[PACKET_SMALL_EVENT_MAX_SIZE];
    struct pb_buf b;

    pb_init(&b, whole, sizeof(whole));
    packet_event(&b, head, type, entry, 0);
    cr_assert_not(b.overflow);
    packet_piece_event(&piece, head->sequence, head->flags, type, entry);
    size_t size = packet_from_piece(pieces, head->timestamp, &piece);
    cr_assert_eq(size, pb_size(&b), "%zu bytes, not %zu", size, pb_size(&b));
    cr_assert_arr_eq(pieces, whole, size);
}

Test(packets, pieces_make_the_packets_packet_event_makes)
{
    struct intern_entry python = {.iid = 1, .kind = INTERN_PYTHON};
    struct intern_entry c = {.iid = 200, .kind = INTERN_C};
    struct intern_entry line = {.iid = UINT64_MAX, .kind = INTERN_LINE};
    const uint64_t times[] = {0, 127, 128, 300, 1u << 21, UINT64_MAX};
    const uint32_t sequences[] = {2, 127, 128, UINT32_MAX};

    for (size_t i = 0; i < sizeof(times) / sizeof(*times); i++)
        for (size_t j = 0; j < sizeof(sequences) / sizeof(*sequences); j++) {
            struct packet_head head = {sequences[j],
                                       SEQ_NEEDS_INCREMENTAL_STATE, 1, 0,
                                       times[i]};
            assert_pieces_write(&head, EVENT_SLICE_END, NULL);
            assert_pieces_write(&head, EVENT_SLICE_BEGIN, &python);
            assert_pieces_write(&head, EVENT_SLICE_BEGIN, &c);
            assert_pieces_write(&head, EVENT_INSTANT, &line);
        }
}

Test(packets, the_largest_event_stays_within_its_bound)
{
    char name[300], file[500];
    memset(name, 'n', sizeof(name));
    memset(file, 'f', sizeof(file));
    struct intern_entry e = {.iid = UINT64_MAX, .kind = INTERN_LINE,
                             .label = name, .label_len = sizeof(name),
                             .function = name, .function_len = sizeof(name),
                             .file = file, .file_len = sizeof(file),
                             .line = INT32_MAX};
    struct packet_head head = {UINT32_MAX, UINT32_MAX, 1, 1, UINT64_MAX};
    static unsigned char big[2048];
    struct pb_buf b;
    pb_init(&b, big, packet_event_max_size(&e));
    packet_event(&b, &head, EVENT_INSTANT, &e, 1);
    cr_assert_not(b.overflow);
}

/* ------------------------------------------------------------ intern */

static struct timed_text text(const char *s)
{
    return (struct timed_text){s, strlen(s)};
}

Test(intern, one_entry_per_function_file_and_line)
{
    struct intern_table *t = intern_new();
    struct intern_key f = {INTERN_PYTHON, text("f"), text("a.py"), 3};
    struct intern_key f_elsewhere = {INTERN_PYTHON, text("f"), text("b.py"),
                                     3};
    const struct intern_entry *a = intern_get(t, &f, NULL);
    cr_assert_eq(a->iid, 1);
    cr_assert_str_eq(a->label, "f");
    cr_assert_str_eq(a->file, "a.py");
    cr_assert_eq(intern_get(t, &f, NULL), a);
    cr_assert_eq(intern_get(t, &f_elsewhere, NULL)->iid, 2);
    struct intern_key line = {INTERN_LINE, text("f"), text("a.py"), 4};
    struct timed_text code = text("x = 1");
    const struct intern_entry *l = intern_get(t, &line, &code);
    cr_assert_eq(l->iid, 3);
    cr_assert_str_eq(l->label, "x = 1");
    cr_assert_str_eq(l->function, "f");
    cr_assert_eq(intern_count(t), 3);
    intern_free(t);
}

/* A record's strings are borrowed: the same buffer may come back holding
   another function's name, of the same length, at the same address. */
Test(intern, a_buffer_reused_for_other_text_is_another_entry)
{
    struct intern_table *t = intern_new();
    char function[8] = "f_one", file[16] = "a.py";
    struct intern_key k = {INTERN_PYTHON, {function, 5}, {file, 4}, 3};
    cr_assert_eq(intern_get(t, &k, NULL)->iid, 1);
    cr_assert_eq(intern_get(t, &k, NULL)->iid, 1);
    memcpy(function, "f_two", 5);
    const struct intern_entry *two = intern_get(t, &k, NULL);
    cr_assert_eq(two->iid, 2);
    cr_assert_str_eq(two->function, "f_two");
    memcpy(file, "b.py", 4);
    cr_assert_eq(intern_get(t, &k, NULL)->iid, 3);
    memcpy(function, "f_one", 5);
    memcpy(file, "a.py", 4);
    cr_assert_eq(intern_get(t, &k, NULL)->iid, 1);
    k.line = 4; /* the same strings, another line */
    cr_assert_eq(intern_get(t, &k, NULL)->iid, 4);
    k.kind = INTERN_LINE;
    cr_assert_eq(intern_get(t, &k, NULL)->iid, 5);
    cr_assert_eq(intern_count(t), 5);
    intern_free(t);
}

/* The recent entries are confirmed by content a word at a time: a
   buffer changed in any one byte, whatever its length, is another
   entry. */
Test(intern, a_change_of_any_one_byte_is_another_entry)
{
    struct intern_table *t = intern_new();
    char function[48], file[48];
    size_t entries = 0;
    for (size_t len = 1; len <= sizeof(function); len++)
        for (size_t at = 0; at < len; at++) {
            memset(function, 'a', len);
            memset(file, 'b', len);
            struct intern_key k = {INTERN_PYTHON, {function, len}, {file, len},
                                   1};
            const struct intern_entry *before = intern_get(t, &k, NULL);
            entries += before->iid > entries;
            function[at] = 'z';
            const struct intern_entry *changed = intern_get(t, &k, NULL);
            cr_assert_neq(changed, before, "function of %zu, byte %zu", len, at);
            function[at] = 'a';
            cr_assert_eq(intern_get(t, &k, NULL), before);
            file[at] = 'z';
            cr_assert_neq(intern_get(t, &k, NULL), before, "file of %zu, byte %zu",
                          len, at);
        }
    cr_assert_gt(intern_count(t), entries);
    intern_free(t);
}

Test(intern, thousands_of_entries_keep_their_ids_through_growth)
{
    struct intern_table *t = intern_new();
    char name[32];
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 5000; i++) {
            snprintf(name, sizeof(name), "f%d", i);
            struct intern_key k = {INTERN_C, text(name), text(""), 0};
            const struct intern_entry *e = intern_get(t, &k, NULL);
            cr_assert_eq(e->iid, (uint64_t)i + 1);
            cr_assert_str_eq(e->label, name);
        }
    cr_assert_eq(intern_count(t), 5000);
    intern_free(t);
}

/* ------------------------------------------------------------ named pieces */

/* A thread's pieces: none is sent until written; a high iid takes one
   page, not pieces for every iid below it; a clear empties them all. */
Test(named_pieces, pages_are_made_for_the_iids_used)
{
    struct named_pieces n = {0};
    cr_assert_null(named_pieces_sent(&n, 100000));
    struct packet_piece *high = named_pieces_at(&n, 100000);
    cr_assert_not_null(high);
    cr_assert_eq(high->len, 0);
    cr_assert_null(named_pieces_sent(&n, 100000));
    size_t pages = 0;
    for (size_t i = 0; i < n.npages; i++)
        pages += n.pages[i] != NULL;
    cr_assert_eq(pages, 1);
    high->len = 3;
    cr_assert_eq(named_pieces_sent(&n, 100000), high);
    cr_assert_null(named_pieces_sent(&n, 100001));
    cr_assert_null(named_pieces_sent(&n, 100000 - NAMED_PAGE_SIZE));
    struct packet_piece *low = named_pieces_at(&n, 1);
    low->len = 5;
    cr_assert_eq(named_pieces_sent(&n, 1), low);
    cr_assert_eq(named_pieces_sent(&n, 100000), high, "a new page moves none");
    named_pieces_clear(&n);
    cr_assert_null(named_pieces_sent(&n, 1));
    cr_assert_null(named_pieces_sent(&n, 100000));
    named_pieces_free(&n);
}

/* ------------------------------------------------------------ open slices */

/* call_stacks' end of a call: counted. */
static void count_pop(struct call_stack *stack, void *frame, uint64_t end_ns,
                      void *arg)
{
    (void)stack, (void)frame, (void)end_ns;
    ++*(uint32_t *)arg;
}

/* A thread's open slices hold what its shared call stack holds. */
static void assert_same_calls(const struct call_stacks *stacks,
                              const struct call_stack *stack,
                              const struct open_slices *s)
{
    cr_assert_eq(s->depth, stack->depth);
    uint32_t python = 0;
    for (size_t i = 0; i < stack->depth; i++) {
        const struct call_frame *f = call_stack_frame(stacks, stack, i);
        cr_assert_eq(s->c_function[i], f->c_function);
        python += !f->c_function;
    }
    cr_assert_eq(s->python_depth, python);
}

/* open_slices keeps call_stacks' rules (open_slices.h): on a random
   unbalanced stream of two threads, with ends that match nothing and C
   calls left open under returns, both end as many calls at each event,
   hold the same calls after it, and close as many at the end. */
Test(open_slices, agree_with_the_shared_call_stacks)
{
    static const enum timed_kind kinds[] = {TIMED_CALL,        TIMED_RETURN,
                                            TIMED_C_CALL,      TIMED_C_RETURN,
                                            TIMED_C_EXCEPTION, TIMED_OTHER};
    struct call_stacks *stacks = call_stacks_new(sizeof(struct call_frame));
    struct open_slices threads[2] = {{0}};
    uint64_t seed = 14;
    uint32_t ended = 0, multiple = 0;
    for (uint64_t now = 1; now <= 20000; now++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        struct timed_event e = {.kind = kinds[(seed >> 33) % 6],
                                .time_ns = now,
                                .thread = 1 + (seed >> 50) % 2};
        struct open_slices *s = &threads[e.thread - 1];
        struct call_stack *stack;
        uint32_t popped = 0, opened = 0;
        enum call_stack_change change =
            call_stacks_event(stacks, &e, &stack, count_pop, &popped);
        if (e.kind == TIMED_CALL || e.kind == TIMED_C_CALL)
            opened = open_slices_push(s, e.kind == TIMED_C_CALL) == 0;
        else if (e.kind != TIMED_OTHER)
            ended = open_slices_end(s, e.kind);
        else
            ended = 0;
        cr_assert_eq(opened, change == CALL_STACK_PUSHED);
        if (!opened)
            cr_assert_eq(ended, popped, "after event %llu",
                         (unsigned long long)now);
        multiple += !opened && ended > 1;
        assert_same_calls(stacks, stack, s);
    }
    cr_assert_gt(multiple, 0, "returns ended C calls left open");
    uint32_t closed = 0;
    call_stacks_close_all(stacks, 30000, count_pop, &closed);
    cr_assert_gt(closed, 0);
    cr_assert_eq(open_slices_close_all(&threads[0]) +
                     open_slices_close_all(&threads[1]),
                 closed);
    cr_assert_eq(threads[0].depth + threads[1].depth, 0);
    open_slices_free(&threads[0]);
    open_slices_free(&threads[1]);
    call_stacks_free(stacks);
}

/* ------------------------------------------------------------ process */

Test(process, the_program_is_what_python3_runs)
{
    char *script[] = {"/usr/bin/python3", "-X", "dev", "-u", "dir/app.py",
                      "-m", "x"};
    char *module[] = {"python3", "-I", "-m", "json.tool", "a"};
    char *command[] = {"python3", "-c", "pass"};
    char *bare[] = {"/usr/bin/python3"};
    cr_assert_str_eq(process_program_name(script, 7), "app.py");
    cr_assert_str_eq(process_program_name(module, 5), "json.tool");
    cr_assert_str_eq(process_program_name(command, 3), "-c");
    cr_assert_str_eq(process_program_name(bare, 1), "python3");
    cr_assert_str_eq(process_program_name(NULL, 0), "python");
}

Test(process, its_own_pid_and_command_line)
{
    struct process_info info;
    cr_assert_eq(process_info_read(&info), 0);
    cr_assert_eq(info.pid, (int32_t)getpid());
    cr_assert_geq(info.nargs, 1);
    cr_assert_neq(info.args[0][0], '\0');
    cr_assert_null(info.args[info.nargs]);
    cr_assert_str_eq(info.name, process_program_name(info.args, info.nargs));
    process_info_free(&info);
}
