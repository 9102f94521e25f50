#!/usr/bin/env bash
# scripts/bench-kafka.sh: evbench against Apache Kafka's own perf tools on the
# same real broker, in one invocation (issue 15, items 1 and 2). Printed, not
# asserted: the machine is shared and noisy, so compare ratios from one run.
#
# 1. Real path: `evbench run` itself (pacer, ledger, histograms, consumer
#    group) with sweep.find_max: the highest constant rate at which
#    generator_lag.p99 < BENCH_LAG_P99 (1ms) with lost 0, 1 KiB events, one
#    subscriber (0 ms processing), 12 partitions, acks=all and acks=1, evbench's
#    default producer settings. Put next to ProducerPerformance's rate at the
#    same settings from part 2. A failed probe is run BENCH_CONFIRM (1) more
#    times before its rate counts as failed (sweep.find_max.confirm): without
#    it one stall of the shared machine in the first 3 s probe reported 0.
# 2. Matched throughput: ProducerPerformance/ConsumerPerformance (kafka-tools,
#    the jars scripts/kafka.sh fetched) against evbench's producer and consumer
#    paths (runners/kafka, driven by runners/kafka/internal/kperf, which records
#    publish latencies into a measure.Point as evbench run does), 100 B and
#    1 KiB, acks=1 and acks=all. Direction: Java is matched to evbench's
#    settings (printed by `kperf -settings` and below): acks, idempotence (on
#    only for acks=all), linger.ms 5, batch.size 1 MiB, compression none,
#    max.request.size 100 MiB (franz-go's BrokerMaxWriteBytes), buffer.memory
#    100 MiB (evbench bounds its buffer at 100,000 records: ~100 MiB at 1 KiB,
#    ~17 MiB at 100 B, so Java's is at least as large), max.in.flight 5.
#    Partitions: evbench keys records (1000 keys, murmur2) over the 12
#    partitions; ProducerPerformance cannot send keys, so it uses
#    RoundRobinPartitioner: records spread over the same 12 partitions, one
#    after another, instead of the sticky partitioner's one batch at a time.
#    Consumers: ConsumerPerformance with max.poll.records 10000 (evbench's
#    PollFetches takes every buffered record), fetch.max.wait.ms 500,
#    fetch.max.bytes 50 MiB, max.partition.fetch.bytes 1 MiB (franz-go's
#    defaults, which evbench keeps). Kafka 4.1's ConsumerPerformance has no
#    --threads option any more (it runs one consumer); evbench's group has one
#    member with a worker per partition.
#    Duration: a calibration run per case (printed, not counted; it also warms
#    the broker) sizes the record count so each measured run lasts at least
#    BENCH_KAFKA_SECONDS (20) on the faster side; then BENCH_ROUNDS (3) rounds
#    alternate Java and evbench, and the best of each is compared.
#
# Uses EVBENCH_KAFKA_BROKERS (default 127.0.0.1:9092, started with
# scripts/kafka.sh up if it is not running, and then stopped here by PID).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${BENCH_ROUNDS:-3}
SECONDS_MIN=${BENCH_KAFKA_SECONDS:-20}
LAG=${BENCH_LAG_P99:-1ms}
PROBE=${BENCH_PROBE:-3s}
CONFIRM=${BENCH_CONFIRM:-1}
SIZES=${BENCH_KAFKA_SIZES:-100 1024}
ACKS_LIST=${BENCH_KAFKA_ACKS:-all 1}
PARTITIONS=12
EVBENCH=${EVBENCH:-bin/evbench}

started=""
tmp="$(mktemp -d)"
cleanup() {
	# Every topic this run made (perf tools, kperf, evbench run's points)
	# starts with evbench-bench-PID-.
	[[ -x "$tmp/kperf" ]] && "$tmp/kperf" -brokers "$BROKERS" -mode delete-prefix -topic "evbench-bench-$$-" || true
	rm -rf "$tmp"
	if [[ -n "$started" ]]; then
		scripts/kafka.sh down || true
	fi
}
trap cleanup EXIT

BROKERS="${EVBENCH_KAFKA_BROKERS:-127.0.0.1:9092}"  # (cleanup reads it)
if [[ -z "${EVBENCH_KAFKA_BROKERS:-}" ]] && ! scripts/kafka.sh status >/dev/null 2>&1; then
	scripts/kafka.sh up
	started=1
fi
LIBS="$(scripts/kafka.sh libs)"
[[ -x "$EVBENCH" ]] || go build -o "$EVBENCH" ./cmd/evbench
go build -o "$tmp/kperf" ./runners/kafka/internal/kperf

tool() {
	java -Xms1g -Xmx1g -cp "$LIBS/*" -Dlog4j2.configurationFile=scripts/kafka/log4j2-tools.properties "$@"
}
kperf() { "$tmp/kperf" -brokers "$BROKERS" "$@"; }
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (b + 0 > a + 0 ? b : a) }'; }

# java_props ACKS: ProducerPerformance's settings, matched to evbench's.
java_props() {
	local idem=false
	[[ $1 == all ]] && idem=true
	echo "bootstrap.servers=$BROKERS acks=$1 enable.idempotence=$idem linger.ms=5 batch.size=1048576" \
		"compression.type=none max.request.size=104857600 buffer.memory=104857600" \
		"max.in.flight.requests.per.connection=5" \
		"partitioner.class=org.apache.kafka.clients.producer.RoundRobinPartitioner"
}
cat >"$tmp/consumer.properties" <<EOF
max.poll.records=10000
fetch.max.wait.ms=500
fetch.max.bytes=52428800
max.partition.fetch.bytes=1048576
auto.offset.reset=earliest
EOF

# pp TOPIC N SIZE ACKS: one ProducerPerformance run; prints its rate.
pp() {
	local out
	# shellcheck disable=SC2046
	out="$(tool org.apache.kafka.tools.ProducerPerformance --topic "$1" --num-records "$2" \
		--record-size "$3" --throughput -1 --producer-props $(java_props "$4") | tail -n 1)"
	echo "   ProducerPerformance: $out" >&2
	sed -n 's/.* records sent, \([0-9.]*\) records\/sec.*/\1/p' <<<"$out"
}

rows=()
row() { rows+=("$(printf '%-30s %12s %12s %8s   %s' "$1" "$2" "$3" "$4" "$5")"); }
declare -A pp_best

for size in $SIZES; do
	for acks in $ACKS_LIST; do
		label="${size}B acks=${acks}"
		echo
		echo "== $label: calibration (not counted; also warms the broker)"
		if [[ $size -le 100 ]]; then ncal=1000000; else ncal=300000; fi
		t="evbench-bench-$$-cal-${size}-${acks}"
		kperf -mode create -topic "$t" -partitions "$PARTITIONS"
		cal_j="$(pp "$t" "$ncal" "$size" "$acks")"
		kperf -mode delete -topic "$t"
		t="evbench-bench-$$-cal-ev-${size}-${acks}"
		kperf -mode create -topic "$t" -partitions "$PARTITIONS"
		out="$(kperf -mode both -topic "$t" -records "$ncal" -size "$size" -acks "$acks")"
		cal_e="$(field "$(grep '^kperf produce' <<<"$out")" rate)"
		# x1.5: a calibration run is slower than the runs that follow (a cold
		# JVM, a cold broker), and each measured run must still last
		# SECONDS_MIN on the faster side.
		n=$(awk -v a="${cal_j:-0}" -v b="${cal_e:-0}" -v s="$SECONDS_MIN" -v m="$ncal" \
			'BEGIN { r = (a > b ? a : b) * s * 1.5; if (r < m) r = m; printf "%d", r }')
		echo "   calibration: ProducerPerformance ${cal_j:-?}/s, evbench ${cal_e:-?}/s -> $n records per run (>= ${SECONDS_MIN}s each)"

		pj=0 pe=0 cj=0 ce=0 pjr="" per="" cjr="" cer=""
		for round in $(seq 1 "$ROUNDS"); do
			echo "-- $label round $round/$ROUNDS: ProducerPerformance, $n records"
			t="evbench-bench-$$-pp-${size}-${acks}-$round"
			kperf -mode create -topic "$t" -partitions "$PARTITIONS"
			r="$(pp "$t" "$n" "$size" "$acks")"
			kperf -mode delete -topic "$t"
			pjr="$pjr ${r%.*}"
			pj=$(max "$pj" "${r:-0}")

			echo "-- $label round $round/$ROUNDS: evbench producer then consumer group, $n records"
			t="evbench-bench-$$-ev-${size}-${acks}-$round"
			kperf -mode create -topic "$t" -partitions "$PARTITIONS"
			out="$(kperf -mode both -topic "$t" -records "$n" -size "$size" -acks "$acks" -keep)"
			echo "$out" | sed 's/^/   /'
			r="$(field "$(grep '^kperf produce' <<<"$out")" rate)"
			per="$per $r"
			pe=$(max "$pe" "${r:-0}")
			r="$(field "$(grep '^kperf consume' <<<"$out")" rate)"
			cer="$cer $r"
			ce=$(max "$ce" "${r:-0}")

			echo "-- $label round $round/$ROUNDS: ConsumerPerformance on the same records"
			cp="$(tool org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$BROKERS" --topic "$t" \
				--messages "$n" --group "evbench-bench-cp-$$-$size-$acks-$round" --timeout 120000 \
				--consumer.config "$tmp/consumer.properties" --hide-header | tail -n 1)"
			echo "   ConsumerPerformance: $cp"
			r="$(awk -F', ' '{printf "%.0f", $10}' <<<"$cp")"
			cjr="$cjr $r"
			cj=$(max "$cj" "${r:-0}")
			kperf -mode delete -topic "$t"
		done
		pp_best[$label]=$pj
		row "produce $label" "$pe" "${pj%.*}" "$(ratio "$pe" "$pj")" "evbench runs:$per; Java runs:$pjr ($n records)"
		row "consume $label" "$ce" "$cj" "$(ratio "$ce" "$cj")" "evbench runs:$cer; Java runs:$cjr"
	done
done

# The real path: evbench run's ceiling under the generator-lag SLO.
real=()
for acks in $ACKS_LIST; do
	echo
	echo "== real path: evbench run, kafka acks=$acks, 1 KiB, find_max generator_lag.p99 < $LAG, lost 0"
	cat >"$tmp/k.yaml" <<EOF
name: bench-$$-acks-$acks
description: issue 15 real-path ceiling on a real broker
load: {arrival: constant, rate: 250/s, warmup: 1s, duration: $PROBE, drain: 10s}
event: {size: 1KiB, keys: 1000, seed: 1}
subscribers:
  - name: consumer
    processing: 0ms
systems:
  kafka:
    brokers: $BROKERS
    acks: "$acks"
    topic: {partitions: $PARTITIONS}
sweep:
  find_max: {slo: "generator_lag.p99 < $LAG", max_loss: 0, start: 250/s, limit: 512000/s, tolerance: 0.05, confirm: $CONFIRM}
EOF
	"$EVBENCH" run "$tmp/k.yaml" --out "$tmp/k-$acks" --no-report >"$tmp/k.log" 2>&1 || true
	grep -- '-> pass=' "$tmp/k.log" | sed 's/^/   /' || true
	if [[ ! -s "$tmp/k-$acks/results.json" ]]; then
		tail -20 "$tmp/k.log" >&2
		echo "bench-kafka: evbench run wrote no results" >&2
		exit 1
	fi
	r=$(jq -r '[.max_sustainable[] | select(.system == "kafka")][0] | .rate_per_s | floor' "$tmp/k-$acks/results.json")
	echo "   $(jq -r '[.max_sustainable[] | select(.system == "kafka")][0] | "\(.probes) probes, \(.reruns // 0) reruns of a failed rate"' "$tmp/k-$acks/results.json")"
	kperf -mode delete-prefix -topic "evbench-bench-$$-acks-"
	ref="${pp_best[1024B acks=$acks]:-0}"
	real+=("$(printf '%-30s %12s %12s %8s' "real path 1024B acks=$acks" "$r" "${ref%.*}" "$(ratio "$r" "$ref")")")
done

echo
echo "== Kafka on $BROKERS, records/s, best of $ROUNDS alternating runs (evbench vs Apache Kafka 4.1.1 tools)"
echo "   evbench settings (kperf -settings, acks=all):"
kperf -settings -acks all | sed 's/^/     /'
echo "   Java producer (ProducerPerformance --producer-props), acks=all: $(java_props all | sed 's/bootstrap.servers=[^ ]* //')"
echo "   Java consumer (ConsumerPerformance --consumer.config): $(tr '\n' ' ' <"$tmp/consumer.properties")"
printf '%-30s %12s %12s %8s\n' "" "evbench" "Kafka tool" "ratio"
printf '%s\n' "${rows[@]}"
echo "(produce: first send to last ack; consume: from partition assignment to the last record on both sides,"
echo " ConsumerPerformance's fetch.nMsg.sec; targets: >= 1.0x)"
echo
echo "== real path: evbench run's highest constant rate with generator_lag.p99 < $LAG and lost 0, vs ProducerPerformance (1 KiB)"
echo "   (find_max, ${PROBE} probes, confirm $CONFIRM: a failed rate is probed again $CONFIRM more time(s) and passes if any run passes)"
printf '%-30s %12s %12s %8s\n' "" "evbench run" "PP best" "ratio"
printf '%s\n' "${real[@]}"
