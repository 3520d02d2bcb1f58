/* recorders/zmq: checking the options, and which endpoints are local. */
#include <string.h>

#include <criterion/criterion.h>
#include <zmq.h>

#include "settings.h"

static struct zmq_options defaults(void)
{
    /* The manifest's defaults. */
    struct zmq_options o = {
        .endpoint = SETTINGS_DEFAULT_ENDPOINT,
        .host = "",
        .port = 0,
        .ready_timeout = 10,
        .hwm = 100,
        .slow = "drop",
        .curve_secret_key = "",
        .curve_public_key = "",
    };
    return o;
}

static struct live_settings settings;
static char error[512];

static void assert_ok(const struct zmq_options *o)
{
    cr_assert_eq(settings_check(o, &settings, error, sizeof(error)), 0, "%s",
                 error);
}

static void assert_error(const struct zmq_options *o, const char *expected)
{
    cr_assert_eq(settings_check(o, &settings, error, sizeof(error)), -1);
    cr_assert_str_eq(error, expected);
}

Test(settings, defaults)
{
    struct zmq_options o = defaults();
    assert_ok(&o);
    cr_assert_str_eq(settings.endpoint, "tcp://127.0.0.1:9001");
    cr_assert_eq(settings.connect, 0);
    cr_assert_eq(settings.block, 0);
    cr_assert_eq(settings.hwm, 100);
    cr_assert_eq(settings.wait_for_ready, 0);
    cr_assert_eq(settings.curve_server, 0);
}

Test(settings, host_and_port_as_the_seed_gives_them)
{
    struct zmq_options o = defaults();
    o.port = 9100;
    assert_ok(&o);
    cr_assert_str_eq(settings.endpoint, "tcp://127.0.0.1:9100");

    o.host = "10.1.2.3";
    assert_ok(&o);
    cr_assert_str_eq(settings.endpoint, "tcp://10.1.2.3:9100");

    o.port = 0;
    assert_ok(&o);
    cr_assert_str_eq(settings.endpoint, "tcp://10.1.2.3:9001");

    o.host = "::1";
    assert_ok(&o);
    cr_assert_str_eq(settings.endpoint, "tcp://[::1]:9001");
}

Test(settings, localhost_is_bound_as_127_0_0_1_but_connected_by_name)
{
    struct zmq_options o = defaults();
    o.endpoint = "tcp://localhost:9200";
    assert_ok(&o);
    cr_assert_str_eq(settings.endpoint, "tcp://127.0.0.1:9200");

    o.connect = 1;
    assert_ok(&o);
    cr_assert_str_eq(settings.endpoint, "tcp://localhost:9200");
}

Test(settings, endpoint_and_host_port_conflict)
{
    struct zmq_options o = defaults();
    o.endpoint = "tcp://127.0.0.1:9300";
    o.port = 9400;
    assert_error(&o, "give either endpoint= or host=/port=, not both "
                     "(endpoint=tcp://127.0.0.1:9300)");
}

Test(settings, bad_values)
{
    struct zmq_options o = defaults();
    o.port = 70000;
    assert_error(&o, "option 'port' must be between 1 and 65535, not 70000");

    o = defaults();
    o.endpoint = "127.0.0.1:9001";
    assert_error(&o, "option 'endpoint' must look like tcp://HOST:PORT, "
                     "ipc://PATH or inproc://NAME, not '127.0.0.1:9001'");

    o = defaults();
    o.slow = "wait";
    assert_error(&o, "option 'slow' must be drop (count what a slow "
                     "subscriber misses) or block (wait for it), not 'wait'");

    o = defaults();
    o.hwm = 0;
    assert_error(&o, "option 'hwm' must be a number of messages between 1 "
                     "and 1000000000, not 0");

    o = defaults();
    o.ready_timeout = -1;
    assert_error(&o, "option 'ready_timeout' must be a number of seconds "
                     "between 0 and 86400, not -1");
}

Test(settings, curve)
{
    char public_key[41], secret_key[41], other_public[41], other_secret[41];
    cr_assert_eq(zmq_curve_keypair(public_key, secret_key), 0);
    cr_assert_eq(zmq_curve_keypair(other_public, other_secret), 0);
    struct zmq_options o = defaults();

    o.curve_secret_key = secret_key;
    assert_error(&o, "options 'curve_secret_key' and 'curve_public_key' need "
                     "curve_server=true");
    o.curve_server = 1;
    assert_ok(&o);
    cr_assert_str_eq(settings.curve_secret_key, secret_key);
    o.curve_public_key = public_key;
    assert_ok(&o);
    o.curve_public_key = other_public;
    assert_error(&o, "option 'curve_public_key' is not the public key of "
                     "curve_secret_key");
    o.curve_public_key = "";
    o.curve_secret_key = "short";
    assert_error(&o, "curve_server=true needs curve_secret_key, a "
                     "40-character Z85 key (make a pair with "
                     "zmq.curve_keypair())");
}

Test(settings, local_endpoints)
{
    static const char *const local[] = {
        "tcp://127.0.0.1:9001", "tcp://127.8.9.10:1",    "tcp://[::1]:9001",
        "tcp://localhost:9001", "ipc:///tmp/pikos.sock", "inproc://x"};
    static const char *const remote[] = {"tcp://*:9001",
                                         "tcp://0.0.0.0:9001",
                                         "tcp://10.0.0.1:9001",
                                         "tcp://[::]:9001",
                                         "tcp://eth0:9001",
                                         "tcp://128.0.0.1:1",
                                         "pgm://eth0;239.192.1.1:5555"};
    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
        cr_assert(settings_endpoint_is_local(local[i]), "%s", local[i]);
    for (size_t i = 0; i < sizeof(remote) / sizeof(remote[0]); i++)
        cr_assert_not(settings_endpoint_is_local(remote[i]), "%s", remote[i]);
}
