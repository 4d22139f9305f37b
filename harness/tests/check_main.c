/*
 * check_main.c - the one runner of danelab's Check unit tests.
 * With no argument every suite runs; otherwise only the suites named.
 * TAP goes to $CK_TAP_LOG_FILE_NAME when set (Check's own TAP log).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"

static const struct {
	const char *name;
	Suite *(*make)(void);
} suites[] = {
	{ "zone", zone_suite },
	{ "pki", pki_suite },
	{ "tlsa", tlsa_suite },
	{ "refclient", refclient_suite },
	{ "endpoint", endpoint_suite },
	{ "report", report_suite },
	{ "initiator", initiator_suite },
	{ "judge", judge_suite },
	{ "target", target_suite },
	{ "scenario", scenario_suite },
	{ "diff", diff_suite },
	{ "plan", plan_suite },
	{ "json", json_suite },
	{ "serve", serve_suite },
	{ "qlog", qlog_suite },
};

int
main(int argc, char **argv)
{
	SRunner *sr = NULL;
	int failed;

	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		int wanted = argc < 2;

		for (int a = 1; a < argc; a++)
			if (strcmp(argv[a], suites[i].name) == 0)
				wanted = 1;
		if (!wanted)
			continue;
		if (sr == NULL)
			sr = srunner_create(suites[i].make());
		else
			srunner_add_suite(sr, suites[i].make());
	}
	if (sr == NULL)
		return 2;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
