/* suites.h - one Check suite per module, run by check_main.c */
#ifndef DANELAB_SUITES_H
#define DANELAB_SUITES_H

#include <check.h>

/* Weak, so a branch without a module's tests still links; see Makefile. */
Suite *zone_suite(void) __attribute__((weak));
Suite *endpoint_suite(void) __attribute__((weak));

#endif
