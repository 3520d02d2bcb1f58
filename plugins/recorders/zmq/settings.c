/*
 * recorders/zmq: checking the options (see settings.h).
 *
 * endpoint= and host=/port= name the same thing (host/port are the seed's
 * ZeroMQRecorder(zmq_host, zmq_port)); the manifest cannot tell a default
 * endpoint from one the user typed, so only an endpoint other than the
 * default conflicts with host/port.
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "settings.h"

__attribute__((format(printf, 3, 4))) static int fail(char *error, size_t cap,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error, cap, fmt, ap);
    va_end(ap);
    return -1;
}

static int starts_with(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

static int is_empty(const char *text)
{
    return text == NULL || text[0] == '\0';
}

/* tcp://HOST:PORT from host= and port=; an IPv6 address goes in [ ]. */
static int endpoint_from_host_port(const struct zmq_options *o,
                                   struct live_settings *s, char *error,
                                   size_t cap)
{
    if (o->port < 0 || o->port > 65535)
        return fail(error, cap,
                    "option 'port' must be between 1 and 65535, not %lld",
                    (long long)o->port);
    const char *host = is_empty(o->host) ? SETTINGS_DEFAULT_HOST : o->host;
    long port = o->port != 0 ? (long)o->port : SETTINGS_DEFAULT_PORT;
    int bracket = strchr(host, ':') != NULL && host[0] != '[';
    int n = snprintf(s->endpoint, sizeof(s->endpoint), "tcp://%s%s%s:%ld",
                     bracket ? "[" : "", host, bracket ? "]" : "", port);
    if (n < 0 || (size_t)n >= sizeof(s->endpoint))
        return fail(error, cap, "option 'host' is too long");
    return 0;
}

static int check_endpoint(const struct zmq_options *o, struct live_settings *s,
                          char *error, size_t cap)
{
    const char *endpoint =
        is_empty(o->endpoint) ? SETTINGS_DEFAULT_ENDPOINT : o->endpoint;
    int host_port = !is_empty(o->host) || o->port != 0;

    if (host_port && strcmp(endpoint, SETTINGS_DEFAULT_ENDPOINT) != 0)
        return fail(error, cap,
                    "give either endpoint= or host=/port=, not both "
                    "(endpoint=%s)",
                    endpoint);
    if (host_port)
        return endpoint_from_host_port(o, s, error, cap);
    if (strstr(endpoint, "://") == NULL ||
        strlen(endpoint) >= sizeof(s->endpoint))
        return fail(error, cap,
                    "option 'endpoint' must look like tcp://HOST:PORT, "
                    "ipc://PATH or inproc://NAME, not '%s'",
                    endpoint);
    strcpy(s->endpoint, endpoint);
    return 0;
}

/* libzmq binds interfaces and addresses, and takes "localhost" for an
   interface name ("No such device"): binding it means 127.0.0.1 (a name
   of the same length, replaced in place). */
static void bind_localhost_as_address(struct live_settings *s)
{
    static const char scheme[] = "tcp://";
    static const char name[] = "localhost:", address[] = "127.0.0.1:";
    char *host = s->endpoint + sizeof(scheme) - 1;

    if (!s->connect && starts_with(s->endpoint, scheme) &&
        starts_with(host, name))
        memcpy(host, address, sizeof(address) - 1);
}

static int check_queueing(const struct zmq_options *o, struct live_settings *s,
                          char *error, size_t cap)
{
    const char *slow = o->slow != NULL ? o->slow : "";
    if (strcmp(slow, "drop") != 0 && strcmp(slow, "block") != 0)
        return fail(error, cap,
                    "option 'slow' must be drop (count what a slow "
                    "subscriber misses) or block (wait for it), not '%s'",
                    slow);
    if (o->hwm < 1 || o->hwm > 1000000000)
        return fail(error, cap,
                    "option 'hwm' must be a number of messages between 1 "
                    "and 1000000000, not %lld",
                    (long long)o->hwm);
    if (!isfinite(o->ready_timeout) || o->ready_timeout < 0 ||
        o->ready_timeout > 86400)
        return fail(error, cap,
                    "option 'ready_timeout' must be a number of seconds "
                    "between 0 and 86400, not %g",
                    o->ready_timeout);
    s->block = strcmp(slow, "block") == 0;
    s->hwm = (int)o->hwm;
    s->wait_for_ready = o->wait_for_ready;
    s->ready_timeout = o->ready_timeout;
    return 0;
}

/* A Z85 CURVE key: 40 characters that decode to 32 bytes. */
static int is_z85_key(const char *text)
{
    uint8_t key[32];
    return text != NULL && strlen(text) == SETTINGS_Z85_KEY_LEN &&
           zmq_z85_decode(key, text) != NULL;
}

/* The public key, when given, must be the secret key's. */
static int check_key_pair(const struct zmq_options *o, char *error, size_t cap)
{
    char derived[SETTINGS_Z85_KEY_LEN + 1];

    if (is_empty(o->curve_public_key))
        return 0;
    if (!is_z85_key(o->curve_public_key))
        return fail(error, cap,
                    "option 'curve_public_key' must be a 40-character Z85 "
                    "key (make a pair with zmq.curve_keypair())");
    if (zmq_curve_public(derived, o->curve_secret_key) != 0 ||
        strcmp(derived, o->curve_public_key) != 0)
        return fail(error, cap,
                    "option 'curve_public_key' is not the public key of "
                    "curve_secret_key");
    return 0;
}

static int check_curve(const struct zmq_options *o, struct live_settings *s,
                       char *error, size_t cap)
{
    s->curve_server = o->curve_server;
    if (!o->curve_server) {
        if (!is_empty(o->curve_secret_key) || !is_empty(o->curve_public_key))
            return fail(error, cap,
                        "options 'curve_secret_key' and 'curve_public_key' "
                        "need curve_server=true");
        return 0;
    }
    if (!zmq_has("curve"))
        return fail(error, cap,
                    "curve_server=true needs a libzmq built with CURVE "
                    "(libsodium); this one has none");
    if (!is_z85_key(o->curve_secret_key))
        return fail(error, cap,
                    "curve_server=true needs curve_secret_key, a "
                    "40-character Z85 key (make a pair with "
                    "zmq.curve_keypair())");
    strcpy(s->curve_secret_key, o->curve_secret_key);
    return check_key_pair(o, error, cap);
}

int settings_check(const struct zmq_options *options,
                   struct live_settings *settings, char *error, size_t cap)
{
    memset(settings, 0, sizeof(*settings));
    settings->connect = options->connect;
    if (check_endpoint(options, settings, error, cap) < 0 ||
        check_queueing(options, settings, error, cap) < 0 ||
        check_curve(options, settings, error, cap) < 0)
        return -1;
    bind_localhost_as_address(settings);
    return 0;
}

/* Whether a host (no brackets) is a loopback name or address. */
static int is_loopback_host(const char *host)
{
    struct in_addr v4;
    struct in6_addr v6;

    if (strcmp(host, "localhost") == 0)
        return 1;
    if (inet_pton(AF_INET, host, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &v6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&v6);
    return 0;
}

int settings_endpoint_is_local(const char *endpoint)
{
    char host[SETTINGS_ENDPOINT_MAX];

    if (starts_with(endpoint, "ipc://") || starts_with(endpoint, "inproc://"))
        return 1;
    if (!starts_with(endpoint, "tcp://"))
        return 0;
    const char *start = endpoint + strlen("tcp://");
    const char *colon = strrchr(start, ':');
    size_t len = colon != NULL ? (size_t)(colon - start) : strlen(start);
    if (len >= 2 && start[0] == '[' && start[len - 1] == ']') {
        start++;
        len -= 2;
    }
    memcpy(host, start, len);
    host[len] = '\0';
    return is_loopback_host(host);
}
