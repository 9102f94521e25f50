# evbench Makefile. `make run` and `make test` are the two commands a fresh
# machine needs (see README.md).
GO      ?= go
BIN     := bin/evbench
SCENARIO ?= scenarios/examples/quickstart.yaml
REVISION := $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS  := -X github.com/evbench/evbench/runners/engine.Revision=$(REVISION)

.PHONY: all build run test unit bench bench-long fuzz lint kafka-up kafka-down kafka-cluster-up kafka-cluster-down clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/evbench

## run: the quickstart scenario on the embedded default (no services needed)
run: build
	./$(BIN) run $(SCENARIO)

## test: lint, unit and integration tests; starts the real Kafka broker and
## the 3-node cluster when Java 17 and Maven are present and stops them afterwards
test:
	scripts/test.sh

## unit: go test without the real broker
unit:
	$(GO) test -count=1 ./...

## bench: throughput benchmarks printed as ratios against reference tools
bench: build
	scripts/bench.sh

## bench-long: peak RSS of 1,000 webhook subscribers (< 500 MB) and of 10M events x 3
## subscribers (< 200 MB), each a real evbench run (about 35 minutes)
bench-long: build
	scripts/bench-long.sh

## fuzz: longer fuzzing of the parsers
fuzz:
	$(GO) test ./scenarios/ -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime 60s
	$(GO) test ./scenarios/ -run '^$$' -fuzz '^FuzzParseThreshold$$' -fuzztime 30s
	$(GO) test ./reports/results/ -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 60s
	$(GO) test ./reports/results/ -run '^$$' -fuzz '^FuzzDecodeHistogram$$' -fuzztime 30s
	$(GO) test ./reports/results/ -run '^$$' -fuzz '^FuzzDecodeIDSet$$' -fuzztime 30s
	$(GO) test ./runners/webhook/ -run '^$$' -fuzz '^FuzzLedgerDecode$$' -fuzztime 30s
	$(GO) test ./scenarios/netspec/ -run '^$$' -fuzz '^FuzzParseSpec$$' -fuzztime 30s
	$(GO) test ./scenarios/netspec/ -run '^$$' -fuzz '^FuzzParseBandwidth$$' -fuzztime 30s

lint:
	@test -z "$$(gofmt -l .)" || (echo "gofmt needed:"; gofmt -l .; exit 1)
	$(GO) vet ./...

## kafka-up / kafka-down: a real single-node Apache Kafka (KRaft) on 127.0.0.1:9092
## (kafka-down stops everything scripts/kafka.sh started, the cluster too)
kafka-up:
	scripts/kafka.sh up

kafka-down:
	scripts/kafka.sh down

## kafka-cluster-up / kafka-cluster-down: a 3-node KRaft cluster on 127.0.0.1:19092,29092,39092
## (per-node faults: scripts/kafka.sh stop|kill|pause|resume|start N)
kafka-cluster-up:
	scripts/kafka.sh up --nodes 3

kafka-cluster-down:
	scripts/kafka.sh down --nodes 3

clean:
	rm -rf bin evbench-results
