/*
 * Process memory (core/memory_linux.c) and the memory sampler
 * (core/memory.c): readings are plausible and follow the memory the process
 * touches, the sampler publishes fresh values, runs while anybody holds it
 * and stops with the last release, descriptors do not leak, and a forked
 * child reads its own memory.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "internal.h"
#include "task_count.h"

#define MIB (1024u * 1024u)

static void read_ok(uint64_t *rss, uint64_t *vms)
{
    cr_assert_eq(pikos_process_memory(rss, vms), PIKOS_OK);
}

static uint64_t rss_now(void)
{
    uint64_t rss, vms;
    read_ok(&rss, &vms);
    return rss;
}

static uint64_t rss_sampled(void)
{
    uint64_t rss, vms;
    cr_assert_eq(pikos_process_memory_sampled(&rss, &vms), PIKOS_OK);
    return rss;
}

/* `size` bytes, every page written, so that they count in RSS. */
static char *touched(size_t size)
{
    char *block = malloc(size);
    cr_assert_not_null(block);
    memset(block, 1, size);
    return block;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static int descriptors(void)
{
    return proc_entries("/proc/self/fd") - 1; /* opendir's own */
}

Test(memory, readings_are_positive_and_rss_at_most_vms)
{
    uint64_t rss, vms;

    read_ok(&rss, &vms);
    cr_assert_gt(rss, 0);
    cr_assert_leq(rss, vms);
}

Test(memory, rss_grows_with_touched_memory)
{
    uint64_t before = rss_now();
    char *block = touched(64 * MIB);
    uint64_t after = rss_now();

    cr_assert_geq(after, before + 60 * MIB, "RSS %llu -> %llu",
                  (unsigned long long)before, (unsigned long long)after);
    free(block);
}

Test(memory, readings_keep_one_descriptor)
{
    uint64_t rss, vms;
    int open_before;

    read_ok(&rss, &vms); /* opens /proc/self/statm, kept open */
    open_before = descriptors();
    for (int i = 0; i < 1000; i++)
        read_ok(&rss, &vms);
    for (int i = 0; i < 20; i++) {
        cr_assert_eq(pikos_memory_sampler_acquire(NULL, 100), PIKOS_OK);
        pikos_memory_sampler_release(NULL);
    }
    cr_assert_eq(descriptors(), open_before);
}

Test(memory, sampler_publishes_fresh_values)
{
    uint64_t before, after;
    char *block;

    cr_assert_eq(pikos_memory_sampler_acquire(NULL, 200), PIKOS_OK);
    before = rss_sampled();
    cr_assert_gt(before, 0);
    block = touched(64 * MIB);
    sleep_ms(50); /* 250 intervals */
    after = rss_sampled();
    cr_assert_geq(after, before + 60 * MIB, "sampled RSS %llu -> %llu",
                  (unsigned long long)before, (unsigned long long)after);
    pikos_memory_sampler_release(NULL);
    free(block);
}

/* A sampled value was read between two exact readings taken before and
   after it: it lies between them (give or take a page or two of noise). */
static void assert_between(uint64_t value, uint64_t a, uint64_t b)
{
    uint64_t low = a < b ? a : b, high = a < b ? b : a;

    cr_assert(value + MIB >= low && value <= high + MIB,
              "%llu is not within [%llu, %llu]", (unsigned long long)value,
              (unsigned long long)low, (unsigned long long)high);
}

Test(memory, sampled_values_are_those_of_exact_readings)
{
    uint64_t rss_before, vms_before, rss, vms, rss_after, vms_after;

    read_ok(&rss_before, &vms_before);
    cr_assert_eq(pikos_memory_sampler_acquire(NULL, 100), PIKOS_OK);
    sleep_ms(5);
    cr_assert_eq(pikos_process_memory_sampled(&rss, &vms), PIKOS_OK);
    pikos_memory_sampler_release(NULL);
    read_ok(&rss_after, &vms_after);
    cr_assert_leq(rss, vms);
    assert_between(rss, rss_before, rss_after);
    assert_between(vms, vms_before, vms_after);
}

Test(memory, one_thread_runs_while_anybody_holds_the_sampler)
{
    int alone = task_count();
    char *block;
    uint64_t before;

    cr_assert_eq(pikos_memory_sampler_acquire(NULL, 100), PIKOS_OK);
    cr_assert_eq(task_count(), alone + 1);
    cr_assert_eq(pikos_memory_sampler_acquire(NULL, 500), PIKOS_OK);
    cr_assert_eq(task_count(), alone + 1, "the second holder shares the thread");

    pikos_memory_sampler_release(NULL);
    cr_assert_eq(task_count(), alone + 1, "one holder is left");
    before = rss_sampled();
    block = touched(64 * MIB);
    sleep_ms(50);
    cr_assert_geq(rss_sampled(), before + 60 * MIB, "still sampling");

    pikos_memory_sampler_release(NULL);
    cr_assert_eq(task_count_settled(alone), alone,
                 "the last release joins the thread");
    free(block);
}

Test(memory, without_the_sampler_sampled_reads_now)
{
    uint64_t before = rss_sampled();
    char *block = touched(64 * MIB);

    cr_assert_geq(rss_sampled(), before + 60 * MIB);
    free(block);
}

Test(memory, zero_interval_is_refused)
{
    int alone = task_count();

    cr_assert_eq(pikos_memory_sampler_acquire(NULL, 0), PIKOS_EINVAL);
    cr_assert_eq(task_count(), alone);
}

/* In a child: exits 0 when the reading `read` returns follows the memory
   the child touches (not its parent's). */
static void child_reads_own_memory(int (*read)(uint64_t *, uint64_t *))
{
    uint64_t before, after, vms;
    char *block;

    if (read(&before, &vms) != PIKOS_OK)
        _exit(2);
    block = touched(96 * MIB);
    if (read(&after, &vms) != PIKOS_OK)
        _exit(3);
    free(block);
    _exit(after >= before + 90 * MIB ? 0 : 1);
}

static int child_status(int (*read)(uint64_t *, uint64_t *))
{
    int status;
    pid_t pid = fork();

    cr_assert_geq(pid, 0);
    if (pid == 0)
        child_reads_own_memory(read);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

Test(memory, forked_child_reads_its_own_memory)
{
    uint64_t parent_before = rss_now(); /* the parent's descriptor is open */

    cr_assert_eq(child_status(pikos_process_memory), 0);
    cr_assert_lt(rss_now(), parent_before + 32 * MIB,
                 "the child's memory is not the parent's");
}

Test(memory, forked_child_of_a_sampling_parent_reads_exactly)
{
    cr_assert_eq(pikos_memory_sampler_acquire(NULL, 100), PIKOS_OK);
    cr_assert_eq(child_status(pikos_process_memory_sampled), 0);
    pikos_memory_sampler_release(NULL);
}
