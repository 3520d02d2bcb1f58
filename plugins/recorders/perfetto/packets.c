/* plugins/recorders/perfetto/packets.c - see packets.h. */
#include <string.h>

#include "packets.h"

/* Field numbers, by message (upstream file in packets.h). */
enum {
    TRACE_PACKET = 1,

    PACKET_CLOCK_SNAPSHOT = 6,
    PACKET_TIMESTAMP = 8,
    PACKET_SEQUENCE_ID = 10, /* trusted_packet_sequence_id */
    PACKET_TRACK_EVENT = 11,
    PACKET_INTERNED_DATA = 12,
    PACKET_SEQUENCE_FLAGS = 13,
    PACKET_TIMESTAMP_CLOCK_ID = 58,
    PACKET_DEFAULTS = 59, /* trace_packet_defaults */
    PACKET_TRACK_DESCRIPTOR = 60,

    DEFAULTS_TIMESTAMP_CLOCK_ID = 58,
    DEFAULTS_TRACK_EVENT = 11, /* TrackEventDefaults */
    TRACK_EVENT_DEFAULTS_TRACK_UUID = 11,

    SNAPSHOT_CLOCKS = 1,
    CLOCK_ID = 1,
    CLOCK_TIMESTAMP = 2,
    CLOCK_IS_INCREMENTAL = 3,

    INTERNED_EVENT_NAMES = 2,
    INTERNED_SOURCE_LOCATIONS = 4,
    EVENT_NAME_IID = 1,
    EVENT_NAME_NAME = 2,
    LOCATION_IID = 1,
    LOCATION_FILE_NAME = 2,
    LOCATION_FUNCTION_NAME = 3,
    LOCATION_LINE_NUMBER = 4,

    EVENT_TYPE = 9,
    EVENT_NAME_IID_FIELD = 10,
    EVENT_TRACK_UUID = 11,
    EVENT_COUNTER_VALUE = 30,
    EVENT_SOURCE_LOCATION_IID = 34,

    TRACK_UUID = 1,
    TRACK_NAME = 2,
    TRACK_PROCESS = 3,
    TRACK_THREAD = 4,
    TRACK_PARENT_UUID = 5,
    TRACK_COUNTER = 8,

    PROCESS_PID = 1,
    PROCESS_CMDLINE = 2,
    PROCESS_NAME = 6,

    THREAD_PID = 1,
    THREAD_TID = 2,
    THREAD_NAME = 5,

    COUNTER_UNIT = 3
};

/* CounterDescriptor.Unit */
#define UNIT_SIZE_BYTES 3u

/* The most bytes of the fields every packet has (put_head): the
   timestamp (key, 10-byte varint), its clock (key of 2 bytes, id), the
   sequence's id and flags (key, 5-byte varint each). */
#define HEAD_MAX_SIZE (11 + 3 + 6 + 6)

/* The fields every packet has, unchecked (HEAD_MAX_SIZE bytes of room). */
static unsigned char *put_head(unsigned char *p, const struct packet_head *head)
{
    if (head->timed) {
        p = pb_put_uint(p, PACKET_TIMESTAMP, head->timestamp);
        if (head->monotonic)
            p = pb_put_uint(p, PACKET_TIMESTAMP_CLOCK_ID, CLOCK_MONOTONIC_ID);
    }
    p = pb_put_uint(p, PACKET_SEQUENCE_ID, head->sequence);
    if (head->flags != 0)
        p = pb_put_uint(p, PACKET_SEQUENCE_FLAGS, head->flags);
    return p;
}

/* Opens the packet and writes the fields every packet has. */
static pb_mark open_packet(struct pb_buf *b, const struct packet_head *head)
{
    pb_mark packet = pb_open(b, TRACE_PACKET);
    if (pb_room(b, HEAD_MAX_SIZE))
        b->pos = put_head(b->pos, head);
    return packet;
}

void packet_process_track(struct pb_buf *b, const struct packet_head *head,
                          uint64_t uuid, int32_t pid, const char *name,
                          const char *const *cmdline, size_t nargs)
{
    pb_mark packet = open_packet(b, head);
    pb_mark track = pb_open(b, PACKET_TRACK_DESCRIPTOR);
    pb_uint(b, TRACK_UUID, uuid);
    pb_mark process = pb_open(b, TRACK_PROCESS);
    pb_int(b, PROCESS_PID, pid);
    for (size_t i = 0; i < nargs; i++)
        pb_string(b, PROCESS_CMDLINE, cmdline[i]);
    pb_string(b, PROCESS_NAME, name);
    pb_close(b, process);
    pb_close(b, track);
    pb_close(b, packet);
}

void packet_counter_track(struct pb_buf *b, const struct packet_head *head,
                          uint64_t uuid, uint64_t process_uuid,
                          const char *name)
{
    pb_mark packet = open_packet(b, head);
    pb_mark track = pb_open(b, PACKET_TRACK_DESCRIPTOR);
    pb_uint(b, TRACK_UUID, uuid);
    pb_uint(b, TRACK_PARENT_UUID, process_uuid);
    pb_string(b, TRACK_NAME, name);
    pb_mark counter = pb_open(b, TRACK_COUNTER);
    pb_uint(b, COUNTER_UNIT, UNIT_SIZE_BYTES);
    pb_close(b, counter);
    pb_close(b, track);
    pb_close(b, packet);
}

static void put_clock(struct pb_buf *b, uint32_t id, uint64_t timestamp,
                      int incremental)
{
    pb_mark clock = pb_open(b, SNAPSHOT_CLOCKS);
    pb_uint(b, CLOCK_ID, id);
    pb_uint(b, CLOCK_TIMESTAMP, timestamp);
    if (incremental)
        pb_uint(b, CLOCK_IS_INCREMENTAL, 1);
    pb_close(b, clock);
}

void packet_sequence_start(struct pb_buf *b, const struct packet_head *head,
                           uint64_t since_run_ns, uint64_t monotonic_ns,
                           uint64_t boottime_ns, uint64_t track_uuid)
{
    pb_mark packet = open_packet(b, head);
    pb_mark defaults = pb_open(b, PACKET_DEFAULTS);
    pb_uint(b, DEFAULTS_TIMESTAMP_CLOCK_ID, CLOCK_INCREMENTAL_ID);
    pb_mark event_defaults = pb_open(b, DEFAULTS_TRACK_EVENT);
    pb_uint(b, TRACK_EVENT_DEFAULTS_TRACK_UUID, track_uuid);
    pb_close(b, event_defaults);
    pb_close(b, defaults);
    /* Perfetto's default trace clock is BOOTTIME: each clock is tied to
       it at the same instant. */
    pb_mark snapshot = pb_open(b, PACKET_CLOCK_SNAPSHOT);
    put_clock(b, CLOCK_BOOTTIME_ID, boottime_ns, 0);
    put_clock(b, CLOCK_MONOTONIC_ID, monotonic_ns, 0);
    put_clock(b, CLOCK_INCREMENTAL_ID, since_run_ns, 1);
    pb_close(b, snapshot);
    pb_close(b, packet);
}

void packet_thread_track(struct pb_buf *b, const struct packet_head *head,
                         uint64_t uuid, uint64_t process_uuid, int32_t pid,
                         int32_t tid, const char *name)
{
    pb_mark packet = open_packet(b, head);
    pb_mark track = pb_open(b, PACKET_TRACK_DESCRIPTOR);
    pb_uint(b, TRACK_UUID, uuid);
    pb_uint(b, TRACK_PARENT_UUID, process_uuid);
    pb_mark thread = pb_open(b, TRACK_THREAD);
    pb_int(b, THREAD_PID, pid);
    pb_int(b, THREAD_TID, tid);
    pb_string(b, THREAD_NAME, name);
    pb_close(b, thread);
    pb_close(b, track);
    pb_close(b, packet);
}

/* Whether the entry has a SourceLocation (a C function has none). */
static int has_location(const struct intern_entry *entry)
{
    return entry->kind != INTERN_C;
}

/* The entry's EventName and SourceLocation, under the same iid. */
static void put_interned(struct pb_buf *b, const struct intern_entry *entry)
{
    pb_mark interned = pb_open(b, PACKET_INTERNED_DATA);
    pb_mark name = pb_open(b, INTERNED_EVENT_NAMES);
    pb_uint(b, EVENT_NAME_IID, entry->iid);
    pb_bytes(b, EVENT_NAME_NAME, entry->label, entry->label_len);
    pb_close(b, name);
    if (has_location(entry)) {
        pb_mark location = pb_open(b, INTERNED_SOURCE_LOCATIONS);
        pb_uint(b, LOCATION_IID, entry->iid);
        pb_bytes(b, LOCATION_FILE_NAME, entry->file, entry->file_len);
        pb_bytes(b, LOCATION_FUNCTION_NAME, entry->function,
                 entry->function_len);
        pb_uint(b, LOCATION_LINE_NUMBER,
                entry->line > 0 ? (uint32_t)entry->line : 0);
        pb_close(b, location);
    }
    pb_close(b, interned);
}

/* The most bytes of a TrackEvent of put_track_event: its key and
   length, its type (key, value) and two iids (key of 1 or 2 bytes and a
   10-byte varint) - under 128, so its length takes one byte. */
#define TRACK_EVENT_MAX_SIZE (2 + 2 + 11 + 12)

/* The event's TrackEvent, unchecked (TRACK_EVENT_MAX_SIZE bytes of
   room): its type and, unless it is an end, its name and location. */
static unsigned char *put_track_event(unsigned char *p,
                                      enum packet_event_type type,
                                      const struct intern_entry *entry)
{
    p = pb_put_key(p, PACKET_TRACK_EVENT, PB_WIRE_LENGTH_DELIMITED);
    unsigned char *length = p++;
    p = pb_put_uint(p, EVENT_TYPE, type);
    if (entry != NULL) {
        p = pb_put_uint(p, EVENT_NAME_IID_FIELD, entry->iid);
        if (has_location(entry))
            p = pb_put_uint(p, EVENT_SOURCE_LOCATION_IID, entry->iid);
    }
    *length = (unsigned char)(p - length - 1);
    return p;
}

_Static_assert(2 + HEAD_MAX_SIZE + TRACK_EVENT_MAX_SIZE <=
                   PACKET_SMALL_EVENT_MAX_SIZE,
               "a small event's bound holds its key, length, head and event");
_Static_assert(TRACE_PACKET == 1 && PACKET_TIMESTAMP == 8,
               "packet_from_piece (packets.h) writes these field numbers");
/* The most bytes of put_head without a timestamp: the sequence's id and
   flags. */
#define UNTIMED_HEAD_MAX_SIZE (6 + 6)
_Static_assert(UNTIMED_HEAD_MAX_SIZE + TRACK_EVENT_MAX_SIZE <=
                   sizeof(((struct packet_piece *)0)->bytes),
               "a piece holds a sequence's id and flags and a TrackEvent");
_Static_assert(2 + 11 + sizeof(((struct packet_piece *)0)->bytes) <=
                   PACKET_SMALL_EVENT_MAX_SIZE,
               "a small event's bound holds a packet of a whole piece");

/* The hot path: an event without InternedData, whose packet (under
   128 bytes too) is written straight after one test of the room. */
static void put_small_event(struct pb_buf *b, const struct packet_head *head,
                            enum packet_event_type type,
                            const struct intern_entry *entry)
{
    if (!pb_room(b, PACKET_SMALL_EVENT_MAX_SIZE))
        return;
    unsigned char *p =
        pb_put_key(b->pos, TRACE_PACKET, PB_WIRE_LENGTH_DELIMITED);
    unsigned char *length = p++;
    p = put_head(p, head);
    p = put_track_event(p, type, entry);
    *length = (unsigned char)(p - length - 1);
    b->pos = p;
}

void packet_event(struct pb_buf *b, const struct packet_head *head,
                  enum packet_event_type type, const struct intern_entry *entry,
                  int with_interned)
{
    if (entry == NULL || !with_interned) {
        put_small_event(b, head, type, entry);
        return;
    }
    pb_mark packet = open_packet(b, head);
    put_interned(b, entry);
    if (pb_room(b, TRACK_EVENT_MAX_SIZE))
        b->pos = put_track_event(b->pos, type, entry);
    pb_close(b, packet);
}

void packet_counter(struct pb_buf *b, const struct packet_head *head,
                    uint64_t track_uuid, int64_t value)
{
    pb_mark packet = open_packet(b, head);
    pb_mark event = pb_open(b, PACKET_TRACK_EVENT);
    pb_uint(b, EVENT_TYPE, EVENT_COUNTER);
    pb_uint(b, EVENT_TRACK_UUID, track_uuid);
    pb_int(b, EVENT_COUNTER_VALUE, value);
    pb_close(b, event);
    pb_close(b, packet);
}

void packet_piece_event(struct packet_piece *piece, uint32_t sequence,
                        uint32_t flags, enum packet_event_type type,
                        const struct intern_entry *entry)
{
    struct packet_head head = {sequence, flags, 0, 0, 0}; /* untimed */
    unsigned char *p = put_head(piece->bytes, &head);
    p = put_track_event(p, type, entry);
    piece->len = (unsigned char)(p - piece->bytes);
}

size_t packet_event_max_size(const struct intern_entry *entry)
{
    /* The largest event, an instant with its InternedData, has 14
       fields of at most 12 bytes (key and a 10-byte varint) and 7
       lengths besides those of its strings. */
    size_t size = 14 * 12 + 7 * 10;
    if (entry != NULL)
        size += entry->label_len + entry->function_len + entry->file_len;
    return size;
}
