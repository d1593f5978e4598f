# AgentTrace — the two commands a user needs are `make run` and `make test`.
GO        ?= go
PYTHON    ?= /usr/bin/python3
BIN       := bin
COLLECTOR := $(BIN)/agenttrace-collector
FUZZTIME  ?= 10s
LDFLAGS   := -s -w -X github.com/agenttrace/agenttrace.Version=$(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

NPM       ?= npm
DASHBOARD_SRC := $(shell find dashboard/src dashboard/public -type f 2>/dev/null) dashboard/index.html \
                 dashboard/package.json dashboard/vite.config.ts dashboard/tsconfig.json

.PHONY: all build dashboard run test test-go test-python test-dashboard test-e2e fuzz lint proto generate \
        check-generated bench bench-go bench-e2e clean test-faults

all: build

## build: the dashboard (when Node.js is installed), then the binaries in bin/ (the dashboard is embedded)
build: dashboard
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(COLLECTOR) ./cmd/agenttrace-collector
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/agenttrace ./cmd/agenttrace

## dashboard: build the React dashboard into dashboard/dist/app (skipped, with a notice, without npm)
dashboard:
	@if command -v $(NPM) >/dev/null 2>&1; then $(MAKE) --no-print-directory dashboard/dist/app/index.html; \
	else echo "npm not found: the binary serves a placeholder page instead of the dashboard"; fi

dashboard/node_modules/.package-lock.json: dashboard/package-lock.json
	cd dashboard && $(NPM) ci --no-audit --no-fund --loglevel=error

dashboard/dist/app/index.html: dashboard/node_modules/.package-lock.json $(DASHBOARD_SRC)
	cd dashboard && $(NPM) run build

## run: build and start the local stack in one process: collector + API + dashboard (SQLite in ./data)
run: build
	./$(BIN)/agenttrace up

## test: everything — lint, Go tests (real PostgreSQL/Redis), fuzzers briefly, Python SDK, dashboard (Vitest + Chromium e2e)
test: lint test-go test-faults fuzz test-python test-dashboard test-e2e

test-go:
	$(GO) test -count=1 ./...

## test-faults: PostgreSQL restart under load, Redis outage, collector restart (restarts the local
## services, so it runs alone, after test-go)
test-faults:
	AGENTTRACE_FAULT_TESTS=1 $(GO) test -count=1 -run 'Restart|RedisDown' ./exporter/timescaledbexporter

## fuzz: run each fuzz target for FUZZTIME (6 targets; seeds from the hostile-input catalog)
fuzz:
	$(GO) test ./receiver/agenttracereceiver -run '^$$' -fuzz '^FuzzDecodeProto$$' -fuzztime $(FUZZTIME)
	$(GO) test ./receiver/agenttracereceiver -run '^$$' -fuzz '^FuzzDecodeJSON$$' -fuzztime $(FUZZTIME)
	$(GO) test ./receiver/agenttracereceiver -run '^$$' -fuzz '^FuzzUDPDatagram$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/canonical -run '^$$' -fuzz '^FuzzCanonicalRead$$' -fuzztime $(FUZZTIME)
	$(GO) test ./apiserver -run '^$$' -fuzz '^FuzzQueryParams$$' -fuzztime $(FUZZTIME)
	$(GO) test ./processor/privacyprocessor -run '^$$' -fuzz '^FuzzRedact$$' -fuzztime $(FUZZTIME)

test-python: build
	AGENTTRACE_COLLECTOR_BIN=$(CURDIR)/$(COLLECTOR) $(PYTHON) -m pytest sdk/python/tests -q

test-dashboard: dashboard/node_modules/.package-lock.json
	cd dashboard && $(NPM) run typecheck && $(NPM) test

test-e2e: build
	cd dashboard && AGENTTRACE_COLLECTOR_BIN=$(CURDIR)/$(COLLECTOR) $(NPM) run test:e2e

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## proto: regenerate the native protocol's Go code (committed)
proto:
	protoc -I proto -I /usr/include \
		--plugin=protoc-gen-go=$$($(GO) tool -n protoc-gen-go) \
		--plugin=protoc-gen-go-grpc=$$($(GO) tool -n protoc-gen-go-grpc) \
		--go_out=. --go_opt=module=github.com/agenttrace/agenttrace \
		--go-grpc_out=. --go-grpc_opt=module=github.com/agenttrace/agenttrace \
		proto/agenttrace/v1/agenttrace.proto

## generate: every generated file
generate: proto

## check-generated: fail when regenerating changes committed files
check-generated: generate
	@git diff --exit-code -- proto || (echo "generated code is stale: run 'make generate' and commit" && exit 1)

## bench: Go benchmarks of the hot paths, then the end-to-end run against the stock collector peer
bench: bench-go bench-e2e

## bench-go: bench/gobench.sh — Go benchmarks of the hot paths (PostgreSQL needed); writes docs/benchmarks.md
bench-go:
	GO=$(GO) bench/gobench.sh

## bench-e2e: bench/run.sh — loadgen over every transport, SQLite, PostgreSQL, raw CopyFrom; writes docs/benchmarks.md
bench-e2e: build
	bench/run.sh

clean:
	rm -rf $(BIN)
