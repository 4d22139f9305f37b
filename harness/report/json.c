/* json.c - JSON string writer, UTF-8 decoder and a small strict reader */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mem.h"

size_t
json_utf8_next(const char *str, size_t len, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t c, min;
	size_t need, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		c = s[0] & 0x1f; need = 2; min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		c = s[0] & 0x0f; need = 3; min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		c = s[0] & 0x07; need = 4; min = 0x10000;
	} else
		return 0;
	if (len < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return need;
}

void
json_utf8_put(struct buf *b, uint32_t cp)
{
	char u[4];

	if (cp < 0x80) {
		u[0] = (char)cp;
		buf_append(b, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		buf_append(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		buf_append(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		buf_append(b, u, 4);
	}
}

void
json_string(struct buf *b, const char *s, int flags)
{
	size_t len = s ? strlen(s) : 0, i = 0, run = 0, k;
	uint32_t cp;

	buf_append(b, "\"", 1);
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char hex[8];

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
		    && !((flags & JSON_HTML) && (c == '<' || c == '>'
		    || c == '&'))) {
			i++;
			run++;
			continue;
		}
		/* Flush the run of plain bytes before this one. */
		buf_append(b, s + i - run, run);
		run = 0;
		if (c >= 0x80) {
			if ((k = json_utf8_next(s + i, len - i, &cp)) == 0) {
				buf_append(b, "\xef\xbf\xbd", 3);
				i++;
			} else if ((flags & JSON_HTML)
			    && (cp == 0x2028 || cp == 0x2029)) {
				buf_printf(b, "\\u%04x", (unsigned)cp);
				i += k;
			} else {
				buf_append(b, s + i, k);
				i += k;
			}
			continue;
		}
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			snprintf(hex, sizeof(hex), "\\u%04x", c);
			esc = hex;
		}
		buf_append(b, esc, strlen(esc));
		i++;
	}
	buf_append(b, s + i - run, run);
	buf_append(b, "\"", 1);
}

void
json_number(struct buf *b, double d)
{
	char tmp[40];

	if (!isfinite(d)) {
		buf_append(b, "null", 4);
		return;
	}
	for (int p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*g", p, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	buf_append(b, tmp, strlen(tmp));
}

/* The reader's state: the text, where it is, and the first error. */
struct json_reader {
	const char *s;
	size_t len;
	size_t pos;
	int line;
	char *err;
	size_t errlen;
	int failed;
};

/* json_fail - record the first error at the current position; returns -1 */
static int __attribute__((format(printf, 2, 3)))
json_fail(struct json_reader *r, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (r->failed++)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->err, r->errlen, "line %d, byte %zu: %s", r->line, r->pos,
	    msg);
	return -1;
}

/* json_skip_space - step over JSON white space, counting lines */
static void
json_skip_space(struct json_reader *r)
{
	while (r->pos < r->len) {
		char c = r->s[r->pos];

		if (c == '\n')
			r->line++;
		else if (c != ' ' && c != '\t' && c != '\r')
			break;
		r->pos++;
	}
}

/* json_hex4 - four hex digits at the position, or -1 */
static long
json_hex4(struct json_reader *r)
{
	long v = 0;

	if (r->len - r->pos < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = r->s[r->pos + i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	r->pos += 4;
	return v;
}

/* json_read_string - a string at the opening quote into a new C string */
static char *
json_read_string(struct json_reader *r)
{
	struct buf b = { 0 };
	uint32_t cp;
	size_t k;

	r->pos++;	/* the opening quote */
	for (;;) {
		unsigned char c;
		long u, lo;

		if (r->pos >= r->len) {
			json_fail(r, "unterminated string");
			goto fail;
		}
		c = (unsigned char)r->s[r->pos];
		if (c == '"') {
			r->pos++;
			break;
		}
		if (c < 0x20) {
			json_fail(r, "control character 0x%02x in a string", c);
			goto fail;
		}
		if (c >= 0x80) {
			if ((k = json_utf8_next(r->s + r->pos, r->len - r->pos,
			    &cp)) == 0) {
				json_fail(r, "invalid UTF-8 in a string");
				goto fail;
			}
			buf_append(&b, r->s + r->pos, k);
			r->pos += k;
			continue;
		}
		if (c != '\\') {
			buf_append(&b, r->s + r->pos++, 1);
			continue;
		}
		if (++r->pos >= r->len) {
			json_fail(r, "unterminated string");
			goto fail;
		}
		switch (r->s[r->pos++]) {
		case '"': buf_append(&b, "\"", 1); break;
		case '\\': buf_append(&b, "\\", 1); break;
		case '/': buf_append(&b, "/", 1); break;
		case 'b': buf_append(&b, "\b", 1); break;
		case 'f': buf_append(&b, "\f", 1); break;
		case 'n': buf_append(&b, "\n", 1); break;
		case 'r': buf_append(&b, "\r", 1); break;
		case 't': buf_append(&b, "\t", 1); break;
		case 'u':
			if ((u = json_hex4(r)) < 0) {
				json_fail(r, "bad \\u escape");
				goto fail;
			}
			if (u >= 0xd800 && u <= 0xdbff) {
				if (r->len - r->pos < 2 || r->s[r->pos] != '\\'
				    || r->s[r->pos + 1] != 'u') {
					json_fail(r, "lone surrogate \\u%04lx", u);
					goto fail;
				}
				r->pos += 2;
				lo = json_hex4(r);
				if (lo < 0xdc00 || lo > 0xdfff) {
					json_fail(r, "bad low surrogate");
					goto fail;
				}
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				json_fail(r, "lone surrogate \\u%04lx", u);
				goto fail;
			} else if (u == 0) {
				json_fail(r, "\\u0000 is not allowed");
				goto fail;
			}
			json_utf8_put(&b, (uint32_t)u);
			break;
		default:
			r->pos--;
			json_fail(r, "bad escape \\%c", r->s[r->pos]);
			goto fail;
		}
	}
	if (b.data == NULL)
		buf_append(&b, "", 0);
	return b.data;
fail:
	buf_free(&b);
	return NULL;
}

/* json_read_number - a number per RFC 8259's grammar into v */
static int
json_read_number(struct json_reader *r, struct json_value *v)
{
	size_t start = r->pos;
	char tmp[64];

	if (r->pos < r->len && r->s[r->pos] == '-')
		r->pos++;
	if (r->pos < r->len && r->s[r->pos] == '0')
		r->pos++;
	else if (r->pos < r->len && r->s[r->pos] >= '1' && r->s[r->pos] <= '9')
		while (r->pos < r->len && r->s[r->pos] >= '0'
		    && r->s[r->pos] <= '9')
			r->pos++;
	else
		return json_fail(r, "bad number");
	if (r->pos < r->len && r->s[r->pos] == '.') {
		if (++r->pos >= r->len || r->s[r->pos] < '0'
		    || r->s[r->pos] > '9')
			return json_fail(r, "bad number: digits wanted after .");
		while (r->pos < r->len && r->s[r->pos] >= '0'
		    && r->s[r->pos] <= '9')
			r->pos++;
	}
	if (r->pos < r->len && (r->s[r->pos] == 'e' || r->s[r->pos] == 'E')) {
		r->pos++;
		if (r->pos < r->len && (r->s[r->pos] == '+'
		    || r->s[r->pos] == '-'))
			r->pos++;
		if (r->pos >= r->len || r->s[r->pos] < '0' || r->s[r->pos] > '9')
			return json_fail(r, "bad number: exponent digits wanted");
		while (r->pos < r->len && r->s[r->pos] >= '0'
		    && r->s[r->pos] <= '9')
			r->pos++;
	}
	if (r->pos - start >= sizeof(tmp)) {
		r->pos = start;
		return json_fail(r, "number too long");
	}
	memcpy(tmp, r->s + start, r->pos - start);
	tmp[r->pos - start] = 0;
	v->type = JSON_NUMBER;
	v->number = strtod(tmp, NULL);
	if (!isfinite(v->number)) {
		r->pos = start;
		return json_fail(r, "number out of range");
	}
	return 0;
}

/* json_literal - true, false or null at the position */
static int
json_literal(struct json_reader *r, struct json_value *v)
{
	static const struct {
		const char *word;
		enum json_type type;
	} words[] = {
		{ "true", JSON_TRUE }, { "false", JSON_FALSE }, { "null", JSON_NULL },
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t k = strlen(words[i].word);

		if (r->len - r->pos >= k
		    && memcmp(r->s + r->pos, words[i].word, k) == 0) {
			r->pos += k;
			v->type = words[i].type;
			return 0;
		}
	}
	if (r->s[r->pos] > 0x20 && r->s[r->pos] < 0x7f)
		return json_fail(r, "unexpected character '%c'", r->s[r->pos]);
	return json_fail(r, "unexpected byte 0x%02x",
	    (unsigned char)r->s[r->pos]);
}

/* json_value_clear - free what v holds, not v itself */
static void
json_value_clear(struct json_value *v)
{
	for (size_t i = 0; i < v->n; i++) {
		json_value_clear(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->string);
	memset(v, 0, sizeof(*v));
}

static int json_read_value(struct json_reader *r, struct json_value *v,
    int depth);

/* json_read_container - an array or object at its opening bracket */
static int
json_read_container(struct json_reader *r, struct json_value *v, int depth)
{
	int object = r->s[r->pos] == '{';
	char close = object ? '}' : ']';
	size_t cap = 0;

	if (depth >= JSON_MAX_DEPTH)
		return json_fail(r, "nested deeper than %d", JSON_MAX_DEPTH);
	v->type = object ? JSON_OBJECT : JSON_ARRAY;
	r->pos++;
	json_skip_space(r);
	if (r->pos < r->len && r->s[r->pos] == close) {
		r->pos++;
		return 0;
	}
	for (;;) {
		char *key = NULL;

		json_skip_space(r);
		if (object) {
			if (r->pos >= r->len || r->s[r->pos] != '"')
				return json_fail(r, "a key (string) wanted");
			if ((key = json_read_string(r)) == NULL)
				return -1;
			for (size_t i = 0; i < v->n; i++)
				if (strcmp(v->keys[i], key) == 0) {
					json_fail(r, "duplicate key \"%.40s\"",
					    key);
					free(key);
					return -1;
				}
			json_skip_space(r);
			if (r->pos >= r->len || r->s[r->pos] != ':') {
				free(key);
				return json_fail(r, "':' wanted");
			}
			r->pos++;
		}
		if (v->n == cap) {
			cap = cap ? cap * 2 : 8;
			v->items = xrealloc(v->items, cap * sizeof(*v->items));
			if (object)
				v->keys = xrealloc(v->keys, cap * sizeof(char *));
		}
		memset(&v->items[v->n], 0, sizeof(v->items[0]));
		if (object)
			v->keys[v->n] = key;
		v->n++;
		if (json_read_value(r, &v->items[v->n - 1], depth + 1) < 0)
			return -1;
		json_skip_space(r);
		if (r->pos < r->len && r->s[r->pos] == ',') {
			r->pos++;
			continue;
		}
		if (r->pos < r->len && r->s[r->pos] == close) {
			r->pos++;
			return 0;
		}
		return json_fail(r, "',' or '%c' wanted", close);
	}
}

/* json_read_value - one value of any type at the position */
static int
json_read_value(struct json_reader *r, struct json_value *v, int depth)
{
	char c;

	json_skip_space(r);
	if (r->pos >= r->len)
		return json_fail(r, "unexpected end of input");
	v->line = r->line;
	v->offset = r->pos;
	c = r->s[r->pos];
	if (c == '{' || c == '[')
		return json_read_container(r, v, depth);
	if (c == '"') {
		v->type = JSON_STRING;
		return (v->string = json_read_string(r)) ? 0 : -1;
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return json_read_number(r, v);
	return json_literal(r, v);
}

struct json_value *
json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct json_reader r = { text, len, 0, 1, err, errlen, 0 };
	struct json_value *v = xcalloc(1, sizeof(*v));

	if (len > JSON_MAX_INPUT) {
		json_fail(&r, "input larger than %zu bytes", JSON_MAX_INPUT);
		return json_free(v);
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		json_fail(&r, "byte order mark not allowed");
		return json_free(v);
	}
	if (json_read_value(&r, v, 0) < 0)
		return json_free(v);
	json_skip_space(&r);
	if (r.pos < r.len) {
		json_fail(&r, "trailing data after the value");
		return json_free(v);
	}
	return v;
}

struct json_value *
json_free(struct json_value *v)
{
	if (v) {
		json_value_clear(v);
		free(v);
	}
	return NULL;
}

const struct json_value *
json_get(const struct json_value *v, const char *key)
{
	if (v == NULL || v->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0)
			return &v->items[i];
	return NULL;
}
