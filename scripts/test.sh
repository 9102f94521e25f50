#!/usr/bin/env bash
# scripts/test.sh: what `make test` runs.
#
# 1. gofmt and go vet.
# 2. Starts the real Apache Kafka broker (scripts/kafka.sh) when Java and
#    Maven are present and no EVBENCH_KAFKA_BROKERS is given, and stops it
#    afterwards by PID, whatever happens.
# 3. go test over every package (integration tests use the broker through
#    EVBENCH_KAFKA_BROKERS; browser tests use /usr/bin/chromium).
# 4. Short fuzzing runs of the two parsers (longer ones: `make fuzz`).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== lint"
test -z "$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
go vet ./...

started_kafka=""
cleanup() {
	if [ -n "$started_kafka" ]; then
		echo "== stopping the Kafka broker"
		scripts/kafka.sh down || true
	fi
}
trap cleanup EXIT

if [ -z "${EVBENCH_KAFKA_BROKERS:-}" ]; then
	if command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then
		echo "== starting a real Apache Kafka broker (scripts/kafka.sh up)"
		scripts/kafka.sh up
		started_kafka=1
		export EVBENCH_KAFKA_BROKERS=127.0.0.1:9092
	else
		echo "== Java or Maven missing: real-broker integration tests will be skipped"
	fi
fi

echo "== go test"
go test -count=1 -timeout 18m ./...

echo "== fuzz (short)"
go test ./scenarios/ -run '^$' -fuzz FuzzLoad -fuzztime 10s
go test ./reports/results/ -run '^$' -fuzz FuzzDecode -fuzztime 10s
