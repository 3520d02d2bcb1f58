/*
 * core/memory_linux.c - the process's memory counters, read on Linux.
 *
 * The platform part of process memory (host->process_memory): the resident
 * (RSS) and virtual (VMS) size of the process in bytes.  Everything that
 * depends on the operating system is in this file; another platform gets a
 * file of its own defining pikos_process_memory (macOS: task_info with
 * MACH_TASK_BASIC_INFO, resident_size and virtual_size; Windows:
 * GetProcessMemoryInfo, WorkingSetSize and PagefileUsage) and
 * core/Makefile.inc picks one.
 *
 * Linux: /proc/self/statm holds "size resident shared text lib data dt", in
 * pages.  It is opened once (O_CLOEXEC, so an exec'ed program does not
 * inherit it) and each reading is one pread at offset 0: the kernel builds
 * the text afresh on every read, so no seek and no reopen are needed.
 *
 * After fork() the child must reopen it: "/proc/self" was resolved when the
 * file was opened, so the inherited descriptor still reads the parent's
 * counters.  A pthread_atfork handler closes it in the child, whose next
 * reading opens its own.  No getpid() per reading is needed for that.
 *
 * Readings may come from several threads at once (the sampler's thread and
 * the program's): the descriptor is published with one atomic
 * compare-and-swap, and pread does not move a shared file offset.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "internal.h"

#define STATM_PATH "/proc/self/statm"

static atomic_int statm_fd = -1;
static uint64_t page_size;
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;

static void close_in_child(void)
{
    int fd = atomic_exchange(&statm_fd, -1);

    if (fd >= 0)
        close(fd);
}

static void setup(void)
{
    page_size = (uint64_t)sysconf(_SC_PAGESIZE);
    pthread_atfork(NULL, NULL, close_in_child);
}

/* The open descriptor, opening it on first use; -1 with errno set. */
static int statm_open(void)
{
    int expected = -1;
    int fd;

    pthread_once(&setup_once, setup);
    fd = open(STATM_PATH, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    /* Another thread may have opened it meanwhile: keep the first one. */
    if (!atomic_compare_exchange_strong(&statm_fd, &expected, fd)) {
        close(fd);
        return expected;
    }
    return fd;
}

/* Reads the decimal number at *text and moves past it and one space.
   Returns 0, or -1 when *text holds no digit. */
static int parse_number(const char **text, uint64_t *value)
{
    const char *p = *text;
    uint64_t n = 0;

    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++)
        n = n * 10 + (uint64_t)(*p - '0');
    if (*p == ' ')
        p++;
    *text = p;
    *value = n;
    return 0;
}

int pikos_process_memory(uint64_t *rss, uint64_t *vms)
{
    char text[128]; /* the first two numbers always fit; the rest of the
                       line may be cut off, which is harmless */
    const char *cursor = text;
    uint64_t size_pages, resident_pages;
    int fd = atomic_load_explicit(&statm_fd, memory_order_acquire);
    ssize_t n;

    if (fd < 0 && (fd = statm_open()) < 0)
        return PIKOS_EIO;
    n = pread(fd, text, sizeof(text) - 1, 0);
    if (n <= 0) {
        if (n == 0)
            errno = ESRCH; /* the process the file describes is gone */
        return PIKOS_EIO;
    }
    text[n] = '\0';
    if (parse_number(&cursor, &size_pages) < 0 ||
        parse_number(&cursor, &resident_pages) < 0) {
        errno = EPROTO;
        return PIKOS_EIO;
    }
    *rss = resident_pages * page_size;
    *vms = size_pages * page_size;
    return PIKOS_OK;
}
