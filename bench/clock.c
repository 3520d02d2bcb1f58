/*
 * bench/clock.c - what reading the time costs per event, the numbers
 * behind the choice of clock for timed records (docs/decisions.md):
 * clock_gettime(CLOCK_MONOTONIC) through the vDSO against the TSC
 * (rdtsc), in interleaved rounds, with the median of each.
 * Run with `make bench-clock`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HAVE_TSC 1
#endif

enum { CALLS = 10000000, ROUNDS = 7 };

static uint64_t monotonic_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static volatile uint64_t sink; /* keeps the reads from being optimised out */

/* Nanoseconds per call of `read`. */
static double per_call(uint64_t (*read)(void))
{
    uint64_t sum = 0, start = monotonic_ns();
    for (int i = 0; i < CALLS; i++)
        sum += read();
    sink = sum;
    return (double)(monotonic_ns() - start) / CALLS;
}

#ifdef HAVE_TSC
static uint64_t tsc(void)
{
    return __rdtsc();
}
#endif

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values)
{
    qsort(values, ROUNDS, sizeof(*values), by_value);
    return values[ROUNDS / 2];
}

int main(void)
{
    double mono[ROUNDS], cycles[ROUNDS] = {0};
    struct timespec resolution;

    for (int r = 0; r < ROUNDS; r++) {
        mono[r] = per_call(monotonic_ns);
#ifdef HAVE_TSC
        cycles[r] = per_call(tsc);
#endif
    }
    clock_getres(CLOCK_MONOTONIC, &resolution);
    printf("clock_gettime(CLOCK_MONOTONIC): %.1f ns a read (median of %d), "
           "resolution %ld ns\n",
           median(mono), ROUNDS, resolution.tv_nsec);
#ifdef HAVE_TSC
    printf("rdtsc:                          %.1f ns a read (median of %d)\n",
           median(cycles), ROUNDS);
#endif
    return 0;
}
