/*
 * wasmhose.c: the C SDK's implementation of Wasmhose plugin ABI version 1
 * (sdk/ABI.md). Compile it with the plugin; see wasmhose.h and README.md.
 */
#include "wasmhose.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WH_EXPORT(name) __attribute__((export_name(name)))

__attribute__((import_module("wasmhose_v1"), import_name("log")))
extern void wh_host_log(int32_t level, const char *ptr, uint32_t len);

struct wasmhose_result {
	uint8_t *buf;      /* the result frame */
	size_t len, cap;
	uint32_t count;    /* outcomes given so far */
	size_t cur;        /* offset of the current outcome's status */
	int phase;         /* 0: closed, 1: Ok payload open, 2: Ok keys open */
	size_t nkeys_off;  /* offset of the current outcome's nkeys */
	uint32_t nkeys;
	const char *err;   /* the first misuse or allocation failure */
};

static uint8_t *in_buf;         /* returned by alloc; the host writes here */
static size_t in_cap;
static wasmhose_record *recs;   /* decoded records (batch handler) */
static size_t recs_cap;
static struct wasmhose_result res;
static char err_text[160];      /* SDK error messages */
static uint8_t fail_frame[8 + sizeof err_text]; /* a BatchFailed frame when out of memory */

static void put32(uint8_t *p, uint32_t v) {
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p) {
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int grow(struct wasmhose_result *r, size_t n) {
	if (r->err) return 0;
	if (r->cap - r->len >= n) return 1;
	size_t c = r->cap ? r->cap * 2 : 4096;
	while (c - r->len < n) c *= 2;
	uint8_t *b = realloc(r->buf, c);
	if (!b) {
		r->err = "wasmhose sdk: out of memory for the result frame";
		return 0;
	}
	r->buf = b;
	r->cap = c;
	return 1;
}

static void emit(struct wasmhose_result *r, const void *p, size_t n) {
	if (n && grow(r, n)) {
		memcpy(r->buf + r->len, p, n);
		r->len += n;
	}
}

static void emit32(struct wasmhose_result *r, uint32_t v) {
	if (grow(r, 4)) {
		put32(r->buf + r->len, v);
		r->len += 4;
	}
}

/* close ends the current outcome: patches its payload length and nkeys. */
static void close_outcome(struct wasmhose_result *r) {
	if (r->err) return;
	if (r->phase == 1) {
		put32(r->buf + r->cur + 4, (uint32_t)(r->len - r->cur - 8));
		emit32(r, 0);
	} else if (r->phase == 2) {
		put32(r->buf + r->nkeys_off, r->nkeys);
	}
	r->phase = 0;
}

static void begin(struct wasmhose_result *r, uint32_t status) {
	close_outcome(r);
	r->cur = r->len;
	r->count++;
	emit32(r, status);
	emit32(r, 0);
}

void wasmhose_ok(wasmhose_result *r, const void *data, size_t len) {
	begin(r, 0);
	emit(r, data, len);
	r->phase = 1;
}

void wasmhose_append(wasmhose_result *r, const void *data, size_t len) {
	if (r->phase != 1) {
		if (!r->err) r->err = "wasmhose_append called outside an Ok record's data";
		return;
	}
	emit(r, data, len);
}

void wasmhose_append_byte(wasmhose_result *r, uint8_t b) {
	if (r->phase == 1 && r->len < r->cap) {
		r->buf[r->len++] = b;
		return;
	}
	wasmhose_append(r, &b, 1);
}

void wasmhose_partition_key(wasmhose_result *r, const char *name, size_t name_len,
                            const char *value, size_t value_len) {
	if (r->phase == 1) {
		if (r->err) return;
		put32(r->buf + r->cur + 4, (uint32_t)(r->len - r->cur - 8));
		r->nkeys_off = r->len;
		r->nkeys = 0;
		emit32(r, 0);
		r->phase = 2;
	}
	if (r->phase != 2) {
		if (!r->err) r->err = "wasmhose_partition_key called for a record that is not Ok";
		return;
	}
	if (name_len == 0) {
		if (!r->err) r->err = "wasmhose_partition_key called with an empty name";
		return;
	}
	emit32(r, (uint32_t)name_len);
	emit(r, name, name_len);
	emit32(r, (uint32_t)value_len);
	emit(r, value, value_len);
	r->nkeys++;
}

void wasmhose_dropped(wasmhose_result *r) {
	begin(r, 1);
	emit32(r, 0);
}

void wasmhose_failedn(wasmhose_result *r, const char *msg, size_t len) {
	begin(r, 2);
	emit(r, msg, len);
	if (!r->err) put32(r->buf + r->cur + 4, (uint32_t)len);
	emit32(r, 0);
}

void wasmhose_failed(wasmhose_result *r, const char *msg) {
	wasmhose_failedn(r, msg, msg ? strlen(msg) : 0);
}

void wasmhose_log(int level, const char *msg, size_t len) {
	if (len) wh_host_log(level, msg, (uint32_t)len);
}

void wasmhose_logf(int level, const char *fmt, ...) {
	char line[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0) return;
	wasmhose_log(level, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* --- the ABI exports --- */

static uint64_t pack(const void *p, size_t n) {
	return n ? (uint64_t)(uintptr_t)p << 32 | (uint64_t)n : 0;
}

/* text_append appends s to err_text at *n (truncating). */
static void text_append(size_t *n, const char *s) {
	while (*s && *n < sizeof err_text - 1) err_text[(*n)++] = *s++;
	err_text[*n] = 0;
}

static void text_u32(size_t *n, uint32_t v) {
	char d[11];
	int i = 10;
	d[i] = 0;
	do d[--i] = (char)('0' + v % 10); while (v /= 10);
	text_append(n, d + i);
}

/* batch_failed turns the result frame into a BatchFailed frame with msg. */
static uint64_t batch_failed(const char *msg) {
	size_t n = strlen(msg);
	res.err = NULL;
	res.len = 0;
	res.phase = 0;
	emit32(&res, 1);
	emit32(&res, (uint32_t)n);
	emit(&res, msg, n);
	if (res.err) { /* no memory even for this: a static frame */
		if (n > sizeof err_text) n = sizeof err_text;
		put32(fail_frame, 1);
		put32(fail_frame + 4, (uint32_t)n);
		memcpy(fail_frame + 8, msg, n);
		return pack(fail_frame, 8 + n);
	}
	return pack(res.buf, res.len);
}

/* region checks that [ptr, ptr+n) lies in the alloc buffer. */
static int region(uint32_t ptr, uint32_t n) {
	uintptr_t base = (uintptr_t)in_buf;
	if (!in_buf) return n == 0;
	return ptr >= base && (uint64_t)(ptr - base) + n <= in_cap;
}

WH_EXPORT("wasmhose_abi_v1")
void wh_abi_v1(void) {}

WH_EXPORT("wasmhose_v1_alloc")
uint32_t wh_alloc(uint32_t size) {
	if (size > in_cap || !in_buf) {
		size_t c = size < 64 ? 64 : size;
		free(in_buf);
		in_buf = malloc(c);
		in_cap = in_buf ? c : 0;
		if (!in_buf) return 0;
	}
	return (uint32_t)(uintptr_t)in_buf;
}

WH_EXPORT("wasmhose_v1_init")
uint64_t wh_init(uint32_t ptr, uint32_t len) {
	const char *e = NULL;
	if (!region(ptr, len)) e = "wasmhose sdk: config outside the alloc buffer";
	else if (wasmhose_on_init) {
		e = wasmhose_on_init(len ? (const uint8_t *)(uintptr_t)ptr : (const uint8_t *)"", len);
		if (e && !*e) e = "init failed";
	}
	if (!e) return 0;
	res.err = NULL;
	res.len = 0;
	emit(&res, e, strlen(e));
	if (res.err) return pack(e, strlen(e)); /* out of memory: the caller's text as is */
	return pack(res.buf, res.len);
}

/* decode walks the input frame. With out, it stores the records there. It
 * returns 0 when the frame is well formed. */
static int decode(const uint8_t *p, size_t n, uint32_t *count, wasmhose_record *out) {
	if (n < 4) return -1;
	uint32_t c = get32(p);
	size_t off = 4;
	if ((uint64_t)c * 12 > n - 4) return -1;
	for (uint32_t i = 0; i < c; i++) {
		if (n - off < 12) return -1;
		uint32_t l = get32(p + off + 8);
		if (n - off - 12 < l) return -1;
		if (out) {
			out[i].arrival_ms = (int64_t)((uint64_t)get32(p + off) | (uint64_t)get32(p + off + 4) << 32);
			out[i].len = l;
			out[i].data = p + off + 12;
		}
		off += 12 + (size_t)l;
	}
	if (off != n) return -1;
	*count = c;
	return 0;
}

WH_EXPORT("wasmhose_v1_transform")
uint64_t wh_transform(uint32_t ptr, uint32_t len) {
	const uint8_t *in = (const uint8_t *)(uintptr_t)ptr;
	uint32_t n = 0;
	if (!region(ptr, len)) return batch_failed("wasmhose sdk: input frame outside the alloc buffer");
	if (decode(in, len, &n, NULL) != 0) return batch_failed("wasmhose sdk: malformed input frame");
	res.err = NULL;
	res.len = 0;
	res.count = 0;
	res.phase = 0;
	emit32(&res, 0);
	emit32(&res, n);
	size_t e = 0;
	err_text[0] = 0;
	if (wasmhose_on_batch) {
		if (n > recs_cap) {
			wasmhose_record *r = realloc(recs, (size_t)n * sizeof *recs);
			if (!r) return batch_failed("wasmhose sdk: out of memory for the records");
			recs = r;
			recs_cap = n;
		}
		decode(in, len, &n, recs);
		const char *fail = wasmhose_on_batch(recs, n, &res);
		close_outcome(&res);
		if (fail) return batch_failed(*fail ? fail : "batch failed");
		if (!res.err && res.count != n) {
			text_append(&e, "wasmhose_on_batch gave ");
			text_u32(&e, res.count);
			text_append(&e, " outcomes for ");
			text_u32(&e, n);
			text_append(&e, " records");
			return batch_failed(err_text);
		}
	} else if (wasmhose_on_record) {
		const uint8_t *p = in + 4;
		for (uint32_t i = 0; i < n && !res.err; i++) {
			wasmhose_record r;
			r.arrival_ms = (int64_t)((uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32);
			r.len = get32(p + 8);
			r.data = p + 12;
			p += 12 + (size_t)r.len;
			wasmhose_on_record(&r, &res);
			if (res.count != i + 1) {
				text_append(&e, "wasmhose_on_record gave record ");
				text_u32(&e, i);
				text_append(&e, res.count <= i ? " no outcome" : " more than one outcome");
				return batch_failed(err_text);
			}
		}
		close_outcome(&res);
	} else {
		return batch_failed("wasmhose sdk: the plugin defines neither wasmhose_on_record nor wasmhose_on_batch");
	}
	if (res.err) return batch_failed(res.err);
	return pack(res.buf, res.len);
}
