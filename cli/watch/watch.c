/*
 * cli/watch/watch.c - `pikos watch [--bind] [--once] [--timeout S] [--top N]
 *               [--curve-server-key KEY] [ENDPOINT...]`
 *
 * One SUB socket subscribed to "pikos." connects to every endpoint (each
 * a program running recorders/zmq), or with --bind binds them, as the
 * collecting end that many programs connect to (recorders/zmq with
 * connect=true).  Messages go through pikos_watch_receive; the curses
 * view redraws four times a second, or --once prints one plain-text
 * snapshot when the time is up or every stream seen has ended.
 *
 * Exit status: 0; 1 when --once saw no stream; 2 for bad arguments, an
 * endpoint that cannot be used, or no terminal for the view.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "../cli.h"
#include "watch.h"

#define DEFAULT_ENDPOINT "tcp://127.0.0.1:9001"
#define ONCE_TIMEOUT 5.0  /* seconds --once collects without --timeout */
#define DEFAULT_TOP 20    /* rows per table in the snapshot */
#define REDRAW_EVERY 0.25 /* seconds between two frames of the view */
#define DRAIN_BUDGET 0.05 /* seconds of receiving between two looks around */
/* --once: once every stream seen has ended, how long nothing more may
   arrive before the snapshot (a second program's stream may be on its
   way when the first one ends). */
#define SETTLE 0.25
/* Bigger messages make libzmq drop the connection: a batch is at most
   64 KiB of JSON plus one record. */
#define MAX_MESSAGE_SIZE (64 * 1024 * 1024)

struct watch_options {
    int bind, once;
    double timeout; /* seconds; 0: none */
    size_t top;
    const char *curve_server_key; /* Z85, or NULL: no encryption */
    const char **endpoints;
    size_t nendpoints;
};

static volatile sig_atomic_t stop_requested;

static void request_stop(int signo)
{
    (void)signo;
    stop_requested = 1;
}

/* SIGINT and SIGTERM end the watch as q does (--once still prints);
   without SA_RESTART they also wake zmq_poll. */
static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = request_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ arguments */

static const char watch_usage[] =
    "usage: pikos watch [--bind] [--once] [--timeout S] [--top N]\n"
    "                   [--curve-server-key KEY] [ENDPOINT...]\n"
    "\n"
    "Shows the live streams of programs run with recorders/zmq: per\n"
    "function calls and share of events (own and total time for timed\n"
    "records: monitors/functions:time=true), per line hits, memory with a\n"
    "sparkline.  Keys: Tab/n next stream, p previous, s sort (1-6: a time\n"
    "table's column), space pause, q quit.\n"
    "\n"
    "  ENDPOINT      where to subscribe (default " DEFAULT_ENDPOINT "); one\n"
    "                per program, or several programs connect to one --bind\n"
    "  --bind        bind the endpoints (programs connect to them with\n"
    "                recorders/zmq:connect=true) instead of connecting\n"
    "  --once        no view: collect, then print one plain-text snapshot\n"
    "  --timeout S   stop after S seconds (--once: default 5; it stops\n"
    "                sooner once every stream seen has ended)\n"
    "  --top N       rows per table in the snapshot (default 20, 0: all)\n"
    "  --curve-server-key KEY\n"
    "                the publishers' CURVE public key (40 characters of\n"
    "                Z85), for recorders/zmq:curve_server=true\n"
    "\n"
    "Exit status: 0; 1 when --once saw no stream; 2 for bad arguments.\n";

/* "--name VALUE" or "--name=VALUE": 1 and *value, 0 when argv[*i] is not
   that option, -1 (reported) when the value is missing. */
static int option_value(int argc, char **argv, int *i, const char *name,
                        const char **value)
{
    size_t len = strlen(name);
    const char *arg = argv[*i];
    if (strncmp(arg, name, len) != 0 || (arg[len] != '\0' && arg[len] != '='))
        return 0;
    if (arg[len] == '=') {
        *value = arg + len + 1;
        return 1;
    }
    if (*i + 1 >= argc) {
        pikos_cli_error("watch: %s needs a value (see pikos watch --help)",
                        name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

static int parse_timeout(const char *text, double *seconds)
{
    char *end;
    errno = 0;
    *seconds = strtod(text, &end);
    if (end == text || *end != '\0' || errno || !isfinite(*seconds) ||
        *seconds <= 0) {
        pikos_cli_error("watch: --timeout needs a number of seconds above 0, "
                        "not '%s'",
                        text);
        return -1;
    }
    return 0;
}

static int parse_top(const char *text, size_t *top)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    if (end == text || *end != '\0' || errno || text[0] == '-' ||
        n > SIZE_MAX) {
        pikos_cli_error("watch: --top needs a number of rows (0: all), "
                        "not '%s'",
                        text);
        return -1;
    }
    *top = (size_t)n;
    return 0;
}

/* The options that take a value: 1 taken, 0 not one, -1 error. */
static int take_value_option(int argc, char **argv, int *i,
                             struct watch_options *o)
{
    const char *value;
    int r = option_value(argc, argv, i, "--timeout", &value);
    if (r > 0)
        return parse_timeout(value, &o->timeout) < 0 ? -1 : 1;
    if (r == 0)
        r = option_value(argc, argv, i, "--top", &value);
    if (r > 0)
        return parse_top(value, &o->top) < 0 ? -1 : 1;
    if (r == 0)
        r = option_value(argc, argv, i, "--curve-server-key",
                         &o->curve_server_key);
    return r;
}

/* One argument; returns 1 to go on, 0 when --help was shown, -1 error. */
static int take_argument(int argc, char **argv, int *i, int *options_done,
                         struct watch_options *o)
{
    const char *arg = argv[*i];
    if (*options_done || arg[0] != '-' || arg[1] == '\0') {
        o->endpoints[o->nendpoints++] = arg;
        return 1;
    }
    if (strcmp(arg, "--") == 0)
        *options_done = 1;
    else if (strcmp(arg, "--bind") == 0)
        o->bind = 1;
    else if (strcmp(arg, "--once") == 0)
        o->once = 1;
    else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
        fputs(watch_usage, stdout);
        return 0;
    } else {
        int r = take_value_option(argc, argv, i, o);
        if (r == 0)
            pikos_cli_error("watch: unknown option '%s' (see pikos watch "
                            "--help)",
                            arg);
        return r > 0 ? 1 : -1;
    }
    return 1;
}

/* Fills *o; returns 1 to watch, 0 when --help was shown, -1 (reported). */
static int parse_watch_args(int argc, char **argv, struct watch_options *o)
{
    memset(o, 0, sizeof(*o));
    o->top = DEFAULT_TOP;
    o->endpoints = calloc((size_t)argc + 1, sizeof(*o->endpoints));
    if (!o->endpoints) {
        pikos_cli_error("watch: out of memory");
        return -1;
    }
    int options_done = 0;
    for (int i = 1; i < argc; i++) {
        int r = take_argument(argc, argv, &i, &options_done, o);
        if (r <= 0)
            return r;
    }
    if (o->nendpoints == 0)
        o->endpoints[o->nendpoints++] = DEFAULT_ENDPOINT;
    if (o->once && o->timeout == 0)
        o->timeout = ONCE_TIMEOUT;
    return 1;
}

/* ------------------------------------------------------------ the socket */

/* 1 when a tcp:// endpoint names a loopback address or interface (or is
   not tcp). */
static int is_local(const char *endpoint)
{
    static const char *const loopback[] = {"127.",
                                           "localhost:", "[::1]:", "lo:"};
    if (strncmp(endpoint, "tcp://", 6) != 0)
        return 1; /* ipc:// and inproc:// stay on this machine */
    const char *host = endpoint + 6;
    for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++)
        if (strncmp(host, loopback[i], strlen(loopback[i])) == 0)
            return 1;
    return 0;
}

static int attach(void *sock, const char *endpoint, int bind)
{
    if (bind && !is_local(endpoint))
        pikos_cli_error("watch: warning: %s accepts publishers from other "
                        "machines (bind tcp://127.0.0.1:PORT to stay local)",
                        endpoint);
    int rc = bind ? zmq_bind(sock, endpoint) : zmq_connect(sock, endpoint);
    if (rc != 0) {
        pikos_cli_error("watch: cannot %s '%s': %s (an endpoint looks like "
                        "tcp://127.0.0.1:9001)",
                        bind ? "bind" : "connect to", endpoint,
                        zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

/* CURVE as a client: the publishers' public key, and a key pair of our
   own made for this run (recorders/zmq authenticates no client). */
static int use_curve(void *sock, const char *server_key)
{
    char public_key[41], secret_key[41];
    if (!zmq_has("curve")) {
        pikos_cli_error("watch: --curve-server-key: this libzmq was built "
                        "without CURVE");
        return -1;
    }
    if (strlen(server_key) != 40 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_key, 41) != 0) {
        pikos_cli_error("watch: --curve-server-key needs the publishers' "
                        "public key: 40 characters of Z85");
        return -1;
    }
    if (zmq_curve_keypair(public_key, secret_key) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, public_key, 41) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret_key, 41) != 0) {
        pikos_cli_error("watch: cannot make a CURVE key pair: %s",
                        zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

/* The SUB socket, attached to every endpoint; NULL (reported). */
static void *open_socket(void *ctx, const struct watch_options *o)
{
    void *sock = zmq_socket(ctx, ZMQ_SUB);
    int linger = 0;
    int64_t max_size = MAX_MESSAGE_SIZE;
    if (!sock || zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger)) ||
        zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max_size, sizeof(max_size)) ||
        zmq_setsockopt(sock, ZMQ_SUBSCRIBE, "pikos.", 6)) {
        pikos_cli_error("watch: cannot make a ZeroMQ socket: %s",
                        zmq_strerror(zmq_errno()));
        if (sock)
            zmq_close(sock);
        return NULL;
    }
    if (o->curve_server_key && use_curve(sock, o->curve_server_key) < 0) {
        zmq_close(sock);
        return NULL;
    }
    for (size_t i = 0; i < o->nendpoints; i++)
        if (attach(sock, o->endpoints[i], o->bind) < 0) {
            zmq_close(sock);
            return NULL;
        }
    return sock;
}

/* ------------------------------------------------------------ receiving */

/* Frames kept per message: a third one is enough to tell "not two". */
#define KEPT_FRAMES 3

/* The next frame of a message under way (there always is one, so this
   does not wait); -1 on error. */
static int receive_frame(void *sock, zmq_msg_t *part)
{
    zmq_msg_init(part);
    int rc;
    do
        rc = zmq_msg_recv(part, sock, 0);
    while (rc < 0 && zmq_errno() == EINTR);
    if (rc < 0)
        zmq_msg_close(part);
    return rc < 0 ? -1 : 0;
}

/* Reads the rest of a message whose first frame is in parts[0], keeping
   up to KEPT_FRAMES frames; returns how many were kept. */
static size_t read_more_frames(void *sock, zmq_msg_t *parts)
{
    size_t kept = 1;
    int more = zmq_msg_more(&parts[0]);
    while (more) {
        zmq_msg_t extra;
        zmq_msg_t *part = kept < KEPT_FRAMES ? &parts[kept] : &extra;
        if (receive_frame(sock, part) < 0)
            break;
        more = zmq_msg_more(part);
        if (part == &extra)
            zmq_msg_close(&extra);
        else
            kept++;
    }
    return kept;
}

/* Receives one waiting message and applies it: 1 done, 0 nothing waiting,
   -1 out of memory (reported). */
static int receive_one(void *sock, struct pikos_watch_streams *streams)
{
    zmq_msg_t parts[KEPT_FRAMES];
    zmq_msg_init(&parts[0]);
    if (zmq_msg_recv(&parts[0], sock, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&parts[0]);
        return 0;
    }
    size_t kept = read_more_frames(sock, parts);
    struct pikos_watch_frame frames[KEPT_FRAMES];
    for (size_t i = 0; i < kept; i++) {
        frames[i].data = zmq_msg_data(&parts[i]);
        frames[i].size = zmq_msg_size(&parts[i]);
    }
    int verdict = pikos_watch_receive(streams, frames, kept, now_seconds());
    for (size_t i = 0; i < kept; i++)
        zmq_msg_close(&parts[i]);
    if (verdict == PIKOS_WATCH_NO_MEMORY) {
        pikos_cli_error("watch: out of memory");
        return -1;
    }
    return 1;
}

/* Applies the waiting messages, for at most `budget` seconds (the view
   must still redraw under a flood).  Returns how many, or -1 (reported). */
static long drain(void *sock, struct pikos_watch_streams *streams,
                  double budget)
{
    double until = now_seconds() + budget;
    long received = 0;
    int r;
    while ((r = receive_one(sock, streams)) > 0) {
        received++;
        if ((received & 63) == 0 && now_seconds() >= until)
            break;
    }
    return r < 0 ? -1 : received;
}

/* Waits until the socket has a message, or `timeout` seconds, or stdin
   has input (when `with_stdin`).  Returns 1 when stdin is readable. */
static int wait_for_input(void *sock, double timeout, int with_stdin)
{
    zmq_pollitem_t items[2] = {{sock, 0, ZMQ_POLLIN, 0},
                               {NULL, STDIN_FILENO, ZMQ_POLLIN, 0}};
    long ms = timeout > 0 ? (long)ceil(timeout * 1000) : 0;
    if (zmq_poll(items, with_stdin ? 2 : 1, ms) < 0)
        return 0; /* EINTR: a signal; the caller looks at stop_requested */
    return with_stdin && (items[1].revents & ZMQ_POLLIN);
}

/* ------------------------------------------------------------ --once */

static void report_no_stream(const struct watch_options *o,
                             const struct pikos_watch_streams *streams)
{
    char skipped[96] = "";
    if (streams->malformed || streams->no_schema)
        snprintf(skipped, sizeof(skipped),
                 " (%llu malformed, %llu waiting for a schema)",
                 streams->malformed, streams->no_schema);
    pikos_cli_error("watch: no stream seen within %g s on %s%s%s", o->timeout,
                    o->endpoints[0], o->nendpoints > 1 ? " and others" : "",
                    skipped);
}

/* Collects until the timeout, or until every stream seen has ended and
   nothing arrived for SETTLE seconds; then prints the snapshot. */
static int watch_once(void *sock, const struct watch_options *o)
{
    struct pikos_watch_streams streams = {0};
    double start = now_seconds(), last_message = start;
    double deadline = start + o->timeout;
    int status = 0;
    while (!stop_requested) {
        double t = now_seconds();
        if (t >= deadline ||
            (pikos_watch_all_ended(&streams) && t - last_message >= SETTLE))
            break;
        wait_for_input(sock, fmin(deadline - t, SETTLE / 4), 0);
        long received = drain(sock, &streams, DRAIN_BUDGET);
        if (received < 0) {
            status = PIKOS_CLI_EXIT_USAGE;
            break;
        }
        if (received > 0)
            last_message = now_seconds();
    }
    if (status == 0 && streams.count == 0) {
        report_no_stream(o, &streams);
        status = 1;
    } else if (status == 0)
        pikos_watch_print_snapshot(stdout, &streams, o->top, now_seconds());
    pikos_watch_streams_free(&streams);
    return status;
}

/* ------------------------------------------------------------ the view */

static int watch_live(void *sock, const struct watch_options *o)
{
    struct pikos_watch_view *view = pikos_watch_view_open();
    if (!view)
        return PIKOS_CLI_EXIT_USAGE;
    struct pikos_watch_streams streams = {0};
    double deadline = o->timeout ? now_seconds() + o->timeout : INFINITY;
    double next_frame = 0;
    int status = 0, quit = 0;
    while (!quit && !stop_requested && now_seconds() < deadline) {
        double t = now_seconds();
        if (t >= next_frame) {
            pikos_watch_view_draw(view, &streams, t);
            next_frame = t + REDRAW_EVERY;
        }
        if (wait_for_input(sock, fmin(next_frame, deadline) - t, 1)) {
            quit = pikos_watch_view_keys(view, &streams);
            next_frame = 0; /* show what the key did right away */
        }
        if (drain(sock, &streams, DRAIN_BUDGET) < 0) {
            status = PIKOS_CLI_EXIT_USAGE;
            quit = 1;
        }
    }
    pikos_watch_view_close(view);
    pikos_watch_streams_free(&streams);
    return status;
}

/* ------------------------------------------------------------ the command */

int pikos_cli_watch_command(int argc, char **argv)
{
    struct watch_options o;
    int r = parse_watch_args(argc, argv, &o);
    if (r <= 0) {
        free(o.endpoints);
        return r < 0 ? PIKOS_CLI_EXIT_USAGE : 0;
    }
    int status = PIKOS_CLI_EXIT_USAGE;
    void *ctx = zmq_ctx_new();
    void *sock = ctx ? open_socket(ctx, &o) : NULL;
    if (!ctx)
        pikos_cli_error("watch: cannot start ZeroMQ: %s",
                        zmq_strerror(zmq_errno()));
    if (sock) {
        catch_stop_signals();
        status = o.once ? watch_once(sock, &o) : watch_live(sock, &o);
        zmq_close(sock);
    }
    if (ctx)
        zmq_ctx_term(ctx);
    free(o.endpoints);
    return status;
}
