/*
 * recorders/zmq: the options as the host stores them, and the checked
 * settings the recorder runs with.
 */
#ifndef PIKOS_ZMQ_SETTINGS_H
#define PIKOS_ZMQ_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#define SETTINGS_DEFAULT_HOST "127.0.0.1"
#define SETTINGS_DEFAULT_PORT 9001
#define SETTINGS_DEFAULT_ENDPOINT "tcp://127.0.0.1:9001"
#define SETTINGS_ENDPOINT_MAX 512
#define SETTINGS_Z85_KEY_LEN 40 /* a CURVE key in Z85 text */

/* The options, stored here by the host (the names of zmq.plugin). */
struct zmq_options {
    char *endpoint;
    char *host;
    int64_t port;
    int connect;
    int wait_for_ready;
    double ready_timeout;
    int64_t hwm;
    char *slow;
    int curve_server;
    char *curve_secret_key;
    char *curve_public_key;
};

struct live_settings {
    char endpoint[SETTINGS_ENDPOINT_MAX];
    int connect; /* connect to a collector instead of binding */
    int block;   /* slow=block: wait for room instead of dropping */
    int hwm;     /* the socket's send high-water mark, in messages */
    int wait_for_ready;
    double ready_timeout; /* seconds */
    int curve_server;
    char curve_secret_key[SETTINGS_Z85_KEY_LEN + 1];
};

/* Checks the options and fills `settings`; returns 0, or -1 with one line
   naming the option and what to do in `error`. */
int settings_check(const struct zmq_options *options,
                   struct live_settings *settings, char *error, size_t cap);

/* Whether an endpoint stays on this machine: tcp:// on a loopback address
   (127.0.0.0/8, ::1, localhost), ipc:// or inproc://. */
int settings_endpoint_is_local(const char *endpoint);

#endif
