/*
 * tests/unit/tmptree.h - throw-away directory trees for tests that need
 * files (manifests, plugin directories).
 */
#ifndef PIKOS_TEST_TMPTREE_H
#define PIKOS_TEST_TMPTREE_H

#include <stddef.h>

/* Creates an empty directory under $TMPDIR (or /tmp); NULL on failure.
   The path is malloc'ed. */
char *tmptree_new(void);

/* Writes `size` bytes of `data` to ROOT/RELPATH, creating the directories
   on the way.  Returns the file's path (malloc'ed), or NULL on failure. */
char *tmptree_write(const char *root, const char *relpath, const char *data,
                    size_t size);

/* tmptree_write of a NUL-terminated text. */
char *tmptree_write_text(const char *root, const char *relpath,
                         const char *text);

/* Removes ROOT and everything in it, and frees the path. */
void tmptree_remove(char *root);

#endif
