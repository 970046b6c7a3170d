// upper.cc: a C++ plugin on the C SDK (built by `make sdk-c-check`, which
// proves wasmhose.h is usable from C++): records upper-cased, batch API.
#include "wasmhose.h"

extern "C" const char *wasmhose_on_batch(const wasmhose_record *recs, uint32_t n, wasmhose_result *res) {
	for (uint32_t i = 0; i < n; i++) {
		const wasmhose_record &r = recs[i];
		if (r.len == 0) {
			wasmhose_failed(res, "empty record");
			continue;
		}
		wasmhose_ok(res, nullptr, 0);
		for (uint32_t j = 0; j < r.len; j++) {
			uint8_t c = r.data[j];
			wasmhose_append_byte(res, c >= 'a' && c <= 'z' ? c - 32 : c);
		}
		if (r.data[0] < 0x80) // partition keys are UTF-8
			wasmhose_partition_key(res, "first", 5, reinterpret_cast<const char *>(r.data), 1);
	}
	return nullptr;
}
