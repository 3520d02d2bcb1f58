/*
 * plugins/recorders/perfetto/packets.{c,h} - the TracePackets this
 * recorder writes, each as one `packet` field of Perfetto's Trace message
 * (field 1), so that a file is whole after any packet and packets can be
 * appended one by one.
 *
 * Field numbers are those of Perfetto's protos (protos/perfetto/trace/
 * trace.proto, trace_packet.proto, clock_snapshot.proto,
 * trace_packet_defaults.proto, interned_data/interned_data.proto,
 * track_event/track_event.proto, track_descriptor.proto,
 * process_descriptor.proto, thread_descriptor.proto,
 * counter_descriptor.proto, source_location.proto); tests/cli/
 * perfetto_trace.proto lists the same ones for the tests' reader.
 *
 * Each function writes one packet into `b` (proto.h), which the caller
 * hands to the output in one write.
 */
#ifndef PIKOS_PERFETTO_PACKETS_H
#define PIKOS_PERFETTO_PACKETS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "intern.h"
#include "proto.h"

/* TrackEvent.Type */
enum packet_event_type {
    EVENT_SLICE_BEGIN = 1,
    EVENT_SLICE_END = 2,
    EVENT_INSTANT = 3,
    EVENT_COUNTER = 4
};

/* TracePacket.SequenceFlags */
#define SEQ_INCREMENTAL_STATE_CLEARED 1u
#define SEQ_NEEDS_INCREMENTAL_STATE 2u

/* BuiltinClock; and the sequence-scoped clock each thread's packets use
   (ids 64-127 are the sequence's own, clock_snapshot.proto). */
#define CLOCK_MONOTONIC_ID 3u
#define CLOCK_BOOTTIME_ID 6u
#define CLOCK_INCREMENTAL_ID 64u

/* A packet's place in its sequence. */
struct packet_head {
    uint32_t sequence; /* trusted_packet_sequence_id */
    uint32_t flags;    /* sequence_flags, 0: none */
    /* The time: a delta on the sequence's incremental clock, or (when
       `monotonic`) CLOCK_MONOTONIC nanoseconds; no time at all when
       `timed` is 0. */
    int timed, monotonic;
    uint64_t timestamp;
};

/* The process's track: its pid, command line and program name. */
void packet_process_track(struct pb_buf *b, const struct packet_head *head,
                          uint64_t uuid, int32_t pid, const char *name,
                          const char *const *cmdline, size_t nargs);

/* A counter track of the process, in bytes (RSS, VMS). */
void packet_counter_track(struct pb_buf *b, const struct packet_head *head,
                          uint64_t uuid, uint64_t process_uuid,
                          const char *name);

/* The first packet of a thread's sequence (after a clear): the clocks
   (its incremental clock starts at `since_run_ns`, which is
   `monotonic_ns` on CLOCK_MONOTONIC and `boottime_ns` on
   CLOCK_BOOTTIME) and the defaults: that clock and the thread's track. */
void packet_sequence_start(struct pb_buf *b, const struct packet_head *head,
                           uint64_t since_run_ns, uint64_t monotonic_ns,
                           uint64_t boottime_ns, uint64_t track_uuid);

/* A thread's track, a child of the process's. */
void packet_thread_track(struct pb_buf *b, const struct packet_head *head,
                         uint64_t uuid, uint64_t process_uuid, int32_t pid,
                         int32_t tid, const char *name);

/* A slice begin or end, or an instant, on the sequence's default track.
   `entry` (NULL for an end) names it; `with_interned` adds the entry's
   InternedData (its first use on the sequence). */
void packet_event(struct pb_buf *b, const struct packet_head *head,
                  enum packet_event_type type, const struct intern_entry *entry,
                  int with_interned);

/* A value of a counter track. */
void packet_counter(struct pb_buf *b, const struct packet_head *head,
                    uint64_t track_uuid, int64_t value);

/* The most bytes packet_event takes for `entry` (NULL: an end). */
size_t packet_event_max_size(const struct intern_entry *entry);

/* The most bytes of an event without InternedData (an end, or a name
   its sequence has already): packet_event's and packet_from_piece's. */
#define PACKET_SMALL_EVENT_MAX_SIZE 80

/*
 * The hot path.  Most packets are events whose name their sequence has
 * already, timed on its incremental clock: all of such a packet but its
 * timestamp is known ahead - its sequence's id and flags, and its
 * TrackEvent (type and iids) - so these are encoded once per sequence and
 * name (and once per sequence for a slice end, which names nothing), as a
 * piece that each packet copies whole after its timestamp.
 */
struct packet_piece {
    unsigned char bytes[47]; /* copied whole: three fixed-size moves */
    unsigned char len;       /* of them in use */
};

/* The bytes after the timestamp of a `type` event named by `entry`
   (NULL: a slice end) on the sequence, as packet_event writes them
   without InternedData. */
void packet_piece_event(struct packet_piece *piece, uint32_t sequence,
                        uint32_t flags, enum packet_event_type type,
                        const struct intern_entry *entry);

/* The packet of an event `timestamp` ns after the sequence's previous
   one, at `dst` (PACKET_SMALL_EVENT_MAX_SIZE bytes of room): the bytes
   packet_event writes without InternedData.  Returns their number.
   Inline: it is most of the hot path's writing. */
static inline size_t packet_from_piece(unsigned char *dst, uint64_t timestamp,
                                       const struct packet_piece *piece)
{
    /* Trace.packet (field 1), its length (under 128: one byte), then
       TracePacket.timestamp (field 8) and the piece. */
    unsigned char *p = pb_put_key(dst, 1, PB_WIRE_LENGTH_DELIMITED);
    unsigned char *length = p++;
    p = pb_put_uint(p, 8, timestamp);
    memcpy(p, piece->bytes, sizeof(piece->bytes));
    p += piece->len;
    *length = (unsigned char)(p - length - 1);
    return (size_t)(p - dst);
}

#endif /* PIKOS_PERFETTO_PACKETS_H */
