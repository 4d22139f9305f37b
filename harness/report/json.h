/*
 * json.h - a little JSON: a string writer that always emits valid JSON
 * (and, on request, text safe inside an HTML <script> element), a UTF-8
 * decoder shared with the XML writer, and a small, strict, bounded reader
 * into a tree (objects, arrays, strings with escapes, numbers, true,
 * false, null) for reading back results.json.
 */
#ifndef DANELAB_JSON_H
#define DANELAB_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "mem.h"

/* Flags of json_string(). */
#define JSON_HTML	1	/* escape < > & U+2028 U+2029: safe in <script> */

/*
 * json_utf8_next - decode one UTF-8 character of s (len bytes left, len
 * > 0) into *cp.  Returns its length in bytes, or 0 when the bytes at s
 * are not a valid, shortest-form encoding of a scalar value (overlong
 * forms, surrogates and values past U+10FFFF are invalid).
 */
size_t json_utf8_next(const char *s, size_t len, uint32_t *cp);

/* json_utf8_put - append code point cp to b as UTF-8 */
void json_utf8_put(struct buf *b, uint32_t cp);

/*
 * json_string - append s (NULL counts as "") to b as a quoted JSON
 * string: \" \\ \b \f \n \r \t, \u00XX for other control characters,
 * each invalid UTF-8 byte replaced by U+FFFD; flags JSON_HTML or 0.
 */
void json_string(struct buf *b, const char *s, int flags);

/* json_number - append a finite double (shortest exact form); else null */
void json_number(struct buf *b, double d);

enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

/* One parsed value; a tree owned by its root. */
struct json_value {
	enum json_type type;
	double number;			/* JSON_NUMBER */
	char *string;			/* JSON_STRING, NUL-terminated, no NUL inside */
	size_t n;			/* items (and keys) of an array or object */
	struct json_value *items;
	char **keys;			/* JSON_OBJECT: keys[i] names items[i] */
	int line;			/* where the value starts, for messages */
	size_t offset;
};

/* Limits of the reader. */
#define JSON_MAX_DEPTH	32
#define JSON_MAX_INPUT	((size_t)1 << 30)

/*
 * json_parse - parse text (len bytes; it need not be NUL-terminated) as
 * one JSON value with nothing but white space after it.  Duplicate keys,
 * "\u0000", invalid UTF-8, nesting past JSON_MAX_DEPTH and input past
 * JSON_MAX_INPUT are errors.  Returns the tree (free with json_free), or
 * NULL with "line L, byte B: message" in err (errlen bytes).
 */
struct json_value *json_parse(const char *text, size_t len, char *err,
    size_t errlen);

/* json_free - free a tree from json_parse; returns NULL */
struct json_value *json_free(struct json_value *v);

/* json_get - member key of object v, or NULL (also when v is no object); borrowed */
const struct json_value *json_get(const struct json_value *v, const char *key);

#endif
