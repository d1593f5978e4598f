# AgentTrace — the two commands a user needs are `make run` and `make test`.
GO        ?= go
PYTHON    ?= /usr/bin/python3
BIN       := bin
COLLECTOR := $(BIN)/agenttrace-collector
FUZZTIME  ?= 10s
LDFLAGS   := -s -w -X github.com/agenttrace/agenttrace.Version=$(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: all build run test test-go test-python fuzz lint proto generate check-generated bench clean

all: build

## build: compile the collector into bin/
build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(COLLECTOR) ./cmd/agenttrace-collector

## run: build and start the local stack (embedded default config, SQLite in ./data)
run: build
	./$(COLLECTOR)

## test: everything — lint, Go tests (real PostgreSQL/Redis), fuzzers briefly, Python SDK
test: lint test-go fuzz test-python

test-go:
	$(GO) test -count=1 ./...

## fuzz: run each fuzz target for FUZZTIME
fuzz:
	$(GO) test ./receiver/agenttracereceiver -run '^$$' -fuzz '^FuzzDecodeProto$$' -fuzztime $(FUZZTIME)
	$(GO) test ./receiver/agenttracereceiver -run '^$$' -fuzz '^FuzzDecodeJSON$$' -fuzztime $(FUZZTIME)

test-python: build
	AGENTTRACE_COLLECTOR_BIN=$(CURDIR)/$(COLLECTOR) $(PYTHON) -m pytest sdk/python/tests -q

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

## bench: Go benchmarks of the hot paths
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/... ./processor/... ./receiver/... ./exporter/...

clean:
	rm -rf $(BIN)
