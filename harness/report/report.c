/*
 * report.c - the reports of one run.  Every writer renders into a
 * staging directory beside the run directory; only when all have
 * succeeded is it renamed into place (and "latest" pointed at it), so a
 * run directory never holds a report that is half-written, from a failed
 * write or from an interrupted run.  results.json is read back by
 * "danelab report merge".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "capture.h"
#include "json.h"
#include "mem.h"
#include "msg.h"
#include "report.h"
#include "stop.h"
#include "template.h"

#define REPORT_SCHEMA		"danelab-results"
#define REPORT_VERSION		2	/* 2: details in files of their own */
#define REPORT_CELLS		"cells"	/* the directory of the cells' details */
#define REPORT_MD_MAX_ROWS	500	/* non-passing cells listed in summary.md */

/* REPORT_PUTS - append a string literal to a buf */
#define REPORT_PUTS(b, lit)	buf_append((b), (lit), sizeof(lit) - 1)
#define REPORT_MD_ROW(b, ...)	report_md_row((b), (const char *[]){ __VA_ARGS__ }, \
	sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(const char *))

static const char *const verdict_names[VERDICT_COUNT] = {
	"pass", "fail", "xfail", "xpass", "skip", "error"
};

/* What every writer gets. */
struct report_ctx {
	const struct report_meta *meta;
	const struct report_cell *cells;
	size_t n;
	size_t counts[VERDICT_COUNT];
	size_t not_preferred;	/* passes, not preferred (report_not_preferred) */
	const char **targets;	/* the columns: distinct labels (label), in
				 * order of first appearance */
	const char **col_target;	/* per column: its target */
	const char **col_resolver;	/* per column: its validator ("" unknown) */
	size_t ntargets;
	char **label;		/* per cell: its column, the target, or
				 * "TARGET@RESOLVER" when the cells ran behind
				 * more than one validator (report_columns) */
	char **detail_files;	/* per cell: its detail's file under the report
				 * directory, "cells/T/S-P-Q.txt", or "" for none */
};

/* One report writer: its file name and the function that writes it. */
struct report_writer {
	const char *file;
	int (*write)(const struct report_ctx *ctx, const char *path);
};

static int report_write_cells(const struct report_ctx *, const char *);
static int report_write_tap(const struct report_ctx *, const char *);
static int report_write_junit(const struct report_ctx *, const char *);
static int report_write_json(const struct report_ctx *, const char *);
static int report_write_md(const struct report_ctx *, const char *);
static int report_write_html(const struct report_ctx *, const char *);
static int report_write_pcap(const struct report_ctx *, const char *);

static const struct report_writer report_writers[] = {
	{ REPORT_CELLS, report_write_cells },	/* a directory */
	{ "results.tap", report_write_tap },
	{ "junit.xml", report_write_junit },
	{ "results.json", report_write_json },
	{ "summary.md", report_write_md },
	{ "index.html", report_write_html },
	{ "capture.pcap", report_write_pcap },	/* only with a capture */
};
#define REPORT_NWRITERS (sizeof(report_writers) / sizeof(report_writers[0]))

const char *
verdict_name(enum verdict v)
{
	return (unsigned)v < VERDICT_COUNT ? verdict_names[v] : "?";
}

int
verdict_parse(const char *s)
{
	for (int v = 0; v < VERDICT_COUNT; v++)
		if (s && strcmp(s, verdict_names[v]) == 0)
			return v;
	return -1;
}

void
report_count(const struct report_cell *cells, size_t n,
    size_t counts[VERDICT_COUNT])
{
	memset(counts, 0, VERDICT_COUNT * sizeof(counts[0]));
	for (size_t i = 0; i < n; i++)
		if ((unsigned)cells[i].verdict < VERDICT_COUNT)
			counts[cells[i].verdict]++;
}

size_t
report_not_preferred(const struct report_cell *cells, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += cells[i].verdict == VERDICT_PASS && cells[i].not_preferred;
	return k;
}

int
report_exit_status(const struct report_cell *cells, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cells[i].verdict != VERDICT_PASS
		    && cells[i].verdict != VERDICT_XFAIL
		    && cells[i].verdict != VERDICT_SKIP)
			return EXIT_FAILED;
	return EXIT_PASS;
}

/* verdict_not_ok - does this verdict make a run fail? */
static int
verdict_not_ok(enum verdict v)
{
	return v == VERDICT_FAIL || v == VERDICT_XPASS || v == VERDICT_ERROR;
}

/* How report_text() renders a string. */
enum report_text_mode {
	TEXT_XML,		/* XML character data */
	TEXT_XML_ATTR,		/* XML attribute value in double quotes */
	TEXT_LINE,		/* one line of plain text */
	TEXT_TAP,		/* a TAP description: one line, # escaped */
	TEXT_MD			/* a Markdown table cell */
};

/*
 * report_text - append s (NULL is "") to b for the given mode: always
 * valid UTF-8 (bad bytes become U+FFFD), without characters XML 1.0
 * forbids, escaped as the mode wants.
 */
static void
report_text(struct buf *b, const char *s, enum report_text_mode mode)
{
	size_t len = s ? strlen(s) : 0, i = 0, k;
	int oneline = mode == TEXT_LINE || mode == TEXT_TAP || mode == TEXT_MD;
	uint32_t cp;

	while (i < len) {
		const char *rep = NULL;

		if ((k = json_utf8_next(s + i, len - i, &cp)) == 0) {
			cp = 0xfffd;
			k = 1;
		}
		i += k;
		if (oneline && (cp == '\n' || cp == '\r' || cp == '\t'))
			cp = ' ';
		if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r')
		    || cp == 0x7f || cp == 0xfffe || cp == 0xffff)
			continue;
		switch (cp) {
		case '&':
			if (mode == TEXT_XML || mode == TEXT_XML_ATTR
			    || mode == TEXT_MD)
				rep = "&amp;";
			break;
		case '<':
			if (mode == TEXT_XML || mode == TEXT_XML_ATTR
			    || mode == TEXT_MD)
				rep = "&lt;";
			break;
		case '>':
			if (mode == TEXT_XML || mode == TEXT_XML_ATTR
			    || mode == TEXT_MD)
				rep = "&gt;";
			break;
		case '"':
			if (mode == TEXT_XML_ATTR)
				rep = "&quot;";
			break;
		case '\n':
			if (mode == TEXT_XML_ATTR)
				rep = "&#10;";
			break;
		case '\r':
			if (mode == TEXT_XML || mode == TEXT_XML_ATTR)
				rep = "&#13;";
			break;
		case '\t':
			if (mode == TEXT_XML_ATTR)
				rep = "&#9;";
			break;
		case '#':
			if (mode == TEXT_TAP)
				rep = "\\#";
			break;
		case '\\':
			if (mode == TEXT_TAP || mode == TEXT_MD)
				rep = "\\\\";
			break;
		case '|':
			if (mode == TEXT_MD)
				rep = "\\|";
			break;
		case '`': case '*': case '_': case '[': case ']':
			if (mode == TEXT_MD) {
				REPORT_PUTS(b, "\\");
				buf_append(b, s + i - k, k);
				continue;
			}
			break;
		}
		if (rep)
			buf_append(b, rep, strlen(rep));
		else if (cp == 0xfffd && k == 1)
			REPORT_PUTS(b, "\xef\xbf\xbd");
		else if (cp == ' ' && s[i - k] != ' ')
			REPORT_PUTS(b, " ");
		else
			buf_append(b, s + i - k, k);
	}
}

/* report_cell_resolver - the validator a cell ran behind, "" when unknown */
static const char *
report_cell_resolver(const struct report_cell *c)
{
	return c->resolver ? c->resolver : "";
}

/* report_cell_name - "label/scenario proto policy" as one plain line, label
 * the cell's column (its target, or TARGET@RESOLVER) */
static void
report_cell_name(struct buf *b, const char *label, const struct report_cell *c,
    enum report_text_mode mode)
{
	report_text(b, label, mode);
	REPORT_PUTS(b, "/");
	report_text(b, c->scenario, mode);
	REPORT_PUTS(b, " ");
	report_text(b, c->proto, mode);
	REPORT_PUTS(b, " ");
	report_text(b, c->policy, mode);
}

/*
 * report_file - a finished buffer into a new file of the stage; frees
 * it.  One open, write and close: the stage is private, and moves into
 * place whole (report_replace), so no file needs a rename of its own.
 */
static int
report_file(const char *path, struct buf *b)
{
	size_t off = 0;
	int fd, ret = -1;

	if (b->data == NULL)
		REPORT_PUTS(b, "");
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644))
	    < 0) {
		msg_warn("cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	while (off < b->len) {
		ssize_t w = write(fd, b->data + off, b->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			msg_warn("cannot write %s: %s", path, w < 0
			    ? strerror(errno) : "short write");
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) != 0 && off == b->len) {
		msg_warn("cannot write %s: %s", path, strerror(errno));
		off = 0;
	}
	ret = off == b->len ? 0 : -1;
out:
	buf_free(b);
	return ret;
}

/* report_safe_name - may s name a file as it is: a letter or digit,
 * then letters, digits, ".", "_", "+", "-", "@" (TARGET@RESOLVER); at
 * most 120 bytes */
static int
report_safe_name(const char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-@";
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n <= 120 && strchr(ok, s[0]) && s[0] != '.'
	    && s[0] != '_' && s[0] != '+' && s[0] != '-'
	    && s[0] != '@'
	    && strspn(s, ok) == n;
}

/* report_path_cmp - order pointers to detail paths by their text */
static int
report_path_cmp(const void *a, const void *b)
{
	return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

/*
 * report_detail_files - name each cell's detail file (ctx->detail_files,
 * "" for a cell without detail): cells/TARGET/SCENARIO-PROTO-POLICY.txt,
 * or, where a name is not safe as a file name or two cells would share
 * a file, _target-K for the target's folder and _cell-I.txt for the
 * file (a safe name never starts with "_", so these never collide).
 */
static void
report_detail_files(struct report_ctx *ctx)
{
	char ***order = xcalloc(ctx->n + 1, sizeof(*order));
	size_t k = 0;

	ctx->detail_files = xcalloc(ctx->n + 1, sizeof(char *));
	for (size_t i = 0; i < ctx->n; i++) {
		const struct report_cell *c = &ctx->cells[i];
		char *dir;
		size_t t;

		if (c->detail == NULL || *c->detail == 0) {
			ctx->detail_files[i] = xstrdup("");
			continue;
		}
		for (t = 0; strcmp(ctx->targets[t], ctx->label[i]) != 0; t++)
			;
		dir = report_safe_name(ctx->label[i]) ? xstrdup(ctx->label[i])
		    : xasprintf("_target-%zu", t + 1);
		if (report_safe_name(c->scenario) && report_safe_name(c->proto)
		    && report_safe_name(c->policy))
			ctx->detail_files[i] = xasprintf(REPORT_CELLS
			    "/%s/%s-%s-%s.txt", dir, c->scenario, c->proto,
			    c->policy);
		else
			ctx->detail_files[i] = xasprintf(REPORT_CELLS
			    "/%s/_cell-%zu.txt", dir, i + 1);
		order[k++] = &ctx->detail_files[i];
		free(dir);
	}
	/* "a-b" + "-c" and "a" + "-b-c": the later one gets a number. */
	qsort(order, k, sizeof(*order), report_path_cmp);
	for (size_t j = 1; j < k; j++)
		if (strcmp(*order[j - 1], *order[j]) == 0) {
			size_t i = order[j] - ctx->detail_files;
			char *slash = strrchr(*order[j], '/');

			*slash = 0;
			slash = xasprintf("%s/_cell-%zu.txt", *order[j], i + 1);
			free(*order[j]);
			*order[j] = slash;
		}
	free(order);
}

/* report_utf8 - append s to b with each invalid UTF-8 byte as U+FFFD */
static void
report_utf8(struct buf *b, const char *s)
{
	size_t len = strlen(s), i = 0, k;
	uint32_t cp;

	while (i < len) {
		if ((k = json_utf8_next(s + i, len - i, &cp)) == 0) {
			REPORT_PUTS(b, "\xef\xbf\xbd");
			i++;
			continue;
		}
		buf_append(b, s + i, k);
		i += k;
	}
}

/* report_write_cells - the cells' details, a file each, in the
 * directory path (ctx->detail_files names them) */
static int
report_write_cells(const struct report_ctx *ctx, const char *path)
{
	char *made = NULL;
	int ret = 0;

	if (mkdir(path, 0755) != 0) {
		msg_warn("cannot make directory %s: %s", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < ctx->n && ret == 0; i++) {
		const char *rel = ctx->detail_files[i];
		char *file, *slash;
		struct buf b = { 0 };

		if (*rel == 0)
			continue;
		file = xasprintf("%s/%s", path, rel + sizeof(REPORT_CELLS));
		slash = strrchr(file, '/');
		*slash = 0;
		if (made == NULL || strcmp(made, file) != 0) {
			if (mkdir(file, 0755) != 0 && errno != EEXIST) {
				msg_warn("cannot make directory %s: %s", file,
				    strerror(errno));
				ret = -1;
			}
			free(made);
			made = xstrdup(file);
		}
		*slash = '/';
		report_utf8(&b, ctx->cells[i].detail);
		if (ret == 0)
			ret = report_file(file, &b);
		else
			buf_free(&b);
		free(file);
	}
	free(made);
	return ret;
}

/* report_write_tap - results.tap: TAP version 13, one line per cell */
static int
report_write_tap(const struct report_ctx *ctx, const char *path)
{
	struct buf b = { 0 };

	buf_printf(&b, "TAP version 13\n1..%zu\n", ctx->n);
	for (size_t i = 0; i < ctx->n; i++) {
		const struct report_cell *c = &ctx->cells[i];

		/* An xfail is a failing TODO test: TAP counts it as passing. */
		buf_printf(&b, "%s %zu - ", verdict_not_ok(c->verdict)
		    || c->verdict == VERDICT_XFAIL ? "not ok" : "ok", i + 1);
		report_cell_name(&b, ctx->label[i], c, TEXT_TAP);
		if (c->verdict == VERDICT_SKIP || c->verdict == VERDICT_XFAIL) {
			buf_printf(&b, " # %s ", c->verdict == VERDICT_SKIP ?
			    "SKIP" : "TODO");
			report_text(&b, c->reason, TEXT_TAP);
		}
		REPORT_PUTS(&b, "\n");
		if (!verdict_not_ok(c->verdict) && !c->not_preferred)
			continue;
		/* A YAML block; JSON strings are YAML double-quoted scalars. */
		buf_printf(&b, "  ---\n  verdict: %s%s\n", verdict_name(c->verdict),
		    c->not_preferred ? ", not preferred" : "");
		if (c->not_preferred) {
			REPORT_PUTS(&b, "  preferred: ");
			json_string(&b, c->preferred, 0);
			REPORT_PUTS(&b, "\n");
		}
		REPORT_PUTS(&b, "  expected: ");
		json_string(&b, c->expected, 0);
		REPORT_PUTS(&b, "\n  observed: ");
		json_string(&b, c->observed, 0);
		REPORT_PUTS(&b, "\n  reason: ");
		json_string(&b, c->reason, 0);
		REPORT_PUTS(&b, "\n  cite: ");
		json_string(&b, c->cite, 0);
		REPORT_PUTS(&b, "\n  file: ");
		json_string(&b, c->file, 0);
		REPORT_PUTS(&b, "\n  ...\n");
	}
	return report_file(path, &b);
}

/* report_seconds - a duration as XML wants it: never negative or NaN */
static double
report_seconds(double s)
{
	return isfinite(s) && s > 0 ? s : 0;
}

/* report_write_junit - junit.xml: one testsuite per target */
static int
report_write_junit(const struct report_ctx *ctx, const char *path)
{
	struct buf b = { 0 };
	double total = 0;

	for (size_t i = 0; i < ctx->n; i++)
		total += report_seconds(ctx->cells[i].seconds);
	REPORT_PUTS(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	REPORT_PUTS(&b, "<testsuites name=\"danelab ");
	report_text(&b, ctx->meta->run_id, TEXT_XML_ATTR);
	buf_printf(&b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
	    "skipped=\"%zu\" time=\"%.3f\">\n", ctx->n,
	    ctx->counts[VERDICT_FAIL] + ctx->counts[VERDICT_XPASS],
	    ctx->counts[VERDICT_ERROR],
	    ctx->counts[VERDICT_SKIP] + ctx->counts[VERDICT_XFAIL], total);
	for (size_t t = 0; t < ctx->ntargets; t++) {
		size_t counts[VERDICT_COUNT] = { 0 }, tests = 0;
		double secs = 0;

		for (size_t i = 0; i < ctx->n; i++)
			if (strcmp(ctx->label[i], ctx->targets[t]) == 0) {
				counts[ctx->cells[i].verdict]++;
				secs += report_seconds(ctx->cells[i].seconds);
				tests++;
			}
		REPORT_PUTS(&b, "  <testsuite name=\"");
		report_text(&b, ctx->targets[t], TEXT_XML_ATTR);
		buf_printf(&b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		    "skipped=\"%zu\" time=\"%.3f\">\n", tests,
		    counts[VERDICT_FAIL] + counts[VERDICT_XPASS],
		    counts[VERDICT_ERROR],
		    counts[VERDICT_SKIP] + counts[VERDICT_XFAIL], secs);
		REPORT_PUTS(&b, "    <properties>\n");
		REPORT_PUTS(&b, "      <property name=\"run\" value=\"");
		report_text(&b, ctx->meta->run_id, TEXT_XML_ATTR);
		REPORT_PUTS(&b, "\"/>\n      <property name=\"started\" value=\"");
		report_text(&b, ctx->meta->started, TEXT_XML_ATTR);
		REPORT_PUTS(&b, "\"/>\n      <property name=\"command\" value=\"");
		report_text(&b, ctx->meta->command, TEXT_XML_ATTR);
		REPORT_PUTS(&b, "\"/>\n    </properties>\n");
		for (size_t i = 0; i < ctx->n; i++) {
			const struct report_cell *c = &ctx->cells[i];

			if (strcmp(ctx->label[i], ctx->targets[t]) != 0)
				continue;
			REPORT_PUTS(&b, "    <testcase classname=\"");
			report_text(&b, ctx->label[i], TEXT_XML_ATTR);
			REPORT_PUTS(&b, ".");
			report_text(&b, c->area, TEXT_XML_ATTR);
			REPORT_PUTS(&b, "\" name=\"");
			report_text(&b, c->scenario, TEXT_XML_ATTR);
			REPORT_PUTS(&b, " ");
			report_text(&b, c->proto, TEXT_XML_ATTR);
			REPORT_PUTS(&b, " ");
			report_text(&b, c->policy, TEXT_XML_ATTR);
			buf_printf(&b, "\" time=\"%.3f\"", report_seconds(c->seconds));
			switch (c->verdict) {
			case VERDICT_FAIL:
			case VERDICT_XPASS:
				REPORT_PUTS(&b, ">\n      <failure message=\"expected ");
				report_text(&b, c->expected, TEXT_XML_ATTR);
				REPORT_PUTS(&b, ", observed ");
				report_text(&b, c->observed, TEXT_XML_ATTR);
				buf_printf(&b, "\" type=\"%s\">",
				    verdict_name(c->verdict));
				report_text(&b, c->reason, TEXT_XML);
				REPORT_PUTS(&b, "\n");
				report_text(&b, c->detail, TEXT_XML);
				REPORT_PUTS(&b, "</failure>\n    </testcase>\n");
				break;
			case VERDICT_ERROR:
				REPORT_PUTS(&b, ">\n      <error message=\"");
				report_text(&b, c->reason, TEXT_XML_ATTR);
				REPORT_PUTS(&b, "\" type=\"error\">");
				report_text(&b, c->detail, TEXT_XML);
				REPORT_PUTS(&b, "</error>\n    </testcase>\n");
				break;
			case VERDICT_SKIP:
			case VERDICT_XFAIL:
				REPORT_PUTS(&b, ">\n      <skipped message=\"");
				if (c->verdict == VERDICT_XFAIL)
					REPORT_PUTS(&b, "xfail: ");
				report_text(&b, c->reason, TEXT_XML_ATTR);
				REPORT_PUTS(&b, "\"/>\n    </testcase>\n");
				break;
			default:
				REPORT_PUTS(&b, "/>\n");
			}
		}
		REPORT_PUTS(&b, "  </testsuite>\n");
	}
	REPORT_PUTS(&b, "</testsuites>\n");
	return report_file(path, &b);
}

/* report_json_run - the "run" object of results.json into b */
static void
report_json_run(struct buf *b, const struct report_meta *m, int flags)
{
	REPORT_PUTS(b, "{\"id\": ");
	json_string(b, m->run_id, flags);
	REPORT_PUTS(b, ", \"started\": ");
	json_string(b, m->started, flags);
	REPORT_PUTS(b, ", \"seconds\": ");
	json_number(b, m->seconds);
	REPORT_PUTS(b, ", \"command\": ");
	json_string(b, m->command, flags);
	REPORT_PUTS(b, ", \"targets\": ");
	json_string(b, m->targets, flags);
	REPORT_PUTS(b, ", \"tls\": ");
	if (m->tls)
		json_string(b, m->tls, flags);
	else
		REPORT_PUTS(b, "null");
	REPORT_PUTS(b, ", \"resolver\": ");
	if (m->resolver)
		json_string(b, m->resolver, flags);
	else
		REPORT_PUTS(b, "null");
	REPORT_PUTS(b, ", \"shard\": ");
	if (m->shard)
		json_string(b, m->shard, flags);
	else
		REPORT_PUTS(b, "null");
	REPORT_PUTS(b, ", \"pcap\": ");
	if (m->pcap)
		json_string(b, CAPTURE_FILE, flags);
	else
		REPORT_PUTS(b, "null");
	REPORT_PUTS(b, "}");
}

/* report_json_totals - the "totals" object of results.json into b */
static void
report_json_totals(struct buf *b, const struct report_ctx *ctx)
{
	REPORT_PUTS(b, "{");
	for (int v = 0; v < VERDICT_COUNT; v++)
		buf_printf(b, "%s\"%s\": %zu", v ? ", " : "", verdict_names[v],
		    ctx->counts[v]);
	buf_printf(b, ", \"not_preferred\": %zu}", ctx->not_preferred);
}

/* report_json_queries - a cell's "queries" and "queries_note" members
 * into b (null when its queries were not read) */
static void
report_json_queries(struct buf *b, const struct report_cell *c)
{
	if (!c->queries_seen) {
		REPORT_PUTS(b, ", \"queries\": null, \"queries_note\": ");
		if (c->queries_note)
			json_string(b, c->queries_note, 0);
		else
			REPORT_PUTS(b, "null");
		return;
	}
	REPORT_PUTS(b, ", \"queries\": [");
	for (size_t q = 0; q < c->nqueries; q++) {
		const struct report_query *x = &c->queries[q];

		buf_printf(b, "%s{\"name\": ", q ? ", " : "");
		json_string(b, x->name, 0);
		REPORT_PUTS(b, ", \"type\": ");
		json_string(b, x->type, 0);
		buf_printf(b, ", \"do\": %s, \"rcode\": ", x->dnssec_ok < 0
		    ? "null" : x->dnssec_ok ? "true" : "false");
		json_string(b, x->rcode, 0);
		REPORT_PUTS(b, ", \"state\": ");
		json_string(b, x->state, 0);
		REPORT_PUTS(b, "}");
	}
	REPORT_PUTS(b, "], \"queries_note\": ");
	json_string(b, c->queries_note ? c->queries_note : "", 0);
	if (c->window_to > 0)
		buf_printf(b, ", \"window\": [%.3f, %.3f]", c->window_from,
		    c->window_to);
}

/* report_json - the whole results object into b */
static void
report_json(struct buf *b, const struct report_ctx *ctx)
{
	buf_printf(b, "{\n\"schema\": \"%s\",\n\"version\": %d,\n\"run\": ",
	    REPORT_SCHEMA, REPORT_VERSION);
	report_json_run(b, ctx->meta, 0);
	REPORT_PUTS(b, ",\n\"cells\": [");
	for (size_t i = 0; i < ctx->n; i++) {
		const struct report_cell *c = &ctx->cells[i];
		const struct {
			const char *key;
			const char *value;
		} f[] = {
			{ "scenario", c->scenario }, { "area", c->area },
			{ "file", c->file }, { "summary", c->summary },
			{ "refs", c->refs }, { "target", c->target },
			{ "resolver", report_cell_resolver(c) },
			{ "proto", c->proto }, { "policy", c->policy },
			{ "expected", c->expected }, { "cite", c->cite },
			{ "preferred", c->preferred },
			{ "observed", c->observed },
			{ "verdict", verdict_name(c->verdict) },
			{ "reason", c->reason },
			{ "detail_file", ctx->detail_files[i] },
		};

		buf_append(b, i ? ",\n{" : "\n{", i ? 3 : 2);
		for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
			buf_printf(b, "%s\"%s\": ", k ? ", " : "", f[k].key);
			json_string(b, f[k].value, 0);
		}
		REPORT_PUTS(b, ", \"seconds\": ");
		json_number(b, c->seconds);
		buf_printf(b, ", \"not_preferred\": %s",
		    c->not_preferred ? "true" : "false");
		report_json_queries(b, c);
		REPORT_PUTS(b, "}");
	}
	REPORT_PUTS(b, "\n],\n\"totals\": ");
	report_json_totals(b, ctx);
	REPORT_PUTS(b, "\n}\n");
}

/* report_write_json - results.json, schema in reports/README.md */
static int
report_write_json(const struct report_ctx *ctx, const char *path)
{
	struct buf b = { 0 };

	report_json(&b, ctx);
	return report_file(path, &b);
}

/* report_write_pcap - capture.pcap: a copy of the run's capture, when
 * there is one (else no file) */
static int
report_write_pcap(const struct report_ctx *ctx, const char *path)
{
	char chunk[65536];
	int in, out, ret = 0;
	ssize_t n;

	if (ctx->meta->pcap == NULL)
		return 0;
	if ((in = open(ctx->meta->pcap, O_RDONLY | O_CLOEXEC)) < 0) {
		msg_warn("%s: %s", ctx->meta->pcap, strerror(errno));
		return -1;
	}
	if ((out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0) {
		msg_warn("cannot write %s: %s", path, strerror(errno));
		close(in);
		return -1;
	}
	while (ret == 0 && (n = read(in, chunk, sizeof(chunk))) != 0)
		if (n < 0 || write(out, chunk, (size_t)n) != n) {
			msg_warn("cannot copy %s to %s: %s", ctx->meta->pcap,
			    path, strerror(errno));
			ret = -1;
		}
	if (close(out) != 0 && ret == 0) {
		msg_warn("cannot write %s: %s", path, strerror(errno));
		ret = -1;
	}
	close(in);
	return ret;
}

/* report_same_scenario - order two cells by what index.html shares
 * between them: scenario, area, file, summary, refs (0: shared) */
static int
report_same_scenario(const struct report_cell *x, const struct report_cell *y)
{
	const char *const fx[] = { x->scenario, x->area, x->file, x->summary,
	    x->refs };
	const char *const fy[] = { y->scenario, y->area, y->file, y->summary,
	    y->refs };
	int d;

	for (size_t k = 0; k < sizeof(fx) / sizeof(fx[0]); k++)
		if ((d = strcmp(fx[k] ? fx[k] : "", fy[k] ? fy[k] : "")) != 0)
			return d;
	return 0;
}

/* report_scenario_cmp - report_same_scenario for qsort, then by place */
static int
report_scenario_cmp(const void *a, const void *b)
{
	const struct report_cell *x = *(const struct report_cell *const *)a;
	const struct report_cell *y = *(const struct report_cell *const *)b;
	int d = report_same_scenario(x, y);

	return d ? d : x < y ? -1 : x > y;
}

/*
 * report_html_scenarios - the scenarios of index.html's data into b, a
 * JSON array of [scenario, area, file, summary, refs], each once; sidx[i]
 * gets cell i's index into it
 */
static void
report_html_scenarios(struct buf *b, const struct report_ctx *ctx,
    size_t *sidx)
{
	const struct report_cell **by = xcalloc(ctx->n + 1, sizeof(*by));
	size_t ns = 0;

	for (size_t i = 0; i < ctx->n; i++)
		by[i] = &ctx->cells[i];
	qsort(by, ctx->n, sizeof(*by), report_scenario_cmp);
	REPORT_PUTS(b, "[");
	for (size_t j = 0; j < ctx->n; j++) {
		const struct report_cell *c = by[j];
		const char *const f[] = { c->scenario, c->area, c->file,
		    c->summary, c->refs };

		if (j == 0 || report_same_scenario(by[j - 1], c) != 0) {
			buf_printf(b, "%s[", ns++ ? ",\n" : "\n");
			for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
				if (k)
					REPORT_PUTS(b, ",");
				json_string(b, f[k], JSON_HTML);
			}
			REPORT_PUTS(b, "]");
		}
		sidx[c - ctx->cells] = ns - 1;
	}
	REPORT_PUTS(b, "]");
	free(by);
}

/*
 * report_html_data - the run for index.html, compact (results.json's
 * cells repeat each scenario's fields for every target and name every
 * field): {"run", "totals", "scenarios": [[scenario, area, file, summary,
 * refs]], "cells": [[scenario index, target, proto, policy, expected,
 * cite, preferred, observed, verdict, reason, seconds, not_preferred (0
 * or 1), detail_file, resolver]]}, safe inside a <script> element
 */
static void
report_html_data(struct buf *b, const struct report_ctx *ctx)
{
	size_t *sidx = xcalloc(ctx->n + 1, sizeof(size_t));

	REPORT_PUTS(b, "{\"run\": ");
	report_json_run(b, ctx->meta, JSON_HTML);
	REPORT_PUTS(b, ",\n\"totals\": ");
	report_json_totals(b, ctx);
	REPORT_PUTS(b, ",\n\"scenarios\": ");
	report_html_scenarios(b, ctx, sidx);
	REPORT_PUTS(b, ",\n\"cells\": [");
	for (size_t i = 0; i < ctx->n; i++) {
		const struct report_cell *c = &ctx->cells[i];
		const char *const f[] = { c->target, c->proto, c->policy,
		    c->expected, c->cite, c->preferred, c->observed,
		    verdict_name(c->verdict), c->reason };

		buf_printf(b, "%s[%zu", i ? ",\n" : "\n", sidx[i]);
		for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
			REPORT_PUTS(b, ",");
			json_string(b, f[k], JSON_HTML);
		}
		buf_printf(b, ",%.3f,%d,", report_seconds(c->seconds),
		    c->not_preferred != 0);
		json_string(b, ctx->detail_files[i], JSON_HTML);
		REPORT_PUTS(b, ",");
		json_string(b, report_cell_resolver(c), JSON_HTML);
		REPORT_PUTS(b, "]");
	}
	REPORT_PUTS(b, "]}");
	free(sidx);
}

/* report_md_row - the rest of a Markdown table row, "| a | b |\n", of
 * n fields (NULL: empty); REPORT_MD_ROW(b, a, b, ...) counts them */
static void
report_md_row(struct buf *b, const char *const *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		REPORT_PUTS(b, "| ");
		report_text(b, fields[i], TEXT_MD);
		REPORT_PUTS(b, " ");
	}
	REPORT_PUTS(b, "|\n");
}

void
report_md_text(struct buf *b, const char *s)
{
	report_text(b, s, TEXT_MD);
}

/* A cell and its index, for grouping by scenario, proto and policy. */
struct report_member {
	const struct report_cell *cell;
	size_t i;
};

/* report_group_cmp - order by scenario, proto, policy: 0 in one group */
static int
report_group_cmp(const struct report_member *x, const struct report_member *y)
{
	int d;

	if ((d = strcmp(x->cell->scenario, y->cell->scenario)) != 0
	    || (d = strcmp(x->cell->proto, y->cell->proto)) != 0)
		return d;
	return strcmp(x->cell->policy, y->cell->policy);
}

/* report_member_cmp - report_group_cmp for qsort, then by index */
static int
report_member_cmp(const void *a, const void *b)
{
	const struct report_member *x = a, *y = b;
	int d = report_group_cmp(x, y);

	if (d != 0)
		return d;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* report_disagreement_cmp - order groups by their first cell */
static int
report_disagreement_cmp(const void *a, const void *b)
{
	const struct report_disagreement *x = a, *y = b;

	return x->cells[0] < y->cells[0] ? -1 : x->cells[0] > y->cells[0];
}

/* report_counts - does this cell's outcome count in the interop view? */
static int
report_counts(const struct report_cell *c)
{
	return c->verdict != VERDICT_SKIP && c->verdict != VERDICT_ERROR;
}

size_t
report_disagree(const struct report_cell *cells, size_t n,
    struct report_disagreement **out)
{
	struct report_member *m = xcalloc(n + 1, sizeof(*m));
	struct report_disagreement *d = NULL;
	size_t nd = 0;

	for (size_t i = 0; i < n; i++) {
		m[i].cell = &cells[i];
		m[i].i = i;
	}
	qsort(m, n, sizeof(*m), report_member_cmp);
	for (size_t g = 0, e; g < n; g = e) {
		const char *seen = NULL;
		int differ = 0;

		for (e = g; e < n && report_group_cmp(&m[e], &m[g]) == 0; e++) {
			const char *o = m[e].cell->observed;

			if (o == NULL)
				o = "";
			if (!report_counts(m[e].cell))
				continue;
			if (seen && strcmp(seen, o) != 0)
				differ = 1;
			seen = o;
		}
		if (!differ)
			continue;
		d = xrealloc(d, (nd + 1) * sizeof(*d));
		d[nd].n = e - g;
		d[nd].cells = xcalloc(e - g, sizeof(size_t));
		for (size_t k = g; k < e; k++)
			d[nd].cells[k - g] = m[k].i;
		nd++;
	}
	free(m);
	if (nd)
		qsort(d, nd, sizeof(*d), report_disagreement_cmp);
	*out = d;
	return nd;
}

struct report_disagreement *
report_disagree_free(struct report_disagreement *d, size_t n)
{
	for (size_t i = 0; d && i < n; i++)
		free(d[i].cells);
	free(d);
	return NULL;
}

/* report_md_outcome - one target's cell of a disagreeing group in
 * summary.md: observed (with the verdict unless pass), or the verdict
 * of a skip or error in italics; c may be NULL (no such cell) */
static void
report_md_outcome(struct buf *b, const struct report_cell *c)
{
	if (c == NULL)
		REPORT_PUTS(b, "\xe2\x80\x93");	/* en dash */
	else if (!report_counts(c))
		buf_printf(b, "*%s*", verdict_name(c->verdict));
	else {
		if (c->observed && *c->observed)
			report_text(b, c->observed, TEXT_MD);
		else
			REPORT_PUTS(b, "no outcome");
		if (c->verdict != VERDICT_PASS)
			buf_printf(b, " (%s%s%s)", verdict_not_ok(c->verdict)
			    ? "**" : "", verdict_name(c->verdict),
			    verdict_not_ok(c->verdict) ? "**" : "");
	}
}

/* report_target_tls - target's TLS library family from the run's "tls"
 * lines ("NAME: FAMILY"), or "" when the run names none; borrowed from a
 * per-call buffer of REPORT_TLS_MAX bytes */
#define REPORT_TLS_MAX	64
static const char *
report_target_tls(const struct report_meta *m, const char *target)
{
	static _Thread_local char fam[REPORT_TLS_MAX];
	size_t len = strlen(target);
	const char *p = m->tls;

	while (p && *p) {
		size_t line = strcspn(p, "\n");

		if (line > len + 2 && strncmp(p, target, len) == 0
		    && p[len] == ':' && p[len + 1] == ' ') {
			snprintf(fam, sizeof(fam), "%.*s",
			    (int)(line - len - 2), p + len + 2);
			return fam;
		}
		p += line + (p[line] != 0);
	}
	return "";
}

/*
 * report_tls_order - the indices of ctx->targets grouped by TLS library
 * family (report_target_tls): the families in order of first
 * appearance, each family's targets in their own order, the targets of
 * no known family last; caller frees
 */
static size_t *
report_tls_order(const struct report_ctx *ctx)
{
	size_t *order = xcalloc(ctx->ntargets + 1, sizeof(*order));
	char *done = xcalloc(ctx->ntargets + 1, 1);
	size_t k = 0;

	for (size_t t = 0; t < ctx->ntargets; t++) {
		char fam[REPORT_TLS_MAX];

		if (done[t])
			continue;
		snprintf(fam, sizeof(fam), "%s",
		    report_target_tls(ctx->meta, ctx->col_target[t]));
		for (size_t u = t; u < ctx->ntargets; u++)
			if (!done[u] && (*fam != 0 || u == t) && strcmp(fam,
			    report_target_tls(ctx->meta, ctx->col_target[u])) == 0
			    && strcmp(ctx->col_resolver[t],
			    ctx->col_resolver[u]) == 0) {
				done[u] = 1;
				order[k++] = u;
			}
	}
	free(done);
	return order;
}

/* report_md_disagree - summary.md's "Where the targets disagree": per
 * scenario, protocol and policy, each target's outcome, the targets
 * grouped by TLS library family (report_tls_order) */
static void
report_md_disagree(struct buf *b, const struct report_ctx *ctx)
{
	struct report_disagreement *d;
	size_t nd = report_disagree(ctx->cells, ctx->n, &d);
	size_t *order = report_tls_order(ctx);

	if (ctx->ntargets < 2)
		goto out;
	REPORT_PUTS(b, "\n### Where the targets disagree\n\n");
	if (nd == 0) {
		REPORT_PUTS(b, "Nowhere: every target that ran a scenario "
		    "observed the same outcome.\n");
		goto out;
	}
	buf_printf(b, "%zu places (scenario \xc3\x97 protocol \xc3\x97 "
	    "policy) where the targets observed different outcomes, whatever "
	    "the expectation says (skip and error cells do not count; the "
	    "verdict is shown unless pass).\n\n| scenario | proto | policy |",
	    nd);
	for (size_t j = 0; j < ctx->ntargets; j++) {
		const char *fam = report_target_tls(ctx->meta,
		    ctx->col_target[order[j]]);

		REPORT_PUTS(b, " ");
		report_text(b, ctx->targets[order[j]], TEXT_MD);
		if (*fam) {
			REPORT_PUTS(b, " (");
			report_text(b, fam, TEXT_MD);
			REPORT_PUTS(b, ")");
		}
		REPORT_PUTS(b, " |");
	}
	REPORT_PUTS(b, "\n|---|---|---|");
	for (size_t t = 0; t < ctx->ntargets; t++)
		REPORT_PUTS(b, "---|");
	REPORT_PUTS(b, "\n");
	for (size_t g = 0; g < nd && g < REPORT_MD_MAX_ROWS; g++) {
		const struct report_cell *c = &ctx->cells[d[g].cells[0]];
		const char *const key[] = { c->scenario, c->proto, c->policy };

		REPORT_PUTS(b, "|");
		for (size_t k = 0; k < sizeof(key) / sizeof(key[0]); k++) {
			REPORT_PUTS(b, " ");
			report_text(b, key[k], TEXT_MD);
			REPORT_PUTS(b, " |");
		}
		for (size_t j = 0; j < ctx->ntargets; j++) {
			const struct report_cell *tc = NULL;
			size_t t = order[j];

			for (size_t k = 0; k < d[g].n; k++)
				if (strcmp(ctx->label[d[g].cells[k]],
				    ctx->targets[t]) == 0)
					tc = &ctx->cells[d[g].cells[k]];
			REPORT_PUTS(b, " ");
			report_md_outcome(b, tc);
			REPORT_PUTS(b, " |");
		}
		REPORT_PUTS(b, "\n");
	}
	if (nd > REPORT_MD_MAX_ROWS)
		buf_printf(b, "\n... and %zu more (see index.html)\n",
		    nd - REPORT_MD_MAX_ROWS);
out:
	free(order);
	report_disagree_free(d, nd);
}

/* report_md_targets - summary.md's table: a row per target, grouped by
 * TLS library family (report_tls_order), the family in the first column */
static void
report_md_targets(struct buf *b, const struct report_ctx *ctx)
{
	size_t *order = report_tls_order(ctx);

	REPORT_PUTS(b, "\n\n| TLS | target | cells |");
	for (int v = 0; v < VERDICT_COUNT; v++)
		buf_printf(b, " %s |%s", verdict_names[v], v == VERDICT_PASS
		    ? " pass, not preferred |" : "");
	REPORT_PUTS(b, "\n|---|---|---:|---:|");
	for (int v = 0; v < VERDICT_COUNT; v++)
		REPORT_PUTS(b, "---:|");
	REPORT_PUTS(b, "\n");
	for (size_t j = 0; j < ctx->ntargets; j++) {
		size_t counts[VERDICT_COUNT] = { 0 }, tests = 0, np = 0;
		size_t t = order[j];

		for (size_t i = 0; i < ctx->n; i++)
			if (strcmp(ctx->label[i], ctx->targets[t]) == 0) {
				counts[ctx->cells[i].verdict]++;
				np += report_not_preferred(&ctx->cells[i], 1);
				tests++;
			}
		REPORT_PUTS(b, "| ");
		report_text(b, report_target_tls(ctx->meta, ctx->col_target[t]),
		    TEXT_MD);
		REPORT_PUTS(b, " | ");
		report_text(b, ctx->targets[t], TEXT_MD);
		buf_printf(b, " | %zu |", tests);
		for (int v = 0; v < VERDICT_COUNT; v++) {
			buf_printf(b, " %zu |", counts[v]);
			if (v == VERDICT_PASS)
				buf_printf(b, " %zu |", np);
		}
		REPORT_PUTS(b, "\n");
	}
	free(order);
}

/* report_write_md - summary.md: totals, a row per target, what did not pass */
static int
report_write_md(const struct report_ctx *ctx, const char *path)
{
	static const enum verdict order[] = {
		VERDICT_ERROR, VERDICT_FAIL, VERDICT_XPASS, VERDICT_XFAIL,
		VERDICT_SKIP
	};
	struct buf b = { 0 };
	size_t rows = 0, left = 0;

	REPORT_PUTS(&b, "## danelab run ");
	report_text(&b, ctx->meta->run_id, TEXT_MD);
	buf_printf(&b, "\n\n**%zu cells:**", ctx->n);
	for (int v = 0; v < VERDICT_COUNT; v++) {
		buf_printf(&b, "%s %zu %s", v ? "," : "", ctx->counts[v],
		    verdict_names[v]);
		if (v == VERDICT_PASS && ctx->not_preferred)
			buf_printf(&b, " (%zu not preferred)",
			    ctx->not_preferred);
	}
	buf_printf(&b, " (%s) in %.1f s", report_exit_status(ctx->cells,
	    ctx->n) == 0 ? "passed" : "FAILED", report_seconds(ctx->meta->seconds));
	if (ctx->meta->shard) {
		REPORT_PUTS(&b, ", shard ");
		report_text(&b, ctx->meta->shard, TEXT_MD);
	}
	report_md_targets(&b, ctx);
	report_md_disagree(&b, ctx);
	if (ctx->not_preferred)
		REPORT_PUTS(&b, "\n### Pass, not preferred\n\nThe RFC allows "
		    "the outcome but prefers another (SHOULD): where the target "
		    "takes the RFC's latitude.\n\n| target | scenario | proto | "
		    "policy | observed | preferred |\n|---|---|---|---|---|---|\n");
	for (size_t i = 0, np = 0; i < ctx->n; i++) {
		const struct report_cell *c = &ctx->cells[i];

		if (c->verdict != VERDICT_PASS || !c->not_preferred)
			continue;
		if (np++ >= REPORT_MD_MAX_ROWS) {
			if (np == ctx->not_preferred)
				buf_printf(&b, "\n... and %zu more (see "
				    "results.json)\n", np - REPORT_MD_MAX_ROWS);
			continue;
		}
		REPORT_MD_ROW(&b, c->target, c->scenario,
		    c->proto, c->policy, c->observed, c->preferred);
	}
	if (ctx->n == ctx->counts[VERDICT_PASS])
		return report_file(path, &b);
	REPORT_PUTS(&b, "\n### Not passing\n\n| verdict | target | scenario | "
	    "proto | policy | expected | observed | reason |\n"
	    "|---|---|---|---|---|---|---|---|\n");
	for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++)
		for (size_t i = 0; i < ctx->n; i++) {
			const struct report_cell *c = &ctx->cells[i];

			if (c->verdict != order[o])
				continue;
			if (rows++ >= REPORT_MD_MAX_ROWS) {
				left++;
				continue;
			}
			buf_printf(&b, "| %s%s%s ", verdict_not_ok(c->verdict)
			    ? "**" : "", verdict_name(c->verdict),
			    verdict_not_ok(c->verdict) ? "**" : "");
			REPORT_MD_ROW(&b, c->target,
			    c->scenario, c->proto, c->policy, c->expected,
			    c->observed, c->reason);
		}
	if (left)
		buf_printf(&b, "\n... and %zu more (see results.json)\n", left);
	return report_file(path, &b);
}

/* report_json_disagree - the interop view for index.html: a JSON array
 * of the disagreeing groups, each an array of indices into the cells */
static void
report_json_disagree(struct buf *b, const struct report_ctx *ctx)
{
	struct report_disagreement *d;
	size_t nd = report_disagree(ctx->cells, ctx->n, &d);

	REPORT_PUTS(b, "[");
	for (size_t g = 0; g < nd; g++)
		for (size_t k = 0; k < d[g].n; k++)
			buf_printf(b, "%s%zu%s", k ? "," : g ? ",\n[" : "[",
			    d[g].cells[k], k + 1 == d[g].n ? "]" : "");
	REPORT_PUTS(b, "]");
	report_disagree_free(d, nd);
}

/* report_write_html - index.html from reports/index.html.in */
static int
report_write_html(const struct report_ctx *ctx, const char *path)
{
	char *tpl = xasprintf("%s/reports/index.html.in", template_datadir());
	struct buf data = { 0 }, title = { 0 }, dis = { 0 };
	struct template_var vars[3];
	int ret;

	report_html_data(&data, ctx);
	REPORT_PUTS(&title, "danelab run ");
	report_text(&title, ctx->meta->run_id, TEXT_XML);
	vars[0].name = "TITLE";
	vars[0].value = title.data;
	vars[1].name = "DATA";
	vars[1].value = data.data;
	report_json_disagree(&dis, ctx);
	vars[2].name = "DISAGREE";
	vars[2].value = dis.data;
	ret = template_expand_file(tpl, path, vars, 3);
	buf_free(&dis);
	buf_free(&data);
	buf_free(&title);
	free(tpl);
	return ret;
}

/*
 * report_split - the directory holding dir and dir's own name (of its
 * real path when the name is "." or ".."); caller frees both
 */
static void
report_split(const char *dir, char **parent, char **base)
{
	char *d = xstrdup(dir), *slash, *real;
	size_t len = strlen(d);

	while (len > 1 && d[len - 1] == '/')
		d[--len] = 0;
	slash = strrchr(d, '/');
	*base = xstrdup(slash ? slash + 1 : d);
	if ((strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0)
	    && (real = realpath(d, NULL)) != NULL) {
		free(*base);
		free(d);
		d = xstrdup(real);
		free(real);
		slash = strrchr(d, '/');
		*base = xstrdup(slash + 1);
	}
	if (slash == NULL)
		*parent = xstrdup(".");
	else if (slash == d)
		*parent = xstrdup("/");
	else
		*parent = xstrndup(d, slash - d);
	free(d);
}

/* report_link_latest - point "latest" in parent at base, atomically */
static int
report_link_latest(const char *parent, const char *base)
{
	char *link, *tmp;
	int ret = -1;

	if (strcmp(base, "latest") == 0)
		return 0;	/* nothing sensible to link */
	link = xasprintf("%s/latest", parent);
	tmp = xasprintf("%s/.latest.tmp.%ld", parent, (long)getpid());
	unlink(tmp);
	if (symlink(base, tmp) != 0) {
		msg_warn("cannot make link %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, link) != 0) {
		msg_warn("cannot rename %s to %s: %s", tmp, link,
		    strerror(errno));
		unlink(tmp);
		goto out;
	}
	ret = 0;
out:
	free(link);
	free(tmp);
	return ret;
}

/* report_is_file - is name, in dir, one of the reports (a plain file,
 * or the directory of the details)? */
static int
report_is_file(const char *dir, const char *name)
{
	struct stat st;
	char *path;
	int known = 0;

	for (size_t w = 0; w < REPORT_NWRITERS; w++)
		known |= strcmp(name, report_writers[w].file) == 0;
	if (!known)
		return 0;
	path = xasprintf("%s/%s", dir, name);
	known = lstat(path, &st) == 0 && (strcmp(name, REPORT_CELLS) == 0
	    ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
	free(path);
	return known;
}

int
report_dir_check(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		msg_warn("cannot write reports into %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	while (ret == 0 && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0
		    && !report_is_file(dir, de->d_name)) {
			msg_warn("%s holds %s, which is not a report: not "
			    "replacing it (choose another --out)", dir,
			    de->d_name);
			ret = -1;
		}
	closedir(d);
	return ret;
}

/*
 * report_replace - put the finished stage at dir: renamed there when dir
 * is absent or empty, else swapped with it in one step and the old
 * reports removed.  0, or -1 after saying why.
 */
static int
report_replace(const char *stage, const char *dir)
{
	if (rename(stage, dir) == 0)
		return 0;
	if ((errno != ENOTEMPTY && errno != EEXIST)
	    || renameat2(AT_FDCWD, stage, AT_FDCWD, dir, RENAME_EXCHANGE) != 0) {
		msg_warn("cannot rename %s to %s: %s", stage, dir,
		    strerror(errno));
		return -1;
	}
	/* The stage now holds the old reports. */
	if (file_rmtree(stage) != 0)
		msg_warn("cannot remove %s: %s", stage, strerror(errno));
	return 0;
}

/*
 * report_columns - ctx's columns: one per target, or, when the cells
 * ran behind more than one validator (a merge of runs with different
 * --resolver), one per target and validator, labelled TARGET@RESOLVER
 * and grouped by validator (in order of first appearance)
 */
static void
report_columns(struct report_ctx *ctx)
{
	const char **res = xcalloc(ctx->n + 1, sizeof(char *));
	size_t nres = 0;

	for (size_t i = 0; i < ctx->n; i++) {
		const char *r = report_cell_resolver(&ctx->cells[i]);
		size_t k;

		for (k = 0; k < nres && strcmp(res[k], r) != 0; k++)
			;
		if (k == nres)
			res[nres++] = r;
	}
	ctx->label = xcalloc(ctx->n + 1, sizeof(char *));
	ctx->targets = xcalloc(ctx->n + 1, sizeof(char *));
	ctx->col_target = xcalloc(ctx->n + 1, sizeof(char *));
	ctx->col_resolver = xcalloc(ctx->n + 1, sizeof(char *));
	for (size_t k = 0; k < nres; k++)
		for (size_t i = 0; i < ctx->n; i++) {
			const struct report_cell *c = &ctx->cells[i];
			size_t t;

			if (strcmp(report_cell_resolver(c), res[k]) != 0)
				continue;
			ctx->label[i] = nres < 2 ? xstrdup(c->target)
			    : xasprintf("%s@%s", c->target, *res[k] ? res[k]
			    : "unknown");
			for (t = 0; t < ctx->ntargets; t++)
				if (strcmp(ctx->targets[t], ctx->label[i]) == 0)
					break;
			if (t < ctx->ntargets)
				continue;
			ctx->targets[t] = ctx->label[i];
			ctx->col_target[t] = c->target;
			ctx->col_resolver[t] = res[k];
			ctx->ntargets++;
		}
	free(res);
}

int
report_write(const char *dir, const struct report_meta *meta,
    const struct report_cell *cells, size_t n, int latest)
{
	struct report_ctx ctx = { .meta = meta, .cells = cells, .n = n };
	char *parent = NULL, *base = NULL, *stage = NULL;
	int ret = -1, staged = 0;

	for (size_t i = 0; i < n; i++)
		if ((unsigned)cells[i].verdict >= VERDICT_COUNT
		    || cells[i].target == NULL) {
			msg_warn("report: cell %zu has no target or a bad "
			    "verdict", i);
			return -1;
		}
	report_count(cells, n, ctx.counts);
	ctx.not_preferred = report_not_preferred(cells, n);
	report_columns(&ctx);
	report_detail_files(&ctx);
	report_split(dir, &parent, &base);
	if (*base == 0 || strcmp(base, "..") == 0) {
		msg_warn("cannot write reports into %s: no directory name",
		    dir);
		goto out;
	}
	if (report_dir_check(dir) != 0 || file_mkdirs(parent) != 0)
		goto out;
	/* Render every report into a stage beside dir, then move it in. */
	stage = xasprintf("%s/.%s.tmp.%ld", parent, base, (long)getpid());
	file_rmtree(stage);
	if (mkdir(stage, 0755) != 0) {
		msg_warn("cannot make directory %s: %s", stage, strerror(errno));
		goto out;
	}
	staged = 1;
	for (size_t w = 0; w < REPORT_NWRITERS; w++) {
		char *path = xasprintf("%s/%s", stage, report_writers[w].file);
		int rc = report_writers[w].write(&ctx, path);

		free(path);
		if (rc != 0)
			goto out;
		if (stop_requested()) {
			msg_warn("interrupted by SIG%s: no report written "
			    "into %s", sigabbrev_np(stop_requested()), dir);
			goto out;
		}
	}
	if (report_replace(stage, dir) != 0)
		goto out;
	staged = 0;	/* all in place: keep them whatever the link does */
	ret = latest ? report_link_latest(parent, base) : 0;
out:
	/* A set of reports is all new or not there. */
	if (staged && file_rmtree(stage) != 0)
		msg_warn("cannot remove %s: %s", stage, strerror(errno));
	for (size_t i = 0; i < n; i++) {
		free(ctx.detail_files[i]);
		free(ctx.label[i]);
	}
	free(ctx.detail_files);
	free(ctx.label);
	free(ctx.targets);
	free(ctx.col_target);
	free(ctx.col_resolver);
	free(parent);
	free(base);
	free(stage);
	return ret;
}

/* The fields of a cell, by name, for the reader. */
#define CELL_FIELD(name) { #name, offsetof(struct report_cell, name) }
static const struct {
	const char *key;
	size_t offset;
} cell_fields[] = {
	CELL_FIELD(scenario), CELL_FIELD(area), CELL_FIELD(file),
	CELL_FIELD(summary), CELL_FIELD(refs), CELL_FIELD(target),
	CELL_FIELD(proto), CELL_FIELD(policy), CELL_FIELD(expected),
	CELL_FIELD(cite), CELL_FIELD(observed), CELL_FIELD(reason),
	CELL_FIELD(detail),
};

/* report_bad - say "path: line L, byte B: what" about value v; returns -1 */
static int __attribute__((format(printf, 3, 4)))
report_bad(const char *path, const struct json_value *v, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	msg_warn("%s: line %d, byte %zu: %s", path, v->line, v->offset, msg);
	return -1;
}

/* report_get_string - a copy of string member key (null: NULL), or -1 */
static int
report_get_string(const char *path, const struct json_value *obj,
    const char *where, const char *key, int nullable, char **out)
{
	const struct json_value *v = json_get(obj, key);

	*out = NULL;
	if (v == NULL)
		return report_bad(path, obj, "%s: no \"%s\"", where, key);
	if (v->type == JSON_NULL && nullable)
		return 0;
	if (v->type != JSON_STRING)
		return report_bad(path, v, "%s.%s: a string wanted", where, key);
	*out = xstrdup(v->string);
	return 0;
}

/* report_get_number - number member key, >= 0, or -1 */
static int
report_get_number(const char *path, const struct json_value *obj,
    const char *where, const char *key, double *out)
{
	const struct json_value *v = json_get(obj, key);

	if (v == NULL)
		return report_bad(path, obj, "%s: no \"%s\"", where, key);
	if (v->type != JSON_NUMBER || v->number < 0)
		return report_bad(path, v, "%s.%s: a number >= 0 wanted", where,
		    key);
	*out = v->number;
	return 0;
}

/* report_under_cells - is rel a path below cells/ that stays there (no
 * empty, "." or ".." component)? */
static int
report_under_cells(const char *rel)
{
	const char *p, *e;

	if (strncmp(rel, REPORT_CELLS "/", sizeof(REPORT_CELLS)) != 0)
		return 0;
	for (p = rel; *p; p = *e ? e + 1 : e) {
		e = strchrnul(p, '/');
		if (e == p || (e - p == 1 && p[0] == '.')
		    || (e - p == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
	}
	return 1;
}

/*
 * report_read_detail - the detail of cell where (c) from its file, named
 * by member "detail_file" of v relative to the directory of path, the
 * results.json: "" for none; a file under "cells/" only (report_under_cells).
 * A missing file is a warning, not an error (results.json may travel
 * alone, as the shards' did before version 2): the detail says so.
 */
static int
report_read_detail(const char *path, const struct json_value *v,
    const char *where, struct report_cell *c)
{
	char *rel, *dir, *file, *text;
	const char *slash;

	if (report_get_string(path, v, where, "detail_file", 0, &rel) < 0)
		return -1;
	if (*rel == 0) {
		c->detail = rel;
		return 0;
	}
	if (!report_under_cells(rel)) {
		free(rel);
		return report_bad(path, json_get(v, "detail_file"),
		    "%s.detail_file: not a file under %s/", where, REPORT_CELLS);
	}
	slash = strrchr(path, '/');
	dir = slash ? xstrndup(path, slash - path + 1) : xstrdup("");
	file = xasprintf("%s%s", dir, rel);
	if ((text = file_read(file, NULL)) == NULL) {
		msg_warn("%s: %s: %s", path, file, strerror(errno));
		text = xasprintf("(detail file %s missing: %s)", rel,
		    strerror(errno));
	}
	c->detail = text;
	free(file);
	free(dir);
	free(rel);
	return 0;
}

/* report_read_queries - a cell's optional "queries" (null or absent:
 * not read) and "queries_note" into c; -1 after saying why */
static int
report_read_queries(const char *path, const struct json_value *v,
    const char *where, struct report_cell *c)
{
	const struct json_value *qs = json_get(v, "queries");
	char w[80];

	if (qs == NULL || qs->type == JSON_NULL)
		return json_get(v, "queries_note") == NULL ? 0
		    : report_get_string(path, v, where, "queries_note", 1,
		    &c->queries_note);
	if (qs->type != JSON_ARRAY)
		return report_bad(path, qs, "%s.queries: an array or null "
		    "wanted", where);
	c->queries_seen = 1;
	c->queries = xcalloc(qs->n + 1, sizeof(*c->queries));
	for (size_t i = 0; i < qs->n; i++) {
		const struct json_value *x = &qs->items[i], *d;
		struct report_query *q = &c->queries[c->nqueries++];

		snprintf(w, sizeof(w), "%s.queries[%zu]", where, i);
		if (x->type != JSON_OBJECT)
			return report_bad(path, x, "%s: an object wanted", w);
		if (report_get_string(path, x, w, "name", 0, &q->name) < 0
		    || report_get_string(path, x, w, "type", 0, &q->type) < 0
		    || report_get_string(path, x, w, "rcode", 0, &q->rcode) < 0
		    || report_get_string(path, x, w, "state", 0, &q->state) < 0)
			return -1;
		d = json_get(x, "do");
		q->dnssec_ok = d == NULL || d->type == JSON_NULL ? -1
		    : d->type == JSON_TRUE;
	}
	if ((qs = json_get(v, "window")) != NULL && qs->type != JSON_NULL) {
		if (qs->type != JSON_ARRAY || qs->n != 2
		    || qs->items[0].type != JSON_NUMBER
		    || qs->items[1].type != JSON_NUMBER)
			return report_bad(path, qs, "%s.window: [from, to] "
			    "wanted", where);
		c->window_from = qs->items[0].number;
		c->window_to = qs->items[1].number;
	}
	return report_get_string(path, v, where, "queries_note", 1,
	    &c->queries_note);
}

/* report_read_cell - one cell object into c (results.json version
 * version); -1 after saying why */
static int
report_read_cell(const char *path, const struct json_value *v, size_t i,
    int version, struct report_cell *c)
{
	char where[48];
	char *verdict = NULL;
	int vd;
	const struct json_value *np;

	snprintf(where, sizeof(where), "cells[%zu]", i);
	if (v->type != JSON_OBJECT)
		return report_bad(path, v, "%s: an object wanted", where);
	for (size_t k = 0; k < sizeof(cell_fields) / sizeof(cell_fields[0]); k++)
		if ((version < 2 || cell_fields[k].offset
		    != offsetof(struct report_cell, detail))
		    && report_get_string(path, v, where, cell_fields[k].key, 0,
		    (char **)((char *)c + cell_fields[k].offset)) < 0)
			return -1;
	/* Version 2: the detail in a file of its own. */
	if (version >= 2 && report_read_detail(path, v, where, c) < 0)
		return -1;
	if (report_get_string(path, v, where, "verdict", 0, &verdict) < 0)
		return -1;
	vd = verdict_parse(verdict);
	free(verdict);
	if (vd < 0)
		return report_bad(path, json_get(v, "verdict"),
		    "%s.verdict: not one of pass, fail, xfail, xpass, skip, "
		    "error", where);
	c->verdict = vd;
	/* Added in later danelab versions: optional. */
	if (json_get(v, "preferred") != NULL && report_get_string(path, v,
	    where, "preferred", 1, &c->preferred) < 0)
		return -1;
	if ((np = json_get(v, "not_preferred")) != NULL) {
		if (np->type != JSON_TRUE && np->type != JSON_FALSE)
			return report_bad(path, np, "%s.not_preferred: true or "
			    "false wanted", where);
		c->not_preferred = np->type == JSON_TRUE;
	}
	if (json_get(v, "resolver") != NULL && report_get_string(path, v,
	    where, "resolver", 1, &c->resolver) < 0)
		return -1;
	if (report_read_queries(path, v, where, c) < 0)
		return -1;
	return report_get_number(path, v, where, "seconds", &c->seconds);
}

/* report_read_meta - the "run" object into m; -1 after saying why */
static int
report_read_meta(const char *path, const struct json_value *run,
    struct report_meta *m)
{
	if (run->type != JSON_OBJECT)
		return report_bad(path, run, "\"run\": an object wanted");
	if (report_get_string(path, run, "run", "id", 0, &m->run_id) < 0
	    || report_get_string(path, run, "run", "started", 0, &m->started) < 0
	    || report_get_number(path, run, "run", "seconds", &m->seconds) < 0
	    || report_get_string(path, run, "run", "command", 0, &m->command) < 0
	    || report_get_string(path, run, "run", "targets", 0, &m->targets) < 0
	    || report_get_string(path, run, "run", "shard", 1, &m->shard) < 0)
		return -1;
	/* "tls" came later: absent in older files */
	if (json_get(run, "tls") != NULL
	    && report_get_string(path, run, "run", "tls", 1, &m->tls) < 0)
		return -1;
	if (json_get(run, "resolver") != NULL && report_get_string(path, run,
	    "run", "resolver", 1, &m->resolver) < 0)
		return -1;
	return 0;
}

/*
 * report_read_resolver - the validator of a file's cells that do not
 * record theirs (written before danelab did): the run's "resolver", else
 * the "--resolver NAME" of its command, else "unbound" (the lab's only
 * validator before --resolver); caller frees
 */
static char *
report_read_resolver(const struct report_meta *m)
{
	const char *p = m->command ? strstr(m->command, " --resolver") : NULL;

	if (m->resolver && *m->resolver)
		return xstrdup(m->resolver);
	if (p && (p[11] == ' ' || p[11] == '=')) {
		p += 12;
		return xstrndup(p, strcspn(p, " "));
	}
	return xstrdup("unbound");
}

int
report_read_json(const char *path, struct report_meta *meta,
    struct report_cell **cells, size_t *n)
{
	struct report_meta m = { 0 };
	struct report_cell *got = NULL;
	const struct json_value *v, *list, *totals;
	struct json_value *root = NULL;
	size_t len, ngot = 0, counts[VERDICT_COUNT];
	char err[256], *text;
	int ret = -1, version;

	if ((text = file_read(path, &len)) == NULL) {
		msg_warn("%s: %s", path, strerror(errno));
		return -1;
	}
	if ((root = json_parse(text, len, err, sizeof(err))) == NULL) {
		msg_warn("%s: %s", path, err);
		goto out;
	}
	if (root->type != JSON_OBJECT) {
		report_bad(path, root, "an object wanted");
		goto out;
	}
	v = json_get(root, "schema");
	if (v == NULL || v->type != JSON_STRING
	    || strcmp(v->string, REPORT_SCHEMA) != 0) {
		report_bad(path, v ? v : root, "not a %s file (\"schema\")",
		    REPORT_SCHEMA);
		goto out;
	}
	v = json_get(root, "version");
	if (v == NULL || v->type != JSON_NUMBER || v->number < 1
	    || v->number > REPORT_VERSION || v->number != (int)v->number) {
		report_bad(path, v ? v : root, "\"version\" 1 to %d wanted",
		    REPORT_VERSION);
		goto out;
	}
	version = (int)v->number;
	if ((v = json_get(root, "run")) == NULL) {
		report_bad(path, root, "no \"run\"");
		goto out;
	}
	if (report_read_meta(path, v, &m) < 0)
		goto out;
	list = json_get(root, "cells");
	if (list == NULL || list->type != JSON_ARRAY) {
		report_bad(path, list ? list : root, "\"cells\": an array wanted");
		goto out;
	}
	got = xcalloc(list->n + 1, sizeof(*got));
	for (ngot = 0; ngot < list->n; ngot++)
		if (report_read_cell(path, &list->items[ngot], ngot,
		    version, &got[ngot]) < 0) {
			ngot++;	/* free the partly read cell too */
			goto out;
		}
	for (size_t i = 0; i < ngot; i++)
		if (got[i].resolver == NULL)
			got[i].resolver = report_read_resolver(&m);
	totals = json_get(root, "totals");
	if (totals == NULL || totals->type != JSON_OBJECT) {
		report_bad(path, totals ? totals : root,
		    "\"totals\": an object wanted");
		goto out;
	}
	report_count(got, ngot, counts);
	for (int k = 0; k < VERDICT_COUNT; k++) {
		double t;

		if (report_get_number(path, totals, "totals", verdict_names[k],
		    &t) < 0)
			goto out;
		if (t != (double)counts[k]) {
			report_bad(path, json_get(totals, verdict_names[k]),
			    "totals.%s is %.0f but the cells have %zu",
			    verdict_names[k], t, counts[k]);
			goto out;
		}
	}
	*cells = xrealloc(*cells, (*n + ngot + 1) * sizeof(**cells));
	memcpy(*cells + *n, got, ngot * sizeof(*got));
	*n += ngot;
	ngot = 0;
	if (meta) {
		*meta = m;
		memset(&m, 0, sizeof(m));
	}
	ret = 0;
out:
	report_cells_free(got, ngot);
	report_meta_free(&m);
	json_free(root);
	free(text);
	return ret;
}

void
report_cells_free(struct report_cell *cells, size_t n)
{
	if (cells == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof(cell_fields) / sizeof(cell_fields[0]); k++)
			free(*(char **)((char *)&cells[i] + cell_fields[k].offset));
		free(cells[i].preferred);
		free(cells[i].resolver);
		report_queries_free(cells[i].queries, cells[i].nqueries);
		free(cells[i].queries_note);
	}
	free(cells);
}

void
report_meta_free(struct report_meta *meta)
{
	if (meta == NULL)
		return;
	free(meta->run_id);
	free(meta->started);
	free(meta->command);
	free(meta->targets);
	free(meta->tls);
	free(meta->resolver);
	free(meta->shard);
	free(meta->pcap);
	memset(meta, 0, sizeof(*meta));
}

/* A cell and the file it came from, for finding duplicates. */
struct report_origin {
	const struct report_cell *cell;
	size_t file;
};

int
report_cell_key_cmp(const struct report_cell *x, const struct report_cell *y)
{
	int d;

	if ((d = strcmp(x->target, y->target)) != 0
	    || (d = strcmp(report_cell_resolver(x),
	    report_cell_resolver(y))) != 0
	    || (d = strcmp(x->scenario, y->scenario)) != 0
	    || (d = strcmp(x->proto, y->proto)) != 0)
		return d;
	return strcmp(x->policy, y->policy);
}

/* report_origin_cmp - report_cell_key_cmp of two origins' cells */
static int
report_origin_cmp(const void *a, const void *b)
{
	return report_cell_key_cmp(((const struct report_origin *)a)->cell,
	    ((const struct report_origin *)b)->cell);
}

/* report_merge_tls - add to *tls the lines "NAME: FAMILY" of more whose
 * target it has no line for */
static void
report_merge_tls(char **tls, const char *more)
{
	while (more && *more) {
		size_t line = strcspn(more, "\n"), name = strcspn(more, ":\n");
		/* "\nNAME: ": at a line's start, never inside a family */
		char *key = xasprintf("\n%.*s: ", (int)name, more);
		int have = *tls && (strncmp(*tls, key + 1, strlen(key + 1)) == 0
		    || strstr(*tls, key) != NULL);

		if (!have && line > name) {
			char *t = xasprintf("%s%s%.*s", *tls ? *tls : "",
			    *tls && **tls ? "\n" : "", (int)line, more);

			free(*tls);
			*tls = t;
		}
		free(key);
		more += line + (more[line] != 0);
	}
}

/* report_merge_resolvers - the validators of cells, distinct, in order
 * of first appearance, joined by ","; NULL when none says; caller frees */
static char *
report_merge_resolvers(const struct report_cell *cells, size_t n)
{
	struct buf b = { 0 };
	const char **seen = xcalloc(n + 1, sizeof(char *));
	size_t nseen = 0;

	for (size_t i = 0; i < n; i++) {
		const char *r = report_cell_resolver(&cells[i]);
		size_t k;

		for (k = 0; k < nseen && strcmp(seen[k], r) != 0; k++)
			;
		if (k < nseen || *r == 0)
			continue;
		seen[nseen++] = r;
		buf_printf(&b, "%s%s", b.len ? "," : "", r);
	}
	free(seen);
	return b.data;
}

int
report_merge(const char *outdir, char *const *files, size_t nfiles)
{
	struct report_meta meta = { 0 }, m = { 0 };
	struct report_cell *cells = NULL;
	struct report_origin *orig = NULL;
	size_t n = 0, *upto = xcalloc(nfiles + 1, sizeof(size_t));
	char *dflt = NULL, stamp[32];
	int status = EXIT_USAGE;
	time_t now = time(NULL);

	if (nfiles == 0) {
		msg_warn("report merge: no files");
		goto out;
	}
	for (size_t f = 0; f < nfiles; f++) {
		if (report_read_json(files[f], &m, &cells, &n) < 0)
			goto out;
		upto[f] = n;
		if (f == 0) {
			meta = m;
			free(meta.shard);
			meta.shard = NULL;
		} else {
			meta.seconds += m.seconds;
			report_merge_tls(&meta.tls, m.tls);
			report_meta_free(&m);
		}
		memset(&m, 0, sizeof(m));
	}
	free(meta.resolver);
	meta.resolver = report_merge_resolvers(cells, n);
	orig = xcalloc(n + 1, sizeof(*orig));
	for (size_t i = 0, f = 0; i < n; i++) {
		while (i >= upto[f])
			f++;
		orig[i].cell = &cells[i];
		orig[i].file = f;
	}
	qsort(orig, n, sizeof(*orig), report_origin_cmp);
	for (size_t i = 1; i < n; i++)
		if (report_origin_cmp(&orig[i - 1], &orig[i]) == 0) {
			const struct report_cell *c = orig[i].cell;

			msg_warn("%s and %s: both have cell %s/%s %s %s (behind "
			    "%s)", files[orig[i - 1].file], files[orig[i].file],
			    c->target, c->scenario, c->proto, c->policy,
			    *report_cell_resolver(c) ? c->resolver : "an unknown "
			    "validator");
			goto out;
		}
	if (outdir == NULL) {
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime(&now));
		outdir = dflt = xasprintf("reports/runs/merged-%s", stamp);
	}
	if (dflt == NULL && access(outdir, F_OK) == 0)
		msg_info("%s exists: its reports are replaced by the merged "
		    "ones", outdir);
	if (report_write(outdir, &meta, cells, n, dflt != NULL) != 0) {
		status = stop_requested() ? stop_status() : EXIT_ENV;
		goto out;
	}
	msg_info("%zu cells from %zu files merged into %s", n, nfiles, outdir);
	status = report_exit_status(cells, n);
out:
	report_cells_free(cells, n);
	report_meta_free(&meta);
	free(orig);
	free(upto);
	free(dflt);
	return status;
}

void
report_queries_free(struct report_query *q, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(q[i].name);
		free(q[i].type);
		free(q[i].rcode);
		free(q[i].state);
	}
	free(q);
}
