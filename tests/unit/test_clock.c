/*
 * The host's clock (core/clock.c): after calibration it keeps time with
 * CLOCK_MONOTONIC, the oracle, over sleeps of different lengths; it never
 * goes backwards within a thread; and where the kernel keeps time with the
 * TSC it reads the TSC (so the cheap path is the one tested).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "internal.h"

static uint64_t monotonic_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec t = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    nanosleep(&t, NULL);
}

static int kernel_uses_tsc(void)
{
    char name[64] = "";
    FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/"
                    "current_clocksource", "r");
    if (f == NULL)
        return 0;
    if (fgets(name, sizeof(name), f) == NULL)
        name[0] = '\0';
    fclose(f);
    return strncmp(name, "tsc", 3) == 0;
}

Test(clock, follows_the_monotonic_clock)
{
    static const uint64_t spans[] = {1000000, 20000000, 200000000};

    pikos_clock_calibrate();
    for (size_t i = 0; i < sizeof(spans) / sizeof(spans[0]); i++) {
        uint64_t ours0 = pikos_clock_ns(), mono0 = monotonic_ns();
        sleep_ns(spans[i]);
        uint64_t ours1 = pikos_clock_ns(), mono1 = monotonic_ns();
        int64_t ours = (int64_t)(ours1 - ours0), mono = (int64_t)(mono1 - mono0);
        /* 1e-4 of the span, and 2 us for the readings around it */
        int64_t allowed = (int64_t)(spans[i] / 10000) + 2000;
        cr_assert(ours >= (int64_t)spans[i], "slept %llu ns, measured %lld",
                  (unsigned long long)spans[i], (long long)ours);
        cr_assert(ours - mono <= allowed && mono - ours <= allowed,
                  "ours %lld ns, CLOCK_MONOTONIC %lld ns", (long long)ours,
                  (long long)mono);
    }
}

Test(clock, stays_near_the_monotonic_clock)
{
    pikos_clock_calibrate();
    int64_t apart = (int64_t)(pikos_clock_ns() - monotonic_ns());
    cr_assert(apart > -100000 && apart < 100000,
              "%lld ns from CLOCK_MONOTONIC", (long long)apart);
}

Test(clock, never_goes_back)
{
    pikos_clock_calibrate();
    uint64_t last = pikos_clock_ns();
    for (int i = 0; i < 1000000; i++) {
        uint64_t now = pikos_clock_ns();
        cr_assert_geq(now, last);
        last = now;
    }
}

Test(clock, reads_the_tsc_where_the_kernel_does)
{
    pikos_clock_calibrate();
#if defined(__x86_64__)
    if (!kernel_uses_tsc() || getenv("PIKOS_CLOCK") != NULL)
        cr_skip_test("the kernel's clocksource is not the TSC");
    cr_assert(pikos_tsc_clock.enabled);
    cr_assert_gt(pikos_tsc_clock.mult, 0);
#else
    cr_assert(!pikos_tsc_clock.enabled);
#endif
}
