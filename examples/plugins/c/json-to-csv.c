/*
 * json-to-csv: the Wasmhose reference plugin in C (see README.md).
 *
 * Each record is one flat JSON object with a string "user" and a numeric
 * "amount"; it becomes the CSV line user<delimiter>amount, with "user" as its
 * partition key. Negative amounts are dropped; anything else fails the record
 * with a message. The configuration {"delimiter":";"} changes the delimiter.
 *
 * The JSON scanner below is the plugin's own (no library): it reads a record
 * once, left to right, decodes strings into a scratch buffer only when they
 * hold escapes, and copies the amount's text as written.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wasmhose.h"

#define NOT_OBJECT "not a JSON object"
#define NESTED "nested values are not supported"
#define DUPLICATE "duplicate key"
#define USER "user must be a string"
#define AMOUNT "amount must be a number"
#define BAD_CONFIG "configuration must be a JSON object"
#define BAD_DELIMITER "delimiter must be one ASCII character other than a quote or a line break"
#define MAX_CONFIG_DEPTH 64

static uint8_t delimiter = ',';

/* A string or number: its bytes, in the input or in the scratch buffer. */
typedef struct {
	const uint8_t *p;
	size_t n;
} span;

typedef struct {
	const uint8_t *p, *end;
	uint8_t *scratch; /* decoded strings; never longer than their source */
	size_t used;
} scanner;

static int is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static void skip_ws(scanner *s) {
	while (s->p < s->end && is_ws(*s->p)) s->p++;
}

static int hex4(scanner *s, uint32_t *v) {
	if (s->end - s->p < 4) return -1;
	uint32_t x = 0;
	for (int i = 0; i < 4; i++) {
		uint8_t c = s->p[i];
		x <<= 4;
		if (c >= '0' && c <= '9') x |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f') x |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F') x |= (uint32_t)(c - 'A' + 10);
		else return -1;
	}
	s->p += 4;
	*v = x;
	return 0;
}

/* utf8_len returns the length of the valid UTF-8 sequence at p, or 0. */
static size_t utf8_len(const uint8_t *p, const uint8_t *end) {
	size_t avail = (size_t)(end - p);
	uint8_t c = p[0];
	uint8_t lo = 0x80, hi = 0xBF;
	size_t n;
	if (c >= 0xC2 && c <= 0xDF) n = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0) lo = 0xA0;
		if (c == 0xED) hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0) lo = 0x90;
		if (c == 0xF4) hi = 0x8F;
	} else return 0;
	if (avail < n || p[1] < lo || p[1] > hi) return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF) return 0;
	return n;
}

/* string reads a string (the opening quote already consumed) into out.
 * Returns 0, or -1 on a syntax error. */
static int string(scanner *s, span *out) {
	const uint8_t *start = s->p;
	/* Fast path: no escapes, the span stays in the input. */
	while (s->p < s->end) {
		uint8_t c = *s->p;
		if (c == '"') {
			out->p = start;
			out->n = (size_t)(s->p - start);
			s->p++;
			return 0;
		}
		if (c == '\\') break;
		if (c < 0x20) return -1;
		if (c < 0x80) s->p++;
		else {
			size_t n = utf8_len(s->p, s->end);
			if (!n) return -1;
			s->p += n;
		}
	}
	if (s->p >= s->end) return -1;
	/* Escapes: decode into the scratch buffer. */
	uint8_t *d = s->scratch + s->used;
	size_t n = (size_t)(s->p - start);
	memcpy(d, start, n);
	while (s->p < s->end) {
		uint8_t c = *s->p;
		if (c == '"') {
			s->p++;
			out->p = d;
			out->n = n;
			s->used += n;
			return 0;
		}
		if (c < 0x20) return -1;
		if (c >= 0x80) {
			size_t k = utf8_len(s->p, s->end);
			if (!k) return -1;
			memcpy(d + n, s->p, k);
			n += k;
			s->p += k;
			continue;
		}
		if (c != '\\') {
			d[n++] = c;
			s->p++;
			continue;
		}
		if (s->end - s->p < 2) return -1;
		c = s->p[1];
		s->p += 2;
		switch (c) {
		case '"': case '\\': case '/': d[n++] = c; break;
		case 'b': d[n++] = '\b'; break;
		case 'f': d[n++] = '\f'; break;
		case 'n': d[n++] = '\n'; break;
		case 'r': d[n++] = '\r'; break;
		case 't': d[n++] = '\t'; break;
		case 'u': {
			uint32_t cp, lo;
			if (hex4(s, &cp)) return -1;
			if (cp >= 0xDC00 && cp <= 0xDFFF) return -1;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u') return -1;
				s->p += 2;
				if (hex4(s, &lo) || lo < 0xDC00 || lo > 0xDFFF) return -1;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			}
			if (cp < 0x80) d[n++] = (uint8_t)cp;
			else if (cp < 0x800) {
				d[n++] = (uint8_t)(0xC0 | cp >> 6);
				d[n++] = (uint8_t)(0x80 | (cp & 0x3F));
			} else if (cp < 0x10000) {
				d[n++] = (uint8_t)(0xE0 | cp >> 12);
				d[n++] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
				d[n++] = (uint8_t)(0x80 | (cp & 0x3F));
			} else {
				d[n++] = (uint8_t)(0xF0 | cp >> 18);
				d[n++] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
				d[n++] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
				d[n++] = (uint8_t)(0x80 | (cp & 0x3F));
			}
			break;
		}
		default:
			return -1;
		}
	}
	return -1;
}

static int digit(scanner *s) { return s->p < s->end && *s->p >= '0' && *s->p <= '9'; }

/* number reads an RFC 8259 number. Returns 0, or -1. */
static int number(scanner *s, span *out) {
	const uint8_t *start = s->p;
	if (s->p < s->end && *s->p == '-') s->p++;
	if (s->p < s->end && *s->p == '0') s->p++;
	else if (digit(s)) while (digit(s)) s->p++;
	else return -1;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (!digit(s)) return -1;
		while (digit(s)) s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
		if (!digit(s)) return -1;
		while (digit(s)) s->p++;
	}
	out->p = start;
	out->n = (size_t)(s->p - start);
	return 0;
}

static int literal(scanner *s, const char *lit) {
	size_t n = strlen(lit);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0) return -1;
	s->p += n;
	return 0;
}

/* scalar reads a string, number, true, false or null; kind is set to '"',
 * '0' or 'l'. Returns 0, or -1. */
static int scalar(scanner *s, span *v, char *kind) {
	if (s->p >= s->end) return -1;
	switch (*s->p) {
	case '"': s->p++; *kind = '"'; return string(s, v);
	case 't': *kind = 'l'; return literal(s, "true");
	case 'f': *kind = 'l'; return literal(s, "false");
	case 'n': *kind = 'l'; return literal(s, "null");
	default: *kind = '0'; return number(s, v);
	}
}

/* --- duplicate keys: an open-addressing set of spans, cleared per record by
 * a generation number --- */

typedef struct {
	const uint8_t *p;
	size_t n;
	uint32_t gen;
} slot;

static slot *slots;
static size_t nslots, used_slots;
static uint32_t gen;

static uint32_t hash(const uint8_t *p, size_t n) {
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
	return h;
}

static void set_reset(void) {
	used_slots = 0;
	if (++gen == 0) { /* wrapped: clear for real */
		for (size_t i = 0; i < nslots; i++) slots[i].gen = 0;
		gen = 1;
	}
}

/* set_add adds k; returns 1 if it was there, 0 if added, -1 out of memory. */
static int set_add(span k) {
	if ((used_slots + 1) * 2 > nslots) {
		size_t nn = nslots ? nslots * 2 : 64;
		slot *ns = calloc(nn, sizeof *ns);
		if (!ns) return -1;
		for (size_t i = 0; i < nslots; i++) {
			if (slots[i].gen != gen) continue;
			size_t j = hash(slots[i].p, slots[i].n) & (nn - 1);
			while (ns[j].gen == gen) j = (j + 1) & (nn - 1);
			ns[j] = slots[i];
		}
		free(slots);
		slots = ns;
		nslots = nn;
	}
	size_t j = hash(k.p, k.n) & (nslots - 1);
	while (slots[j].gen == gen) {
		if (slots[j].n == k.n && memcmp(slots[j].p, k.p, k.n) == 0) return 1;
		j = (j + 1) & (nslots - 1);
	}
	slots[j].p = k.p;
	slots[j].n = k.n;
	slots[j].gen = gen;
	used_slots++;
	return 0;
}

static uint8_t *scratch;
static size_t scratch_cap;

static int ensure_scratch(size_t n) {
	if (n <= scratch_cap) return 0;
	free(scratch);
	scratch = malloc(n);
	scratch_cap = scratch ? n : 0;
	return scratch ? 0 : -1;
}

static int span_is(span s, const char *lit) {
	return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

/* csv appends s to the result, quoted if it holds the delimiter, a quote or
 * a line break. */
static void csv(wasmhose_result *res, span s) {
	int quote = 0;
	for (size_t i = 0; i < s.n && !quote; i++)
		quote = s.p[i] == delimiter || s.p[i] == '"' || s.p[i] == '\n' || s.p[i] == '\r';
	if (!quote) {
		wasmhose_append(res, s.p, s.n);
		return;
	}
	wasmhose_append_byte(res, '"');
	size_t from = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] == '"') {
			wasmhose_append(res, s.p + from, i + 1 - from); /* up to and with the quote */
			from = i; /* the quote again: doubled */
		}
	}
	wasmhose_append(res, s.p + from, s.n - from);
	wasmhose_append_byte(res, '"');
}

void wasmhose_on_record(const wasmhose_record *rec, wasmhose_result *res) {
	if (ensure_scratch(rec->len)) {
		wasmhose_failed(res, "out of memory");
		return;
	}
	scanner s = {rec->data, rec->data + rec->len, scratch, 0};
	span user = {0}, amount = {0};
	int have_user = 0, have_amount = 0;
	set_reset();
	skip_ws(&s);
	if (s.p >= s.end || *s.p != '{') goto syntax;
	s.p++;
	skip_ws(&s);
	if (s.p < s.end && *s.p == '}') s.p++;
	else for (;;) {
		span k, v;
		char kind;
		if (s.p >= s.end || *s.p != '"') goto syntax;
		s.p++;
		if (string(&s, &k)) goto syntax;
		int dup = set_add(k);
		if (dup < 0) {
			wasmhose_failed(res, "out of memory");
			return;
		}
		if (dup) {
			wasmhose_failed(res, DUPLICATE);
			return;
		}
		skip_ws(&s);
		if (s.p >= s.end || *s.p != ':') goto syntax;
		s.p++;
		skip_ws(&s);
		if (s.p < s.end && (*s.p == '{' || *s.p == '[')) {
			wasmhose_failed(res, NESTED);
			return;
		}
		if (scalar(&s, &v, &kind)) goto syntax;
		if (span_is(k, "user")) {
			have_user = kind == '"';
			user = v;
		} else if (span_is(k, "amount")) {
			have_amount = kind == '0';
			amount = v;
		}
		skip_ws(&s);
		if (s.p < s.end && *s.p == ',') {
			s.p++;
			skip_ws(&s);
			continue;
		}
		if (s.p < s.end && *s.p == '}') {
			s.p++;
			break;
		}
		goto syntax;
	}
	skip_ws(&s);
	if (s.p != s.end) goto syntax;
	if (!have_user) {
		wasmhose_failed(res, USER);
		return;
	}
	if (!have_amount) {
		wasmhose_failed(res, AMOUNT);
		return;
	}
	if (amount.p[0] == '-') {
		wasmhose_dropped(res);
		return;
	}
	wasmhose_ok(res, NULL, 0);
	csv(res, user);
	wasmhose_append_byte(res, delimiter);
	wasmhose_append(res, amount.p, amount.n);
	wasmhose_append_byte(res, '\n');
	wasmhose_partition_key(res, "user", 4, (const char *)user.p, user.n);
	return;
syntax:
	wasmhose_failed(res, NOT_OBJECT);
}

/* --- configuration --- */

static int config_value(scanner *s, int depth);

/* config_container reads an object or array (its opening byte current). */
static int config_container(scanner *s, int depth) {
	if (depth > MAX_CONFIG_DEPTH) return -1;
	uint8_t close = *s->p == '{' ? '}' : ']';
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			span k;
			if (s->p >= s->end || *s->p != '"') return -1;
			s->p++;
			if (string(s, &k)) return -1;
			skip_ws(s);
			if (s->p >= s->end || *s->p != ':') return -1;
			s->p++;
			skip_ws(s);
		}
		if (config_value(s, depth + 1)) return -1;
		skip_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			skip_ws(s);
			continue;
		}
		if (s->p < s->end && *s->p == close) {
			s->p++;
			return 0;
		}
		return -1;
	}
}

static int config_value(scanner *s, int depth) {
	span v;
	char kind;
	if (s->p < s->end && (*s->p == '{' || *s->p == '[')) return config_container(s, depth);
	return scalar(s, &v, &kind);
}

const char *wasmhose_on_init(const uint8_t *config, uint32_t len) {
	if (ensure_scratch(len)) return "out of memory";
	scanner s = {config, config + len, scratch, 0};
	int bad_delimiter = 0;
	uint8_t d = ',';
	skip_ws(&s);
	if (s.p == s.end) {
		delimiter = ',';
		return NULL;
	}
	if (*s.p != '{') return BAD_CONFIG;
	s.p++;
	skip_ws(&s);
	if (s.p < s.end && *s.p == '}') s.p++;
	else for (;;) {
		span k, v;
		char kind = 0;
		if (s.p >= s.end || *s.p != '"') return BAD_CONFIG;
		s.p++;
		if (string(&s, &k)) return BAD_CONFIG;
		skip_ws(&s);
		if (s.p >= s.end || *s.p != ':') return BAD_CONFIG;
		s.p++;
		skip_ws(&s);
		if (s.p < s.end && (*s.p == '{' || *s.p == '[')) {
			if (config_container(&s, 2)) return BAD_CONFIG;
		} else if (scalar(&s, &v, &kind)) return BAD_CONFIG;
		if (span_is(k, "delimiter")) {
			if (kind == '"' && v.n == 1 && v.p[0] < 0x80 && v.p[0] != '"' && v.p[0] != '\n' && v.p[0] != '\r')
				d = v.p[0];
			else
				bad_delimiter = 1;
		}
		skip_ws(&s);
		if (s.p < s.end && *s.p == ',') {
			s.p++;
			skip_ws(&s);
			continue;
		}
		if (s.p < s.end && *s.p == '}') {
			s.p++;
			break;
		}
		return BAD_CONFIG;
	}
	skip_ws(&s);
	if (s.p != s.end) return BAD_CONFIG;
	if (bad_delimiter) return BAD_DELIMITER;
	delimiter = d;
	return NULL;
}
