/*
 * mem.h - allocation that never returns NULL, and small string helpers.
 * Out of memory is fatal (exit 3), so callers stay simple.
 */
#ifndef DANELAB_MEM_H
#define DANELAB_MEM_H

#include <stddef.h>

void *xmalloc(size_t len);
void *xcalloc(size_t n, size_t len);
void *xrealloc(void *ptr, size_t len);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t len);
/* xasprintf - a newly allocated formatted string; caller frees */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable string. */
struct buf {
	char *data;	/* always NUL-terminated once anything was appended */
	size_t len;
	size_t cap;
};

void buf_append(struct buf *b, const char *s, size_t len);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_free(struct buf *b);

#endif
