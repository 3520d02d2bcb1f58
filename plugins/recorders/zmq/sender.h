/*
 * recorders/zmq: the socket and the thread that sends.
 *
 * The sender owns the XPUB socket (bound, or connected to a collector),
 * the record queue (batch.h) and a thread that drains it: it writes each
 * batch as JSON (wire.h) and sends it, re-sends every stream's schema each
 * second and as soon as a new subscriber arrives, sends records that have
 * waited in a batch that is not full (the 100 ms latency bound), and at
 * the end sends what is left and each stream's end message.  The socket is
 * closed with a linger of 1 s, so a subscriber that is gone or stuck never
 * holds up the program's exit for longer.
 */
#ifndef PIKOS_ZMQ_SENDER_H
#define PIKOS_ZMQ_SENDER_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "settings.h"

#define SENDER_ERROR_MAX 256

struct sender;

/* What a sender did, once it is finished. */
struct sender_report {
    uint64_t sent;                /* records published */
    uint64_t dropped;             /* records dropped for a slow subscriber */
    char error[SENDER_ERROR_MAX]; /* its first failure, or "" */
};

/* Creates the socket, binds or connects it and starts the thread.  NULL
   with one line in `error` (the endpoint and the cause) on failure. */
struct sender *sender_start(const struct live_settings *settings,
                            const char *host, long pid, char *error,
                            size_t cap);

/* The queue records go into. */
struct batch_queue *sender_queue(struct sender *sender);

/* Waits up to `timeout` seconds for a subscriber to the records; 1 when
   one came, 0 if not. */
int sender_wait_for_subscriber(struct sender *sender, double timeout);

/* Sends what is queued and the end messages, stops the thread, closes the
   socket and frees the sender. */
void sender_finish(struct sender *sender, struct sender_report *report);

#endif
