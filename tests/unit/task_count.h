/*
 * tests/unit/task_count.h - the process's threads, as /proc/self/task
 * lists them, for the tests of the memory sampler's thread (test_memory.c,
 * test_lines.c).
 */
#ifndef PIKOS_TESTS_TASK_COUNT_H
#define PIKOS_TESTS_TASK_COUNT_H

#include <dirent.h>
#include <unistd.h>

/* Entries of a /proc/self directory (threads in task/, descriptors in
   fd/), not counting "." and ".."; -1 when it cannot be read. */
static inline int proc_entries(const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *entry;
    int count = 0;

    if (dir == NULL)
        return -1;
    while ((entry = readdir(dir)) != NULL)
        count += entry->d_name[0] != '.';
    closedir(dir);
    return count;
}

static inline int task_count(void)
{
    return proc_entries("/proc/self/task");
}

/* task_count(), once it is `expected` or a second has passed: a joined
   thread can still be listed for a moment (the kernel clears its id for
   pthread_join before it takes the task out of /proc/self/task). */
static inline int task_count_settled(int expected)
{
    int count = task_count();

    for (int i = 0; i < 100 && count != expected; i++) {
        usleep(10000);
        count = task_count();
    }
    return count;
}

#endif
