/* suites.h - one Check suite per module, run by check_main.c */
#ifndef DANELAB_SUITES_H
#define DANELAB_SUITES_H

#include <check.h>

Suite *zone_suite(void);
Suite *pki_suite(void);
Suite *tlsa_suite(void);
Suite *refclient_suite(void);
Suite *endpoint_suite(void);
Suite *report_suite(void);
Suite *initiator_suite(void);
Suite *judge_suite(void);
Suite *target_suite(void);
Suite *scenario_suite(void);
Suite *diff_suite(void);
Suite *plan_suite(void);
Suite *json_suite(void);
Suite *serve_suite(void);
Suite *qlog_suite(void);

#endif
