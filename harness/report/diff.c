/*
 * diff.c - "danelab report diff": two runs' results.json compared cell
 * by cell.  Both files are read with report_read_json; cells are matched
 * by their key through sorted indices, so a diff of large runs stays
 * n log n.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "diff.h"
#include "json.h"
#include "mem.h"
#include "msg.h"
#include "report.h"
#include "template.h"

#define DIFF_SCHEMA		"danelab-diff"
#define DIFF_VERSION		1
#define DIFF_MD_MAX_ROWS	500	/* rows per section of diff.md */

/* DIFF_PUTS - append a string literal to a buf */
#define DIFF_PUTS(b, lit)	buf_append((b), (lit), sizeof(lit) - 1)

static const char *const diff_kind_names[DIFF_KIND_COUNT] = {
	"regression", "fixed", "changed", "added", "removed"
};

/* Section headings of diff.md, by kind; lower case in its counts line. */
static const char *const diff_md_titles[DIFF_KIND_COUNT] = {
	"Regressions", "Fixed", "Changed", "New cells", "Removed cells"
};
static const char *const diff_md_counted[DIFF_KIND_COUNT] = {
	"regression", "fixed", "changed", "new cell", "removed cell"
};

const char *
diff_kind_name(enum diff_kind k)
{
	return (unsigned)k < DIFF_KIND_COUNT ? diff_kind_names[k] : "?";
}

/* diff_bad - does this verdict count as failing (fail or error)? */
static int
diff_bad(enum verdict v)
{
	return v == VERDICT_FAIL || v == VERDICT_ERROR;
}

int
diff_classify(const struct report_cell *old, const struct report_cell *new)
{
	if (old == NULL)
		return diff_bad(new->verdict) ? DIFF_REGRESSION : DIFF_ADDED;
	if (new == NULL)
		return DIFF_REMOVED;
	if (old->verdict == new->verdict && (old->verdict == VERDICT_SKIP
	    || old->verdict == VERDICT_ERROR
	    || strcmp(old->observed, new->observed) == 0))
		return -1;
	if (diff_bad(new->verdict) && !diff_bad(old->verdict))
		return DIFF_REGRESSION;
	if ((diff_bad(old->verdict) || old->verdict == VERDICT_XFAIL)
	    && (new->verdict == VERDICT_PASS || new->verdict == VERDICT_XPASS))
		return DIFF_FIXED;
	return DIFF_CHANGED;
}

/* diff_ptr_cmp - report_cell_key_cmp for qsort/bsearch on cell pointers */
static int
diff_ptr_cmp(const void *a, const void *b)
{
	return report_cell_key_cmp(*(const struct report_cell *const *)a,
	    *(const struct report_cell *const *)b);
}

/* diff_str_cmp - strcmp for qsort/bsearch on string pointers */
static int
diff_str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* diff_index - the run's cells as pointers sorted by key; a key found
 * twice is an error naming the file (NULL); caller frees */
static const struct report_cell **
diff_index(const struct diff_run *r)
{
	const struct report_cell **ix = xcalloc(r->n + 1, sizeof(*ix));

	for (size_t i = 0; i < r->n; i++)
		ix[i] = &r->cells[i];
	qsort(ix, r->n, sizeof(*ix), diff_ptr_cmp);
	for (size_t i = 1; i < r->n; i++)
		if (report_cell_key_cmp(ix[i - 1], ix[i]) == 0) {
			msg_warn("%s: cells[%zu] and cells[%zu] are the same "
			    "cell, %s/%s %s %s", r->path,
			    (size_t)(ix[i - 1] - r->cells),
			    (size_t)(ix[i] - r->cells), ix[i]->target,
			    ix[i]->scenario, ix[i]->proto, ix[i]->policy);
			free(ix);
			return NULL;
		}
	return ix;
}

/* diff_read - read run r from path (a results.json or a directory
 * holding one); 0, or -1 after saying why */
static int
diff_read(struct diff_run *r, const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		r->path = xasprintf("%s%sresults.json", path,
		    path[strlen(path) - 1] == '/' ? "" : "/");
	else
		r->path = xstrdup(path);
	return report_read_json(r->path, &r->meta, &r->cells, &r->n);
}

/* diff_scenarios - scenario ids of a (sorted, distinct) not in b; into
 * *out, *nout (caller frees the array; the strings are borrowed) */
static void
diff_scenarios(const struct diff_run *a, const struct diff_run *b,
    const char ***out, size_t *nout)
{
	const char **sa = xcalloc(a->n + 1, sizeof(char *));
	const char **sb = xcalloc(b->n + 1, sizeof(char *));

	for (size_t i = 0; i < a->n; i++)
		sa[i] = a->cells[i].scenario;
	for (size_t i = 0; i < b->n; i++)
		sb[i] = b->cells[i].scenario;
	qsort(sa, a->n, sizeof(char *), diff_str_cmp);
	qsort(sb, b->n, sizeof(char *), diff_str_cmp);
	*out = xcalloc(a->n + 1, sizeof(char *));
	*nout = 0;
	for (size_t i = 0; i < a->n; i++)
		if ((i == 0 || strcmp(sa[i - 1], sa[i]) != 0)
		    && bsearch(&sa[i], sb, b->n, sizeof(char *),
		    diff_str_cmp) == NULL)
			(*out)[(*nout)++] = sa[i];
	free(sa);
	free(sb);
}

/* diff_by_kind - order the changes by kind, each kind in the order found;
 * count them */
static void
diff_by_kind(struct diff *d)
{
	struct diff_change *by = xcalloc(d->nchanges + 1, sizeof(*by));
	size_t k = 0;

	for (int kind = 0; kind < DIFF_KIND_COUNT; kind++)
		for (size_t i = 0; i < d->nchanges; i++)
			if (d->changes[i].kind == (enum diff_kind)kind) {
				by[k++] = d->changes[i];
				d->counts[kind]++;
			}
	free(d->changes);
	d->changes = by;
}

int
diff_compare(struct diff *d, const char *old, const char *new)
{
	const struct report_cell **oix = NULL, **nix = NULL, **hit;
	char *matched = NULL;
	int ret = -1;

	if (diff_read(&d->old, old) != 0 || diff_read(&d->new, new) != 0)
		return -1;
	if ((oix = diff_index(&d->old)) == NULL
	    || (nix = diff_index(&d->new)) == NULL)
		goto out;
	matched = xcalloc(d->old.n + 1, 1);
	d->changes = xcalloc(d->old.n + d->new.n + 1, sizeof(*d->changes));
	for (size_t i = 0; i < d->new.n; i++) {
		const struct report_cell *c = &d->new.cells[i], *o = NULL;
		int k;

		hit = bsearch(&c, oix, d->old.n, sizeof(*oix), diff_ptr_cmp);
		if (hit) {
			o = *hit;
			matched[o - d->old.cells] = 1;
		}
		if ((k = diff_classify(o, c)) < 0) {
			d->same++;
			continue;
		}
		d->changes[d->nchanges].kind = k;
		d->changes[d->nchanges].old = o;
		d->changes[d->nchanges++].new = c;
	}
	for (size_t i = 0; i < d->old.n; i++)
		if (!matched[i]) {
			d->changes[d->nchanges].kind = DIFF_REMOVED;
			d->changes[d->nchanges++].old = &d->old.cells[i];
		}
	diff_by_kind(d);
	diff_scenarios(&d->new, &d->old, &d->scn_added, &d->nscn_added);
	diff_scenarios(&d->old, &d->new, &d->scn_removed, &d->nscn_removed);
	ret = 0;
out:
	free(matched);
	free(oix);
	free(nix);
	return ret;
}

/* diff_run_free - free one run's file name, meta and cells */
static void
diff_run_free(struct diff_run *r)
{
	free(r->path);
	report_meta_free(&r->meta);
	report_cells_free(r->cells, r->n);
}

void
diff_free(struct diff *d)
{
	diff_run_free(&d->old);
	diff_run_free(&d->new);
	free(d->changes);
	free(d->scn_added);
	free(d->scn_removed);
	memset(d, 0, sizeof(*d));
}

int
diff_status(const struct diff *d)
{
	return d->counts[DIFF_REGRESSION] ? EXIT_FAILED : EXIT_PASS;
}

/* diff_md_verdicts - "324 pass, 48 fail": the verdicts a run has */
static void
diff_md_verdicts(struct buf *b, const struct diff_run *r)
{
	size_t counts[VERDICT_COUNT];
	int any = 0;

	report_count(r->cells, r->n, counts);
	for (int v = 0; v < VERDICT_COUNT; v++)
		if (counts[v]) {
			buf_printf(b, "%s%zu %s", any ? ", " : "", counts[v],
			    verdict_name(v));
			any = 1;
		}
	if (!any)
		DIFF_PUTS(b, "none");
}

/* diff_md_run - one row of the runs table: which run, what it held */
static void
diff_md_run(struct buf *b, const char *which, const struct diff_run *r)
{
	struct buf targets = { 0 };
	const char *t = r->meta.targets ? r->meta.targets : "", *nl;

	/* One target per line in results.json; "; " in a table cell. */
	for (; (nl = strchr(t, '\n')) != NULL; t = nl + 1) {
		buf_append(&targets, t, nl - t);
		DIFF_PUTS(&targets, "; ");
	}
	buf_append(&targets, t, strlen(t));
	buf_printf(b, "| %s | ", which);
	report_md_text(b, r->meta.run_id);
	DIFF_PUTS(b, " | ");
	report_md_text(b, r->path);
	buf_printf(b, " | %zu | ", r->n);
	diff_md_verdicts(b, r);
	DIFF_PUTS(b, " | ");
	report_md_text(b, targets.data);
	DIFF_PUTS(b, " |\n");
	buf_free(&targets);
}

/* diff_md_side - a cell as "verdict: observed" (bold when failing) */
static void
diff_md_side(struct buf *b, const struct report_cell *c)
{
	int loud;

	if (c == NULL) {
		/* An en dash: not in this run. */
		DIFF_PUTS(b, "\xe2\x80\x93");
		return;
	}
	loud = diff_bad(c->verdict) || c->verdict == VERDICT_XPASS;
	buf_printf(b, "%s%s%s: ", loud ? "**" : "", verdict_name(c->verdict),
	    loud ? "**" : "");
	if (*c->observed)
		report_md_text(b, c->observed);
	else
		DIFF_PUTS(b, "no outcome");
}

/* diff_md_row - one changed cell as a row of a section's table; multi:
 * the runs ran behind more than one validator (diff_validators) */
static void
diff_md_row(struct buf *b, const struct diff_change *ch, int multi)
{
	const struct report_cell *c = ch->new ? ch->new : ch->old;
	/* the target, TARGET@RESOLVER when the cell says its validator */
	char *who = multi && c->resolver && *c->resolver
	    ? xasprintf("%s@%s", c->target, c->resolver) : xstrdup(c->target);
	const char *const key[] = { who, c->scenario, c->proto, c->policy };

	for (size_t k = 0; k < sizeof(key) / sizeof(key[0]); k++) {
		DIFF_PUTS(b, "| ");
		report_md_text(b, key[k]);
		DIFF_PUTS(b, " ");
	}
	DIFF_PUTS(b, "| ");
	report_md_text(b, c->expected);
	if (ch->old && ch->new
	    && strcmp(ch->old->expected, ch->new->expected) != 0) {
		DIFF_PUTS(b, " (was ");
		report_md_text(b, ch->old->expected);
		DIFF_PUTS(b, ")");
	}
	DIFF_PUTS(b, " | ");
	diff_md_side(b, ch->old);
	DIFF_PUTS(b, " | ");
	diff_md_side(b, ch->new);
	DIFF_PUTS(b, " | ");
	report_md_text(b, c->reason);
	DIFF_PUTS(b, " |\n");
	free(who);
}

/* diff_md_list - "`a`, `b`" of n scenario ids */
static void
diff_md_list(struct buf *b, const char *const *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			DIFF_PUTS(b, ", ");
		report_md_text(b, ids[i]);
	}
}
/* diff_validators - do the cells of d's runs name more than one lab
 * validator (resolver)?  Then a changed cell's target is shown as
 * TARGET@RESOLVER. */
static int
diff_validators(const struct diff *d)
{
	const struct diff_run *runs[] = { &d->old, &d->new };
	const char *first = NULL;

	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < runs[k]->n; i++) {
			const char *r = runs[k]->cells[i].resolver;

			r = r ? r : "";
			if (first == NULL)
				first = r;
			else if (strcmp(first, r) != 0)
				return 1;
		}
	return 0;
}


void
diff_markdown(struct buf *b, const struct diff *d)
{
	int multi = diff_validators(d);

	DIFF_PUTS(b, "## danelab report diff\n\n| run | id | file | cells | "
	    "verdicts | targets |\n|---|---|---|---:|---|---|\n");
	diff_md_run(b, "old", &d->old);
	diff_md_run(b, "new", &d->new);
	if (d->nchanges == 0) {
		buf_printf(b, "\n**no differences**: the same %zu cells, with "
		    "the same verdicts and observed outcomes.\n", d->same);
		return;
	}
	buf_printf(b, "\n**%s**: ", diff_status(d) ? "REGRESSED"
	    : "no regressions");
	for (int k = 0; k < DIFF_KIND_COUNT; k++)
		buf_printf(b, "%zu %s%s, ", d->counts[k], diff_md_counted[k],
		    d->counts[k] != 1 && k != DIFF_FIXED && k != DIFF_CHANGED
		    ? "s" : "");
	buf_printf(b, "%zu cells unchanged.\n", d->same);
	if (d->nscn_added || d->nscn_removed) {
		DIFF_PUTS(b, "\n### New and removed scenarios\n\n");
		if (d->nscn_added) {
			buf_printf(b, "- new (%zu): ", d->nscn_added);
			diff_md_list(b, d->scn_added, d->nscn_added);
			DIFF_PUTS(b, "\n");
		}
		if (d->nscn_removed) {
			buf_printf(b, "- removed (%zu): ", d->nscn_removed);
			diff_md_list(b, d->scn_removed, d->nscn_removed);
			DIFF_PUTS(b, "\n");
		}
	}
	for (size_t i = 0, rows = 0; i < d->nchanges; i++) {
		const struct diff_change *ch = &d->changes[i];

		if (i == 0 || ch->kind != ch[-1].kind) {
			buf_printf(b, "\n### %s (%zu)\n\n| target | scenario | "
			    "proto | policy | expected | old | new | reason |\n"
			    "|---|---|---|---|---|---|---|---|\n",
			    diff_md_titles[ch->kind], d->counts[ch->kind]);
			rows = 0;
		}
		if (rows++ < DIFF_MD_MAX_ROWS)
			diff_md_row(b, ch, multi);
		else if (rows == d->counts[ch->kind])
			buf_printf(b, "\n... and %zu more (see the JSON "
			    "form)\n",
			    rows - DIFF_MD_MAX_ROWS);
	}
}

/* diff_json_members - n members "key": "value" of kv (key, value pairs;
 * a NULL value is ""), each after ", " */
static void
diff_json_members(struct buf *b, const char *const (*kv)[2], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		buf_printf(b, ", \"%s\": ", kv[i][0]);
		json_string(b, kv[i][1], 0);
	}
}
#define DIFF_JSON_MEMBERS(b, ...) diff_json_members((b), \
	(const char *const [][2]){ __VA_ARGS__ }, \
	sizeof((const char *const [][2]){ __VA_ARGS__ }) / (2 * sizeof(char *)))

/* diff_json_run - the "old"/"new" object: file, run id, start, targets */
static void
diff_json_run(struct buf *b, const char *which, const struct diff_run *r)
{
	buf_printf(b, "\"%s\": {\"cells\": %zu", which, r->n);
	DIFF_JSON_MEMBERS(b, { "file", r->path }, { "id", r->meta.run_id },
	    { "started", r->meta.started }, { "targets", r->meta.targets });
	DIFF_PUTS(b, "},\n");
}

/* diff_json_side - a cell's verdict, observed, expected, reason; or null */
static void
diff_json_side(struct buf *b, const struct report_cell *c)
{
	if (c == NULL) {
		DIFF_PUTS(b, "null");
		return;
	}
	buf_printf(b, "{\"verdict\": \"%s\"", verdict_name(c->verdict));
	DIFF_JSON_MEMBERS(b, { "observed", c->observed },
	    { "expected", c->expected }, { "reason", c->reason });
	DIFF_PUTS(b, "}");
}

/* diff_json_list - a JSON array of n strings */
static void
diff_json_list(struct buf *b, const char *const *s, size_t n)
{
	DIFF_PUTS(b, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			DIFF_PUTS(b, ", ");
		json_string(b, s[i], 0);
	}
	DIFF_PUTS(b, "]");
}

void
diff_json(struct buf *b, const struct diff *d)
{
	buf_printf(b, "{\n\"schema\": \"%s\",\n\"version\": %d,\n",
	    DIFF_SCHEMA, DIFF_VERSION);
	diff_json_run(b, "old", &d->old);
	diff_json_run(b, "new", &d->new);
	buf_printf(b, "\"regressed\": %s,\n\"counts\": {",
	    diff_status(d) ? "true" : "false");
	for (int k = 0; k < DIFF_KIND_COUNT; k++)
		buf_printf(b, "\"%s\": %zu, ", diff_kind_names[k],
		    d->counts[k]);
	buf_printf(b, "\"same\": %zu},\n\"scenarios_added\": ", d->same);
	diff_json_list(b, d->scn_added, d->nscn_added);
	DIFF_PUTS(b, ",\n\"scenarios_removed\": ");
	diff_json_list(b, d->scn_removed, d->nscn_removed);
	DIFF_PUTS(b, ",\n\"changes\": [");
	for (size_t i = 0; i < d->nchanges; i++) {
		const struct diff_change *ch = &d->changes[i];
		const struct report_cell *c = ch->new ? ch->new : ch->old;

		buf_printf(b, "%s\n{\"change\": \"%s\"", i ? "," : "",
		    diff_kind_names[ch->kind]);
		DIFF_JSON_MEMBERS(b, { "target", c->target },
		    { "resolver", c->resolver },
		    { "scenario", c->scenario }, { "proto", c->proto },
		    { "policy", c->policy }, { "area", c->area },
		    { "file", c->file });
		DIFF_PUTS(b, ", \"old\": ");
		diff_json_side(b, ch->old);
		DIFF_PUTS(b, ", \"new\": ");
		diff_json_side(b, ch->new);
		DIFF_PUTS(b, "}");
	}
	DIFF_PUTS(b, "\n]\n}\n");
}

/* diff_write - write b into dir/name; 0, or -1 after saying why */
static int
diff_write(const char *dir, const char *name, const struct buf *b)
{
	char *path = xasprintf("%s/%s", dir, name);
	int ret = 0;

	if (file_write(path, b->data, b->len) != 0) {
		msg_warn("cannot write %s: %s", path, strerror(errno));
		ret = -1;
	}
	free(path);
	return ret;
}

int
diff_report(const char *old, const char *new, const char *outdir,
    enum diff_format format, FILE *out)
{
	struct diff d = { 0 };
	struct buf md = { 0 }, js = { 0 };
	const struct buf *b;
	int status = EXIT_USAGE;

	if (diff_compare(&d, old, new) != 0)
		goto out;
	diff_markdown(&md, &d);
	diff_json(&js, &d);
	status = EXIT_ENV;
	if (outdir && (file_mkdirs(outdir) != 0
	    || diff_write(outdir, "diff.md", &md) != 0
	    || diff_write(outdir, "diff.json", &js) != 0))
		goto out;
	b = format == DIFF_JSON ? &js : &md;
	if (fwrite(b->data, 1, b->len, out) != b->len || fflush(out) != 0) {
		msg_warn("cannot write the diff: %s", strerror(errno));
		goto out;
	}
	status = diff_status(&d);
out:
	buf_free(&md);
	buf_free(&js);
	diff_free(&d);
	return status;
}
