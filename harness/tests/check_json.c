/*
 * check_json.c - json.c: the string writer's escaping (and its HTML-safe
 * mode), numbers, UTF-8 decoding, and the strict reader: nesting,
 * escapes, numbers, and every way it refuses input, with where.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mem.h"
#include "suites.h"

/* str - json_string of s with flags, as a C string; caller frees */
static char *
str(const char *s, int flags)
{
	struct buf b = { 0 };

	json_string(&b, s, flags);
	return b.data;
}

/* num - json_number of d; caller frees */
static char *
num(double d)
{
	struct buf b = { 0 };

	json_number(&b, d);
	return b.data;
}

/* str_is - json_string(s, flags) is want */
static void
str_is(const char *s, int flags, const char *want)
{
	char *got = str(s, flags);

	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(test_string)
{
	str_is("plain", 0, "\"plain\"");
	str_is(NULL, 0, "\"\"");
	str_is("", 0, "\"\"");
	str_is("a\"b\\c", 0, "\"a\\\"b\\\\c\"");
	str_is("\b\f\n\r\t", 0, "\"\\b\\f\\n\\r\\t\"");
	str_is("\x01\x1f", 0, "\"\\u0001\\u001f\"");
	str_is("\x7f", 0, "\"\x7f\"");		/* DEL is no control to JSON */
	/* Valid UTF-8 goes through as it is. */
	str_is("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92", 0,
	    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92\"");
	/* HTML-safe only on request. */
	str_is("</script>&", 0, "\"</script>&\"");
	str_is("</script>&", JSON_HTML, "\"\\u003c/script\\u003e\\u0026\"");
	str_is("\xe2\x80\xa8\xe2\x80\xa9", 0, "\"\xe2\x80\xa8\xe2\x80\xa9\"");
	str_is("\xe2\x80\xa8\xe2\x80\xa9", JSON_HTML, "\"\\u2028\\u2029\"");
}
END_TEST

/* The writer's error paths: what is not valid UTF-8 still makes valid
 * JSON, each bad byte one U+FFFD. */
START_TEST(test_string_invalid)
{
	str_is("a\xff" "b", 0, "\"a\xef\xbf\xbd" "b\"");
	str_is("\xc0\xaf", 0, "\"\xef\xbf\xbd\xef\xbf\xbd\"");	/* overlong */
	str_is("\xed\xa0\x80", 0,				/* surrogate */
	    "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	str_is("\xe2\x82", 0, "\"\xef\xbf\xbd\xef\xbf\xbd\"");	/* cut short */
	str_is("\xf4\x90\x80\x80", 0,				/* > U+10FFFF */
	    "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
}
END_TEST

START_TEST(test_number)
{
	static const struct {
		double d;
		const char *want;
	} cases[] = {
		{ 0, "0" }, { 1, "1" }, { -2.5, "-2.5" }, { 0.1, "0.1" },
		{ 1e300, "1e+300" }, { 123456789, "123456789" },
		{ 0.30000000000000004, "0.30000000000000004" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = num(cases[i].d);

		ck_assert_str_eq(got, cases[i].want);
		ck_assert(strtod(got, NULL) == cases[i].d);
		free(got);
	}
	/* Not finite: null, still valid JSON. */
	for (int i = 0; i < 3; i++) {
		char *got = num(i == 0 ? NAN : i == 1 ? INFINITY : -INFINITY);

		ck_assert_str_eq(got, "null");
		free(got);
	}
}
END_TEST

START_TEST(test_utf8)
{
	uint32_t cp = 0;
	struct buf b = { 0 };

	ck_assert_uint_eq(json_utf8_next("A", 1, &cp), 1);
	ck_assert_uint_eq(cp, 'A');
	ck_assert_uint_eq(json_utf8_next("\xc3\xa9", 2, &cp), 2);
	ck_assert_uint_eq(cp, 0xe9);
	ck_assert_uint_eq(json_utf8_next("\xf4\x8f\xbf\xbf", 4, &cp), 4);
	ck_assert_uint_eq(cp, 0x10ffff);
	ck_assert_uint_eq(json_utf8_next("\xc3\xa9", 1, &cp), 0);
	ck_assert_uint_eq(json_utf8_next("\xe0\x80\x80", 3, &cp), 0);
	ck_assert_uint_eq(json_utf8_next("\x80", 1, &cp), 0);
	for (uint32_t c = 1; c < 0x110000; c += 0x3fff) {
		uint32_t back = 0;

		if (c >= 0xd800 && c <= 0xdfff)
			continue;
		b.len = 0;
		json_utf8_put(&b, c);
		ck_assert_uint_eq(json_utf8_next(b.data, b.len, &back), b.len);
		ck_assert_uint_eq(back, c);
	}
	buf_free(&b);
}
END_TEST

/* parse - json_parse of a C string, which must succeed */
static struct json_value *
parse(const char *text)
{
	char err[160] = "";
	struct json_value *v = json_parse(text, strlen(text), err,
	    sizeof(err));

	ck_assert_msg(v != NULL, "%s: %s", text, err);
	return v;
}

START_TEST(test_parse)
{
	struct json_value *v = parse(" {\"a\": [1, -2.5e1, true, false, "
	    "null, \"x\\u00e9\\ud83d\\udd12\\n\"],\n \"b\": {\"c\": {}},"
	    " \"d\": []} ");
	const struct json_value *a = json_get(v, "a"), *b;

	ck_assert_int_eq(v->type, JSON_OBJECT);
	ck_assert_uint_eq(v->n, 3);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->type, JSON_ARRAY);
	ck_assert_uint_eq(a->n, 6);
	ck_assert(a->items[0].type == JSON_NUMBER && a->items[0].number == 1);
	ck_assert(a->items[1].number == -25);
	ck_assert_int_eq(a->items[2].type, JSON_TRUE);
	ck_assert_int_eq(a->items[3].type, JSON_FALSE);
	ck_assert_int_eq(a->items[4].type, JSON_NULL);
	ck_assert_str_eq(a->items[5].string, "x\xc3\xa9\xf0\x9f\x94\x92\n");
	b = json_get(v, "b");
	ck_assert_int_eq(json_get(b, "c")->type, JSON_OBJECT);
	ck_assert_int_eq(b->line, 2);
	ck_assert_ptr_null(json_get(v, "nope"));
	ck_assert_ptr_null(json_get(a, "a"));	/* not an object */
	ck_assert_uint_eq(json_get(v, "d")->n, 0);
	ck_assert_ptr_null(json_free(v));
}
END_TEST

/* What the writer writes, the reader reads back the same. */
START_TEST(test_round_trip)
{
	static const char *const strings[] = {
		"", "plain", "a\"b\\c", "\b\f\n\r\t\x01", "caf\xc3\xa9",
		"</script>&\xe2\x80\xa8", "\xf0\x9f\x94\x92",
	};

	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		for (int flags = 0; flags <= JSON_HTML; flags += JSON_HTML) {
			char *text = str(strings[i], flags);
			struct json_value *v = parse(text);

			ck_assert_int_eq(v->type, JSON_STRING);
			ck_assert_str_eq(v->string, strings[i]);
			json_free(v);
			free(text);
		}
}
END_TEST

/* Nesting up to JSON_MAX_DEPTH is read, one level more is refused. */
START_TEST(test_depth)
{
	struct buf b = { 0 };
	struct json_value *v;
	char err[160];

	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		buf_append(&b, "[", 1);
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		buf_append(&b, "]", 1);
	v = json_parse(b.data, b.len, err, sizeof(err));
	ck_assert_ptr_nonnull(v);
	json_free(v);
	b.len = 0;
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		buf_append(&b, "[", 1);
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		buf_append(&b, "]", 1);
	ck_assert_ptr_null(json_parse(b.data, b.len, err, sizeof(err)));
	ck_assert_msg(strstr(err, "nested deeper than") != NULL, "%s", err);
	buf_free(&b);
}
END_TEST

START_TEST(test_parse_errors)
{
	static const struct {
		const char *text;
		const char *message;	/* expected in the error */
	} cases[] = {
		{ "", "line 1, byte 0: unexpected end of input" },
		{ "{\"a\": 1", "line 1, byte 7: ',' or '}' wanted" },
		{ "[1,]", "unexpected character ']'" },
		{ "[1 2]", "',' or ']' wanted" },
		{ "{\"a\" 1}", "':' wanted" },
		{ "{1: 2}", "a key (string) wanted" },
		{ "{\"a\": 1, \"a\": 2}", "duplicate key \"a\"" },
		{ "\"abc", "unterminated string" },
		{ "\"a\tb\"", "control character 0x09 in a string" },
		{ "\"\xff\"", "invalid UTF-8 in a string" },
		{ "\"\\x\"", "bad escape \\x" },
		{ "\"\\u12\"", "bad \\u escape" },
		{ "\"\\ud800\"", "lone surrogate \\ud800" },
		{ "\"\\udc00\"", "lone surrogate \\udc00" },
		{ "\"\\ud800\\u0041\"", "bad low surrogate" },
		{ "\"\\u0000\"", "\\u0000 is not allowed" },
		{ "-", "bad number" },
		{ "1.", "digits wanted after ." },
		{ "1e", "exponent digits wanted" },
		{ "1e999", "number out of range" },
		{ "tru", "unexpected character 't'" },
		{ "1 2", "line 1, byte 2:" },
		{ "[\n\n@]", "line 3, byte 3: unexpected character '@'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[160] = "";
		struct json_value *v = json_parse(cases[i].text,
		    strlen(cases[i].text), err, sizeof(err));

		ck_assert_msg(v == NULL, "case %zu accepted", i);
		ck_assert_msg(strstr(err, cases[i].message) != NULL,
		    "case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].message);
	}
}
END_TEST

Suite *
json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("json");

	tcase_add_test(tc, test_string);
	tcase_add_test(tc, test_string_invalid);
	tcase_add_test(tc, test_number);
	tcase_add_test(tc, test_utf8);
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_parse_errors);
	suite_add_tcase(s, tc);
	return s;
}
