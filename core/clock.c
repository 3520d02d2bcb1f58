/*
 * core/clock.c - the host's clock (host->clock_ns, the time of timed
 * records): CLOCK_MONOTONIC nanoseconds, read from the TSC where the
 * kernel itself keeps time with it.
 *
 * Timed monitors read the clock on every event, and clock_gettime through
 * the vDSO costs about 17 ns here against 8 for rdtsc (`make
 * bench-clock`).  The TSC is used only where the kernel vouches for it:
 * x86-64, its clocksource is "tsc" (which Linux keeps only for a TSC that
 * is invariant and synchronised across CPUs) and the CPU says
 * constant_tsc and nonstop_tsc.  Anywhere else, or with
 * PIKOS_CLOCK=monotonic, every reading is clock_gettime.
 *
 * The TSC's rate is measured against CLOCK_MONOTONIC between two moments
 * at least CALIBRATION_NS apart: when libpikos is loaded and when the
 * first pipeline starts (normally later than that already; else the
 * start waits for the rest).  Each end is the tightest of a few
 * (TSC, clock, TSC) readings, so its error is a few tens of nanoseconds
 * and the rate's about 1e-5 of the measured span: docs/decisions.md.
 * From then on a reading is the monotonic time of the second moment plus
 * the ticks since, scaled - one rdtsc, one multiply, no call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CALIBRATION_NS 10000000u /* 10 ms between the two moments */
#define TIGHT_TRIES 8            /* readings per moment, the tightest kept */

struct pikos_tsc_clock pikos_tsc_clock;

#if defined(__x86_64__)
#include <x86intrin.h>

static uint64_t monotonic_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* The first moment, taken when the library is loaded. */
static struct moment {
    uint64_t tsc, ns;
} loaded;

/* A clock reading and the TSC at the same moment: of TIGHT_TRIES
   (TSC, clock, TSC) triples, the one whose two TSC readings are nearest,
   the TSC taken half way between them. */
static struct moment moment_now(void)
{
    struct moment best = {0, 0};
    uint64_t narrowest = UINT64_MAX;

    for (int i = 0; i < TIGHT_TRIES; i++) {
        uint64_t before = __rdtsc();
        uint64_t ns = monotonic_ns();
        uint64_t after = __rdtsc();
        if (after - before < narrowest) {
            narrowest = after - before;
            best.tsc = before + (after - before) / 2;
            best.ns = ns;
        }
    }
    return best;
}

/* Whether `path`'s first line contains `word`. */
static int file_says(const char *path, const char *word)
{
    char line[4096];
    FILE *f = fopen(path, "re");
    int found = 0;

    if (f == NULL)
        return 0;
    while (!found && fgets(line, sizeof(line), f) != NULL)
        found = strstr(line, word) != NULL;
    fclose(f);
    return found;
}

/* Whether the kernel keeps time with an invariant, synchronised TSC. */
static int tsc_trusted(void)
{
    const char *choice = getenv("PIKOS_CLOCK");

    if (choice != NULL && strcmp(choice, "monotonic") == 0)
        return 0;
    return file_says("/sys/devices/system/clocksource/clocksource0/"
                     "current_clocksource",
                     "tsc") &&
           file_says("/proc/cpuinfo", " constant_tsc") &&
           file_says("/proc/cpuinfo", " nonstop_tsc");
}

__attribute__((constructor)) static void clock_loaded(void)
{
    if (tsc_trusted())
        loaded = moment_now();
}

/* ticks * 2^shift / ns, in 32 bits: shift as large as that allows. */
static void set_scale(uint64_t ticks, uint64_t ns)
{
    unsigned shift = 32;
    while (shift > 0 &&
           ((unsigned __int128)ns << shift) / ticks > UINT32_MAX)
        shift--;
    pikos_tsc_clock.mult = (uint32_t)(((unsigned __int128)ns << shift) / ticks);
    pikos_tsc_clock.shift = shift;
}

void pikos_clock_calibrate(void)
{
    struct moment now;

    if (pikos_tsc_clock.enabled || loaded.tsc == 0)
        return; /* done, or the monotonic clock it is */
    while (monotonic_ns() - loaded.ns < CALIBRATION_NS)
        ; /* the pipeline started right after the library was loaded */
    now = moment_now();
    if (now.tsc <= loaded.tsc) {
        loaded.tsc = 0; /* a TSC going backwards: not one to trust */
        return;
    }
    set_scale(now.tsc - loaded.tsc, now.ns - loaded.ns);
    pikos_tsc_clock.tsc0 = now.tsc;
    pikos_tsc_clock.ns0 = now.ns;
    pikos_tsc_clock.enabled = 1;
}

#else /* not x86-64: the monotonic clock */

void pikos_clock_calibrate(void)
{
}

#endif /* __x86_64__ */
