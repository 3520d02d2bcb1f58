/* The region shared with the pikos command (core/durable.c): the run's
   arguments, and records that outputs left unflushed written back by the
   command (the salvage) exactly once, however the process ended. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include "durable.h"
#include "fakehost.h"

static char path[64];
static struct pikos_durable *command; /* the pikos command's mapping */
static int fd = -1;

/* The command creates the region; this process attaches to it as the
   interpreter would (through a descriptor of its own). */
static void share_region(void)
{
    fake_temp_file(path);
    command = pikos_durable_create(&fd);
    cr_assert_not_null(command);
    cr_assert_not_null(pikos_durable_attach(dup(fd)));
}

static void unshare_region(void)
{
    pikos_durable_destroy(command);
    close(fd);
    unlink(path);
}

static struct pikos_output *open_output(const char *where)
{
    struct pikos_error err = {0};
    struct pikos_output *out = pikos_output_open(where, &err);
    cr_assert_not_null(out, "%s", err.message);
    return out;
}

static void write_text(struct pikos_output *out, const char *text)
{
    cr_assert_eq(pikos_output_write(out, text, strlen(text)), 0);
}

static void assert_file(const char *expected)
{
    char *text = fake_read_file(path);
    cr_assert_str_eq(text, expected);
    free(text);
}

TestSuite(durable, .init = share_region, .fini = unshare_region);

Test(durable, config_entries_in_order)
{
    size_t pos = 0;

    cr_assert_eq(pikos_durable_config_add(command, "plugin", "a:x=1"), 0);
    cr_assert_eq(pikos_durable_config_add(command, "output", "o.csv"), 0);
    cr_assert_eq(pikos_durable_config_add(command, "plugin", "b"), 0);
    cr_assert_str_eq(pikos_durable_config_next(command, "plugin", &pos),
                     "a:x=1");
    cr_assert_str_eq(pikos_durable_config_next(command, "plugin", &pos), "b");
    cr_assert_null(pikos_durable_config_next(command, "plugin", &pos));
    pos = 0;
    cr_assert_str_eq(pikos_durable_config_next(command, "output", &pos),
                     "o.csv");
    pos = 0;
    cr_assert_null(pikos_durable_config_next(command, "out", &pos));
}

Test(durable, a_full_config_is_refused)
{
    char big[4096];

    memset(big, 'v', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    for (int i = 0; i < 3; i++)
        cr_assert_eq(pikos_durable_config_add(command, "plugin", big), 0);
    cr_assert_eq(pikos_durable_config_add(command, "plugin", big), -1);
}

Test(durable, unflushed_records_are_written_back_once)
{
    struct pikos_output *out = open_output(path);

    write_text(out, "row 1\n");
    write_text(out, "row 2\n");
    assert_file(""); /* still in the buffer */
    cr_assert_eq(pikos_durable_salvage(command), 12);
    assert_file("row 1\nrow 2\n");
    cr_assert_eq(pikos_output_close(out), 0); /* nothing left to write */
    assert_file("row 1\nrow 2\n");
}

Test(durable, the_tail_goes_after_what_was_flushed)
{
    struct pikos_output *out = open_output(path);

    write_text(out, "flushed\n");
    cr_assert_eq(pikos_output_flush(out), 0);
    write_text(out, "tail\n");
    pikos_durable_salvage(command);
    assert_file("flushed\ntail\n");
    pikos_output_close(out);
}

/* Killed between a flush's write(2) and the clearing of its count: the
   command writes the same bytes at the same place again. */
Test(durable, a_flush_that_happened_is_not_doubled)
{
    struct pikos_output *out = open_output(path);
    struct pikos_durable_slot *slot = &command->slots[0];

    write_text(out, "once\n");
    cr_assert_eq(pikos_output_flush(out), 0);
    cr_assert(slot->in_use);
    slot->used = 5;        /* as it was before the write returned */
    slot->file_offset = 0;
    pikos_durable_salvage(command);
    assert_file("once\n");
    pikos_output_close(out);
}

Test(durable, the_screens_tail_goes_to_standard_output,
     .init = cr_redirect_stdout)
{
    struct pikos_output *out = open_output(NULL);

    write_text(out, "on the screen\n");
    pikos_durable_salvage(command);
    fflush(stdout);
    cr_assert_stdout_eq_str("on the screen\n");
}

Test(durable, a_forked_child_leaves_the_parents_buffer_alone)
{
    struct pikos_output *out = open_output(path);
    int status;
    pid_t pid;

    write_text(out, "parent\n");
    pid = fork();
    if (pid == 0) {
        write_text(out, "child\n");
        pikos_output_flush(out);
        _exit(pikos_durable_current() == NULL ? 0 : 1);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert_eq(WEXITSTATUS(status), 0);
    pikos_durable_salvage(command);
    assert_file("parent\n");
    pikos_output_close(out);
}

/* ------------------------------------------------------------ endings */

Test(durable, the_ending_goes_after_the_tail)
{
    struct pikos_output *out = open_output(path);

    write_text(out, "[1");
    cr_assert_eq(pikos_output_set_ending(out, "]\n", 2), 0);
    write_text(out, ",2");
    cr_assert_eq(pikos_durable_salvage(command), 6);
    assert_file("[1,2]\n");
    cr_assert_eq(pikos_durable_salvage(command), 0); /* once */
    assert_file("[1,2]\n");
    pikos_output_close(out);
}

Test(durable, the_ending_goes_after_what_was_flushed_and_the_tail)
{
    struct pikos_output *out = open_output(path);

    pikos_output_set_ending(out, "]", 1);
    write_text(out, "[flushed");
    cr_assert_eq(pikos_output_flush(out), 0);
    write_text(out, ",tail");
    pikos_durable_salvage(command);
    assert_file("[flushed,tail]");
    pikos_output_close(out);
}

Test(durable, the_ending_alone_when_everything_was_flushed)
{
    struct pikos_output *out = open_output(path);

    pikos_output_set_ending(out, "]", 1);
    write_text(out, "[all");
    cr_assert_eq(pikos_output_flush(out), 0);
    cr_assert_eq(pikos_durable_salvage(command), 1);
    assert_file("[all]");
    pikos_output_close(out);
}

/* A closed output wrote its ending itself: the command adds nothing. */
Test(durable, a_closed_output_has_nothing_left_to_end)
{
    struct pikos_output *out = open_output(path);

    write_text(out, "[x");
    pikos_output_set_ending(out, "]", 1);
    cr_assert_eq(pikos_output_close(out), 0);
    cr_assert_eq(pikos_durable_salvage(command), 0);
    assert_file("[x]");
}

/* Killed in the middle of a write(2) too big for the buffer: the bytes it
   put past the last whole record are cut off after the ending. */
Test(durable, a_half_done_big_write_is_cut_after_the_ending)
{
    struct pikos_output *out = open_output(path);
    int file;

    pikos_output_set_ending(out, "]", 1);
    write_text(out, "[whole");
    cr_assert_eq(pikos_output_flush(out), 0);
    file = open(path, O_WRONLY | O_APPEND);
    cr_assert_eq(write(file, ",half of a big rec", 18), 18);
    close(file);
    pikos_durable_salvage(command);
    assert_file("[whole]");
    pikos_output_close(out);
}

Test(durable, the_screens_ending_follows_its_tail, .init = cr_redirect_stdout)
{
    struct pikos_output *out = open_output(NULL);

    write_text(out, "{\"a\": 1");
    pikos_output_set_ending(out, "}\n", 2);
    pikos_durable_salvage(command);
    fflush(stdout);
    cr_assert_stdout_eq_str("{\"a\": 1}\n");
}

/* A real crash: a process attached to the region (as the interpreter
   is) writes, flushes some, sets its ending and is killed by SIGKILL
   with records still buffered; the command then salvages. */
Test(durable, a_process_killed_mid_run_leaves_its_tail_and_ending)
{
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        pikos_durable_attach(dup(fd));
        struct pikos_output *out = pikos_output_open(path, NULL);
        pikos_output_write(out, "[\"flushed\"", 10);
        pikos_output_set_ending(out, "]\n", 2);
        pikos_output_flush(out);
        pikos_output_write(out, ",\"buffered\"", 11);
        kill(getpid(), SIGKILL);
        _exit(1);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_file("[\"flushed\"");
    cr_assert_eq(pikos_durable_salvage(command), 13);
    assert_file("[\"flushed\",\"buffered\"]\n");
}
