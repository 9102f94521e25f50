#!/usr/bin/env bash
# scripts/test.sh: what `make test` runs.
#
# 1. gofmt and go vet.
# 2. Starts the real Apache Kafka broker (scripts/kafka.sh up) when Java and
#    Maven are present and no EVBENCH_KAFKA_BROKERS is given, and the 3-node
#    cluster (scripts/kafka.sh up --nodes 3) unless EVBENCH_KAFKA_CLUSTER_BROKERS
#    is given; stops what it started afterwards, by PID, whatever happens.
# 3. go test over every package (integration tests use the broker through
#    EVBENCH_KAFKA_BROKERS, the multi-node suite the cluster through
#    EVBENCH_KAFKA_CLUSTER_BROKERS; browser tests use /usr/bin/chromium).
# 4. Short fuzzing runs of every parser of outside input (longer ones: `make fuzz`).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== lint"
test -z "$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
go vet ./...

started_kafka=""
started_cluster=""
cleanup() {
	if [ -n "$started_cluster" ]; then
		echo "== stopping the 3-node Kafka cluster"
		scripts/kafka.sh down --nodes 3 || true
	fi
	if [ -n "$started_kafka" ]; then
		echo "== stopping the Kafka broker"
		scripts/kafka.sh down --nodes 1 || true
	fi
}
trap cleanup EXIT
# Interrupted or terminated: stop the running step and exit, so the EXIT
# trap stops the brokers. Long steps run in the background under `wait`,
# which (unlike a foreground command) a trapped signal interrupts at once.
child=""
on_signal() {
	if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; fi
	exit "$1"
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP
step() {
	local rc=0
	"$@" &
	child=$!
	wait "$child" || rc=$?
	child=""
	return "$rc"
}

have_kafka_tools=""
if command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then
	have_kafka_tools=1
fi

# The status is read whole before matching: with pipefail, `kafka.sh status |
# grep -q` can fail on SIGPIPE when grep exits at its first match, and the
# script would then take a running broker for its own and stop it at exit.
kafka_status="$(scripts/kafka.sh status 2>/dev/null || true)"

if [ -z "${EVBENCH_KAFKA_BROKERS:-}" ]; then
	if [ -n "$have_kafka_tools" ]; then
		if grep -q '^kafka.sh: broker: up' <<<"$kafka_status"; then
			echo "== using the Kafka broker already running on 127.0.0.1:9092 (left running)"
		else
			echo "== starting a real Apache Kafka broker (scripts/kafka.sh up)"
			started_kafka=1
			scripts/kafka.sh up
		fi
		export EVBENCH_KAFKA_BROKERS=127.0.0.1:9092
	else
		echo "== Java or Maven missing: real-broker integration tests will be skipped"
	fi
fi

if [ -z "${EVBENCH_KAFKA_CLUSTER_BROKERS:-}" ]; then
	if [ -n "$have_kafka_tools" ]; then
		if grep -q '^kafka.sh: node 1: up' <<<"$kafka_status"; then
			echo "== using the Kafka cluster already running (left running)"
			scripts/kafka.sh up --nodes 3 # starts any node that is down
		else
			echo "== starting a 3-node Apache Kafka cluster (scripts/kafka.sh up --nodes 3)"
			t0=$SECONDS
			started_cluster=1
			scripts/kafka.sh up --nodes 3
			echo "== cluster up in $((SECONDS - t0)) s"
		fi
		EVBENCH_KAFKA_CLUSTER_BROKERS="$(scripts/kafka.sh brokers)"
		export EVBENCH_KAFKA_CLUSTER_BROKERS
	else
		echo "== Java or Maven missing: multi-node tests will be skipped"
	fi
fi

echo "== go test"
step go test -count=1 -timeout 25m ./...

echo "== fuzz (short)"
# -fuzz takes a regexp and must match exactly one target: anchor each name.
step go test ./scenarios/ -run '^$' -fuzz '^FuzzLoad$' -fuzztime 10s
step go test ./scenarios/ -run '^$' -fuzz '^FuzzParseThreshold$' -fuzztime 5s
step go test ./reports/results/ -run '^$' -fuzz '^FuzzDecode$' -fuzztime 10s
step go test ./reports/results/ -run '^$' -fuzz '^FuzzDecodeHistogram$' -fuzztime 5s
step go test ./reports/results/ -run '^$' -fuzz '^FuzzDecodeIDSet$' -fuzztime 5s
step go test ./runners/webhook/ -run '^$' -fuzz '^FuzzLedgerDecode$' -fuzztime 5s
step go test ./scenarios/netspec/ -run '^$' -fuzz '^FuzzParseSpec$' -fuzztime 5s
