/*
 * fuzz_scenario.c - libFuzzer harness for the scenario parser: any bytes
 * are parsed, expanded and linted; errors are fine, crashes, leaks,
 * hangs and undefined behaviour are not.  `make fuzz` runs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "scenario.h"

/* chain_ok - accept the chain names the real profile has, by shape */
static const char *
chain_ok(void *arg, const char *chain)
{
	(void)arg;
	return chain[0] == 'x' ? "no such chain" : NULL;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static FILE *devnull;
	struct scn_catalogue cat = { 0 };
	struct scn_hooks hooks = { chain_ok, NULL };

	if (devnull == NULL) {
		/* Errors are expected; keep the fuzzer's output readable. */
		if ((devnull = fopen("/dev/null", "w")) == NULL)
			abort();
		scn_set_errors(devnull);
	}
	scn_parse_text(&cat, "fuzz.scn", (const char *)data, size, &hooks);
	scn_catalogue_check(&cat);
	for (size_t i = 0; i < cat.n; i++)
		for (int p = 0; p < PROTO_COUNT; p++)
			for (int q = 0; q < POLICY_COUNT; q++)
				if (cat.list[i]->protos & (1u << p)
				    && scn_expect_for(cat.list[i], p, q) == NULL)
					abort();	/* lint must have refused it */
	scn_catalogue_free(&cat);
	return 0;
}
