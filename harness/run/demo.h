/*
 * demo.h - the lab's built-in zones, served until scenarios bring their
 * own: children "secure", "insecure" (no DS) and "bogus" (a corrupted
 * RRSIG at www) of the TLD "example.", and N generated children for the
 * benchmark.
 */
#ifndef DANELAB_DEMO_H
#define DANELAB_DEMO_H

#include "zone.h"


/*
 * demo_zones - the built-in tree, unsigned (zone_tree_sign() is the
 * caller's, so it can be timed).  nauth is the lab's authoritative
 * address, nlame an address where nothing answers; extra generated zones
 * are named z1.example. ... zN.example.  NULL after saying why.
 */
struct zone_tree *demo_zones(const char *nauth, const char *nlame, int extra);

#endif
