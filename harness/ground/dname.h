/*
 * dname.h - domain names as text: one comparison and one spelling (no
 * trailing dot) for every module that compares names it did not make
 * (the reference client, the judge).  Pure: no I/O, no allocation.
 */
#ifndef DANELAB_DNAME_H
#define DANELAB_DNAME_H

#include <stddef.h>

/* dname_eq - a and b are the same name: case ignored, and one trailing
 * dot on either; 1 or 0 */
int dname_eq(const char *a, const char *b);

/* dname_copy - src into dst[size] (truncated to fit) without its
 * trailing dot; the root "." stays "." */
void dname_copy(char *dst, size_t size, const char *src);

/* dname_under - name is apex or a name below it (by whole labels, case
 * ignored, one trailing dot on either); 1 or 0 */
int dname_under(const char *name, const char *apex);

#endif
