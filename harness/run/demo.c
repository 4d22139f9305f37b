/* demo.c - the lab's built-in zones */
#include <stdio.h>
#include <stdlib.h>

#include "demo.h"
#include "plan.h"
#include "mem.h"
#include "msg.h"
#include "template.h"

/* demo_add - add a record or say why not (a bug in this file) */
static int
demo_add(struct zone *z, const char *rr)
{
	const char *why = zone_add_rr(z, rr);

	if (why)
		msg_warn("built-in zone %s: \"%s\": %s", zone_name(z), rr, why);
	return why ? -1 : 0;
}

struct zone_tree *
demo_zones(const char *nauth, const char *nlame, int extra)
{
	char *keydir = xasprintf("%s/zones/keys", template_datadir());
	struct zone_tree *t;
	struct zone *z;
	int bad = 0;

	t = zone_tree_new(keydir, PLAN_TLD, nauth, nlame,
	    ZONE_INCEPTION_DEFAULT, ZONE_EXPIRATION_DEFAULT);
	free(keydir);
	if (t == NULL)
		return NULL;
	if ((z = zone_tree_add_child(t, "secure", ZONE_SECURE)) == NULL)
		goto fail;
	bad |= demo_add(z, "www A 127.1.0.1");
	bad |= demo_add(z, "@ MX 10 www");
	if ((z = zone_tree_add_child(t, "insecure", ZONE_INSECURE)) == NULL)
		goto fail;
	bad |= demo_add(z, "www A 127.1.0.2");
	if ((z = zone_tree_add_child(t, "bogus", ZONE_SECURE)) == NULL)
		goto fail;
	bad |= demo_add(z, "www A 127.1.0.3");
	if (zone_add_fault(z, "corrupt-rrsig", "www", "A") != NULL)
		bad = 1;
	for (int i = 1; i <= extra; i++) {
		char label[32], rr[128];

		snprintf(label, sizeof(label), "z%d", i);
		if ((z = zone_tree_add_child(t, label, ZONE_SECURE)) == NULL)
			goto fail;
		snprintf(rr, sizeof(rr), "mx A 127.%d.%d.%d", 2 + i / 65536,
		    (i / 256) % 256, i % 256);
		bad |= demo_add(z, rr);
		bad |= demo_add(z, "@ MX 10 mx");
		bad |= demo_add(z, "_25._tcp.mx TLSA 3 1 1 "
		    "0000000000000000000000000000000000000000000000000000000000000000");
	}
	if (bad)
		goto fail;
	return t;
fail:
	return zone_tree_free(t);
}
