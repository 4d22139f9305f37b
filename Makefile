# danelab - plain make + pkg-config.
#   make            build ./danelab
#   make check      Check unit tests
#   make SAN=1      build with AddressSanitizer + UBSan (use `make clean` first)
#   make deps       install (as root) or name the Debian packages needed
#   make demo       deps, build, run the catalogue against the default targets
#   make bench      benchmarks, printing figures (BENCH="lab ref targets": which;
#                   targets: each real target's CPU and processes per cell
#                   beside the floor, a bare s_client handshake)
#   make stress     verdicts under load: flips against a quiet run
#   make install    PREFIX=/usr/local DESTDIR= (the program, its data, and
#                   the manual pages danelab(1), danelab-scenario(5) in MANDIR)

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/danelab
MANDIR  ?= $(PREFIX)/share/man
PKG_CONFIG ?= pkg-config

PKGS     = openssl ldns libunbound
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN     = -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
CPPFLAGS += -D_GNU_SOURCE -DDANELAB_DATADIR='"$(DATADIR)"'
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

ifeq ($(SAN),1)
CFLAGS  += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

ALL_CFLAGS = $(WARN) $(CFLAGS) $(CPPFLAGS) $(PKG_CFLAGS)

# Every module but main.o, so the unit tests link the same code.
LIB_OBJS = \
	harness/ground/msg.o \
	harness/ground/clock.o \
	harness/ground/mem.o \
	harness/lab/zone.o \
	harness/lab/template.o \
	harness/lab/lab.o \
	harness/lab/qlog.o \
	harness/lab/capture.o \
	harness/lab/resolver.o \
	harness/run/demo.o \
	harness/ground/observe.o \
	harness/run/scenario.o \
	harness/pki/pki.o \
	harness/pki/tlsa.o \
	harness/run/plan.o \
	harness/run/world.o \
	harness/ground/dname.o \
	harness/run/judge.o \
	harness/run/run.o \
	harness/run/queries.o \
	harness/run/serve.o \
	harness/run/observer.o \
	harness/run/connector.o \
	harness/run/driver_ref.o \
	harness/run/driver_adapter.o \
	harness/run/driver_resolver.o \
	harness/wire/hostile.o \
	harness/run/target.o \
	harness/ref/refclient.o \
	harness/ref/ref_dns.o \
	harness/ref/ref_conn.o \
	harness/ref/ref_tls.o \
	harness/ref/ref_host.o \
	harness/ref/ref_smtp.o \
	harness/ref/ref_xmpp.o \
	harness/ref/ref_receive.o \
	harness/ground/netio.o \
	harness/wire/xmpp_wire.o \
	harness/wire/initiator.o \
	harness/wire/endpoint.o \
	harness/wire/smtp.o \
	harness/wire/xmpp.o \
	harness/report/json.o \
	harness/report/report.o \
	harness/report/diff.o \
	harness/report/term.o \
	harness/ground/stop.o \
	harness/ground/workers.o

MAIN_OBJ = harness/main.o

# A suite whose source is not on this branch yet is left out (its
# function is weak in suites.h and the runner skips it).
TEST_OBJS = \
	harness/tests/check_main.o \
	harness/tests/check_zone.o \
	harness/tests/check_pki.o \
	harness/tests/check_tlsa.o \
	harness/tests/check_refclient.o \
	harness/tests/check_endpoint.o \
	harness/tests/check_report.o \
	harness/tests/check_initiator.o \
	harness/tests/check_judge.o \
	harness/tests/check_target.o \
	harness/tests/check_scenario.o \
	harness/tests/check_diff.o \
	harness/tests/check_plan.o \
	harness/tests/check_json.o \
	harness/tests/check_serve.o \
	harness/tests/check_qlog.o

# The layers, lowest first; a file includes only from its own layer and
# the ones before it (harness/README.md, "The module map").
LAYERS   = ground lab pki wire ref report run
INCS     = -Iharness $(LAYERS:%=-Iharness/%)

HEADERS = $(foreach l,$(LAYERS),$(wildcard harness/$(l)/*.h)) harness/tests/suites.h

all: danelab

danelab: $(MAIN_OBJ) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(MAIN_OBJ) $(LIB_OBJS) $(PKG_LIBS)

# A hand driver of the reference client, for use inside a lab.
harness/tests/refprobe: harness/tests/refprobe.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ harness/tests/refprobe.o $(LIB_OBJS) $(PKG_LIBS)

harness/tests/check_danelab: $(TEST_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(TEST_OBJS) $(LIB_OBJS) $(PKG_LIBS) $(CHECK_LIBS)

.SUFFIXES: .c .o
.c.o:
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) $(INCS) -c -o $@ $<

$(MAIN_OBJ) $(LIB_OBJS) $(TEST_OBJS) harness/tests/refprobe.o: $(HEADERS)

check: harness/tests/check_danelab
	DANELAB_DATADIR=$(CURDIR) ./harness/tests/check_danelab

deps:
	sh .ci/deps

demo:
	sh .ci/deps
	$(MAKE) all
	./danelab run

BENCH ?= lab ref targets
bench: danelab
	sh .ci/deps test
	sh harness/bench.sh $(BENCH)

# Postfix: one batch versus one restart per probe (about ten minutes).
bench-postfix: danelab
	sh .ci/deps test
	sh harness/postfix-bench.sh

# Is every verdict independent of load?  The main job quiet, then 3x under
# a CPU hog, then ref 20x: prints every verdict flip (harness/stress.sh).
stress: danelab
	sh .ci/deps
	sh harness/stress.sh

install: danelab
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 755 danelab $(DESTDIR)$(BINDIR)/danelab
	for d in zones certs scenarios reports harness/targets; do \
		find $$d -type f ! -path '*/runs/*' | while read -r f; do \
			install -D -m 644 "$$f" "$(DESTDIR)$(DATADIR)/$$f"; \
		done; \
	done
	install -m 644 man/danelab.1 $(DESTDIR)$(MANDIR)/man1/danelab.1
	install -m 644 man/danelab-scenario.5 $(DESTDIR)$(MANDIR)/man5/danelab-scenario.5

clean:
	rm -f danelab harness/*.o harness/*/*.o harness/tests/*.o harness/tests/check_danelab \
	    harness/fuzz/fuzz_scenario \
	    harness/tests/refprobe

.PHONY: all check deps demo bench bench-postfix stress install clean

# Fuzzing the scenario parser with libFuzzer (clang): `make fuzz`
# runs for FUZZ_SECONDS (default 600) from the seeds in harness/fuzz/corpus.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_SRCS     = harness/ground/msg.c harness/ground/mem.c harness/lab/template.c harness/lab/zone.c \
	harness/ground/observe.c harness/run/scenario.c
harness/fuzz/fuzz_scenario: harness/fuzz/fuzz_scenario.c $(FUZZ_SRCS) $(HEADERS)
	$(FUZZ_CC) $(WARN) -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined $(CPPFLAGS) $(PKG_CFLAGS) $(INCS) \
	    -o $@ harness/fuzz/fuzz_scenario.c $(FUZZ_SRCS) $(PKG_LIBS)

fuzz: harness/fuzz/fuzz_scenario
	mkdir -p harness/fuzz/corpus-run
	./harness/fuzz/fuzz_scenario -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=harness/fuzz/ \
	    harness/fuzz/corpus-run harness/fuzz/corpus

.PHONY: fuzz
