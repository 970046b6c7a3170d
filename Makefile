# Wasmhose. `make run` starts the service on its embedded defaults;
# `make test` is what CI runs (.ci/run).

GO        ?= go
BIN       := bin/wasmhose
VERSION   := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
# Pinned tool versions.
VERSITYGW := github.com/versity/versitygw/cmd/versitygw@v1.8.0

.PHONY: build run test test-short e2e bench soak crash check fmt vet tidy clean

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/wasmhose

## run: build and serve on 127.0.0.1:4573 with data under ./wasmhose-data
run: build
	./$(BIN) serve --listen 127.0.0.1:4573 --data-dir ./wasmhose-data

## test: every Go test (race detector on), then the AWS CLI + versitygw end-to-end script
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	$(MAKE) --no-print-directory sdk-go-check
	./scripts/e2e.sh

## test-short: the quick local loop
test-short:
	$(GO) test -short ./...

e2e: build
	./scripts/e2e.sh

## bench: Go micro-benchmarks, then the end-to-end load run (see BENCHMARKS.md)
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2x ./host/... 
	./scripts/bench.sh

## soak: 10 minutes of mixed load on a server process; prints RSS, open files and goroutines (see BENCHMARKS.md)
soak:
	WASMHOSE_SOAK_DURATION=10m $(GO) test -count=1 -run '^TestSoak$$' -timeout 30m -v ./cmd/wasmhose

## crash: the SIGKILL test with 50 kills; prints the duplicate rate (see BENCHMARKS.md)
crash:
	WASMHOSE_CRASH_ROUNDS=50 $(GO) test -count=1 -run '^TestCrashLosesNothingAcknowledged$$' -timeout 30m -v ./cmd/wasmhose

check: fmt vet tidy sdk-go-check plugins-check examples-go-check scaffold-check
	$(GO) build ./...
	GOOS=darwin $(GO) build ./...
	GOOS=windows $(GO) build ./...
	test -z "$$(git status --porcelain)" || (git status --short; echo 'check: the tree is dirty (formatting or go mod tidy changed it)'; exit 1)

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

tidy:
	$(GO) mod tidy

clean:
	rm -rf bin

# --- wasm ---
# Test fixtures of runtime/: Go guests (GOOS=wasip1, c-shared reactors built
# against sdk/go) and hand-written WAT guests (Debian's wabt: wat2wasm). The
# .wasm files are committed, so `go test ./...` needs neither toolchain.
WAT2WASM      ?= wat2wasm
WASM_GO_FIXTURES := identity kitchen checksum

.PHONY: wasm-fixtures wasm-fixtures-go wasm-fixtures-wat sdk-go-check

wasm-fixtures: wasm-fixtures-go wasm-fixtures-wat

wasm-fixtures-go:
	for d in $(WASM_GO_FIXTURES); do \
		(cd runtime/testdata/$$d && GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -o $$d.wasm .) || exit 1; \
	done

wasm-fixtures-wat:
	for f in runtime/testdata/wat/*.wat; do $(WAT2WASM) $$f -o $${f%.wat}.wasm || exit 1; done

## sdk-go-check: vet and test the Go SDK module, natively and for wasip1
sdk-go-check:
	cd sdk/go && $(GO) vet ./... && GOOS=wasip1 GOARCH=wasm $(GO) vet ./... && $(GO) test ./...

# --- native SDKs ---
# The C and Rust SDKs (sdk/c, sdk/rust) and the reference plugin built with
# them (examples/plugins/c, examples/plugins/rust). The built modules are
# committed, so `go test ./...` needs neither toolchain; these targets
# rebuild them from source with the pinned Debian toolchains, check that two
# builds give the same bytes, and fail if the committed modules differ.
SDK_CLANG     ?= clang-14
SDK_CLANGXX   ?= clang++-14
SDK_RUSTC     ?= /usr/bin/rustc
SDK_RUSTC_VERSION := rustc 1.63.0

.PHONY: sdk-c-check sdk-rust-check

## sdk-c-check: build the C reference plugin twice (clang 14, wasi-libc), compare with the committed module; the SDK from C++ too
sdk-c-check:
	@$(SDK_CLANG) --version | head -1
	tmp=$$(mktemp -d) && \
	$(MAKE) -s -C examples/plugins/c -B CLANG=$(SDK_CLANG) && cp examples/plugins/c/json-to-csv.wasm $$tmp/a.wasm && \
	$(MAKE) -s -C examples/plugins/c -B CLANG=$(SDK_CLANG) && cmp $$tmp/a.wasm examples/plugins/c/json-to-csv.wasm && \
	$(SDK_CLANGXX) --target=wasm32-wasi -O2 -Wall -Wextra -Werror -Isdk/c -o $$tmp/upper.o -c sdk/c/testdata/upper.cc && \
	$(SDK_CLANG) --target=wasm32-wasi -mexec-model=reactor -O2 -Wall -Wextra -Werror -Wl,--strip-all \
		-o sdk/c/testdata/upper.wasm $$tmp/upper.o sdk/c/wasmhose.c; \
	st=$$?; rm -rf $$tmp; test $$st -eq 0
	git diff --exit-code --stat -- examples/plugins/c sdk/c/testdata || { echo 'sdk-c-check: a committed module differs from its source: commit the rebuilt module'; exit 1; }

## sdk-rust-check: test the Rust SDK natively, build the Rust reference plugin twice (Debian rustc 1.63, wasm32-wasi and wasm32-unknown-unknown), compare with the committed modules
sdk-rust-check:
	@v=$$($(SDK_RUSTC) --version); echo "$$v"; case "$$v" in "$(SDK_RUSTC_VERSION)"*) ;; *) echo "sdk-rust-check: want $(SDK_RUSTC_VERSION) (the committed modules' compiler)"; exit 1;; esac
	tmp=$$(mktemp -d) && \
	$(SDK_RUSTC) --edition 2021 --test -o $$tmp/sdk-test sdk/rust/src/lib.rs && $$tmp/sdk-test -q && \
	$(MAKE) -s -C examples/plugins/rust clean && $(MAKE) -s -C examples/plugins/rust RUSTC=$(SDK_RUSTC) && \
	cp examples/plugins/rust/json-to-csv.wasm examples/plugins/rust/json-to-csv-unknown.wasm $$tmp/ && \
	$(MAKE) -s -C examples/plugins/rust clean && $(MAKE) -s -C examples/plugins/rust RUSTC=$(SDK_RUSTC) && \
	cmp $$tmp/json-to-csv.wasm examples/plugins/rust/json-to-csv.wasm && \
	cmp $$tmp/json-to-csv-unknown.wasm examples/plugins/rust/json-to-csv-unknown.wasm; \
	st=$$?; rm -rf $$tmp examples/plugins/rust/build; test $$st -eq 0
	git diff --exit-code --stat -- examples/plugins/rust || { echo 'sdk-rust-check: examples/plugins/rust modules differ from their source: commit the rebuilt modules'; exit 1; }

# --- plugins ---
# The built-in plugins: one Wasm module, plugins/blueprints.wasm, built from
# plugins/guest (its own module: the SDK and plugins/blueprint, standard
# library only) and committed, so `go test ./...` never rebuilds it; and
# plugins/README.md, rendered from the catalogue.
.PHONY: plugins-wasm plugins-docs plugins-check

## plugins-wasm: rebuild plugins/blueprints.wasm (commit the result)
plugins-wasm:
	cd plugins/guest && GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -o ../blueprints.wasm .

## plugins-docs: render plugins/README.md from the catalogue
plugins-docs:
	$(GO) generate ./plugins

## plugins-check: vet the guest (native and wasip1) and fail if the committed module is not what the sources build
plugins-check:
	cd plugins/guest && $(GO) vet ./... && GOOS=wasip1 GOARCH=wasm $(GO) vet ./... && $(GO) mod tidy -diff
	tmp=$$(mktemp) && (cd plugins/guest && GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -o $$tmp .) && \
		cmp -s $$tmp plugins/blueprints.wasm; st=$$?; rm -f $$tmp; \
		test $$st -eq 0 || (echo 'plugins-check: plugins/blueprints.wasm is stale: run make plugins-wasm'; exit 1)

# --- plugin new ---
# The scaffolds of `wasmhose plugin new` embed a copy of each SDK's sources
# (cmd/wasmhose/internal/scaffold/files, made by go generate there).
.PHONY: scaffold-sdk scaffold-check

## scaffold-sdk: copy the SDK sources into the scaffolds (commit the result)
scaffold-sdk:
	$(GO) generate ./cmd/wasmhose/internal/scaffold

## scaffold-check: fail if the scaffolds' SDK copies differ from sdk/
scaffold-check:
	$(GO) test -count=1 -run '^TestSDKCopiesMatchSDK$$' ./cmd/wasmhose/internal/scaffold || { echo 'scaffold-check: run make scaffold-sdk'; exit 1; }

# --- reference plugins ---
# json-to-csv in each language (examples/plugins/<lang>/), the .wasm committed
# next to its sources; testdata/cases.jsonl is what every version must answer
# (cmd/wasmhose TestReferencePlugins runs `wasmhose plugin test` with it).
.PHONY: examples-go examples-go-check sdk-as-check

## examples-go: rebuild examples/plugins/go/json-to-csv.wasm (commit the result)
examples-go:
	$(MAKE) -C examples/plugins/go GO=$(GO)

## examples-go-check: vet the Go reference plugin and fail if its committed module is not what the sources build
examples-go-check:
	$(MAKE) -C examples/plugins/go GO=$(GO) check

## sdk-as-check: npm ci (assemblyscript pinned by package-lock.json), build the AssemblyScript
## reference plugin and the runtime's AssemblyScript fixture with sdk/assemblyscript, and fail if
## a committed module differs
AS_MODULES := examples/plugins/assemblyscript/json-to-csv.wasm runtime/testdata/assemblyscript/kitchen.wasm

sdk-as-check:
	for m in $(AS_MODULES); do \
		d=$$(dirname $$m); tmp=$$(mktemp -d); \
		(cd $$d && npm ci --no-audit --no-fund --loglevel=error && npx --no-install asc assembly/index.ts --target release --outFile $$tmp/out.wasm) && \
		cmp -s $$tmp/out.wasm $$m; st=$$?; rm -rf $$tmp; \
		test $$st -eq 0 || { echo "sdk-as-check: $$m is stale: run npm ci && npm run build in $$d"; exit 1; }; \
	done
