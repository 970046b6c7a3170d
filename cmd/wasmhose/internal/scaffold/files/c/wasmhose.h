/*
 * wasmhose.h: the C and C++ SDK for Wasmhose plugins (ABI version 1).
 *
 * The SDK owns the ABI: the exports (wasmhose_abi_v1, wasmhose_v1_alloc,
 * wasmhose_v1_init, wasmhose_v1_transform), decoding input frames and
 * encoding result frames. A plugin defines one of these functions:
 *
 *   void wasmhose_on_record(const wasmhose_record *rec, wasmhose_result *res);
 *       called once per record, in order; it must give the record exactly one
 *       outcome: wasmhose_ok (then optionally wasmhose_append and
 *       wasmhose_partition_key), wasmhose_dropped or wasmhose_failed.
 *
 *   const char *wasmhose_on_batch(const wasmhose_record *recs, uint32_t n,
 *                                 wasmhose_result *res);
 *       called once per batch; it gives each record its outcome in order
 *       (n outcomes on res) and returns NULL, or returns error text to fail
 *       the whole batch (the service retries it, then sends its records to
 *       the error output).
 *
 * and optionally:
 *
 *   const char *wasmhose_on_init(const uint8_t *config, uint32_t len);
 *       called once per instance with the plugin's configuration (JSON by
 *       convention, possibly empty) before the first batch; returns NULL to
 *       accept it or error text to refuse it (the install or the stream
 *       creation then fails with that text). Without it any configuration
 *       is accepted and ignored.
 *
 * Zero copies: a record's data points into the input frame, valid until the
 * callback returns; outcomes are written straight into the result frame.
 * An instance runs one call at a time: nothing here is thread-safe, and
 * nothing needs to be.
 *
 * Build (clang 14 + lld + wasi-libc):
 *   clang --target=wasm32-wasi -mexec-model=reactor -O2 -o plugin.wasm \
 *         plugin.c wasmhose.c
 * See README.md and sdk/ABI.md.
 */
#ifndef WASMHOSE_H
#define WASMHOSE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A record of the batch. data aliases the input frame: it is valid only
 * until the callback returns, and is not NUL-terminated. */
typedef struct wasmhose_record {
	const uint8_t *data;   /* the record's bytes (binary allowed) */
	uint32_t len;          /* their length, may be 0 */
	int64_t arrival_ms;    /* approximate arrival, ms since the Unix epoch */
} wasmhose_record;

/* The result frame being written; only the functions below use it. */
typedef struct wasmhose_result wasmhose_result;

/* Outcome: Ok, with data (copied into the result frame; may be empty). More
 * data may follow with wasmhose_append, then partition keys. */
void wasmhose_ok(wasmhose_result *res, const void *data, size_t len);
/* Appends to the current Ok record's data (before any partition key). */
void wasmhose_append(wasmhose_result *res, const void *data, size_t len);
/* Appends one byte to the current Ok record's data. */
void wasmhose_append_byte(wasmhose_result *res, uint8_t b);
/* Adds a partition key (Firehose's metadata.partitionKeys) to the current Ok
 * record. name must be non-empty; both are UTF-8. */
void wasmhose_partition_key(wasmhose_result *res, const char *name, size_t name_len,
                            const char *value, size_t value_len);
/* Outcome: Dropped (a success; the record is not delivered). */
void wasmhose_dropped(wasmhose_result *res);
/* Outcome: ProcessingFailed: the original record goes to the error output
 * with msg (NUL-terminated UTF-8) as its errorMessage. */
void wasmhose_failed(wasmhose_result *res, const char *msg);
/* wasmhose_failed with an explicit length. */
void wasmhose_failedn(wasmhose_result *res, const char *msg, size_t len);

/* Log levels (log/slog's). */
enum {
	WASMHOSE_DEBUG = -4,
	WASMHOSE_INFO = 0,
	WASMHOSE_WARN = 4,
	WASMHOSE_ERROR = 8
};

/* Writes one line to the service's log, attributed to the plugin. The
 * service truncates lines beyond 4096 bytes and keeps 100 lines per call. */
void wasmhose_log(int level, const char *msg, size_t len);
/* wasmhose_log with printf formatting (links vsnprintf: ~10 KiB more). */
void wasmhose_logf(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The plugin's callbacks (see the top of this file). Define
 * wasmhose_on_record or wasmhose_on_batch, and optionally wasmhose_on_init. */
void wasmhose_on_record(const wasmhose_record *rec, wasmhose_result *res) __attribute__((weak));
const char *wasmhose_on_batch(const wasmhose_record *recs, uint32_t n, wasmhose_result *res) __attribute__((weak));
const char *wasmhose_on_init(const uint8_t *config, uint32_t len) __attribute__((weak));

#ifdef __cplusplus
}
#endif

#endif /* WASMHOSE_H */
