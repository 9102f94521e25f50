#!/usr/bin/env bash
# scripts/bench-kafka.sh: evbench's Kafka producer and consumer paths against
# Apache Kafka's own perf tools, on the same real broker, in one invocation.
#
# For 100 B and 1 KiB records, acks=1 and acks=all, linger 5 ms:
#   - Apache Kafka's ProducerPerformance (kafka-tools 4.1.1, the jars
#     scripts/kafka.sh fetched) at unlimited throughput, and evbench's producer
#     path (runners/kafka Producer, driven by runners/kafka/internal/kperf) at
#     maximum rate: same broker, record count, value size, acks, linger,
#     batch size (1 MiB, evbench's default) and idempotence (on for acks=all,
#     off for acks=1). Differences that remain: evbench records carry a key
#     (1000 keys) and two 8-byte headers (event id, intended time) and are
#     partitioned by key; ProducerPerformance sends unkeyed records.
#   - ConsumerPerformance vs evbench's consume path (one consumer group of one
#     member, per-partition workers, zero processing time, commits after
#     processing) reading the same records (the ones evbench produced).
#     Compared on rates that exclude the group join: ConsumerPerformance's
#     fetch.nMsg.sec, evbench's from assignment to the last record.
# Then the same evbench paths on the embedded broker (in-process kfake, in
# memory, not disk-backed), labelled as such: there is no reference tool for it.
#
# Prints each rate and the ratio evbench/reference (target >= 1.0x). Machines
# are shared and noisy: compare ratios from one run, not absolute rates
# across runs. Nothing is asserted.
#
# Uses EVBENCH_KAFKA_BROKERS when set; otherwise the broker of scripts/kafka.sh,
# started here if it is not running (and then stopped here, by PID).
# Record counts: EVBENCH_BENCH_RECORDS_100 (default 1000000) and
# EVBENCH_BENCH_RECORDS_1K (default 300000).
set -euo pipefail
cd "$(dirname "$0")/.."

N100="${EVBENCH_BENCH_RECORDS_100:-1000000}"
N1K="${EVBENCH_BENCH_RECORDS_1K:-300000}"
PARTITIONS=12
LINGER_MS=5
BATCH=1048576

started=""
tmp="$(mktemp -d)"
cleanup() {
	rm -rf "$tmp"
	if [[ -n "$started" ]]; then
		scripts/kafka.sh down || true
	fi
}
trap cleanup EXIT

if [[ -n "${EVBENCH_KAFKA_BROKERS:-}" ]]; then
	BROKERS="$EVBENCH_KAFKA_BROKERS"
else
	BROKERS=127.0.0.1:9092
	if ! scripts/kafka.sh status >/dev/null 2>&1; then
		scripts/kafka.sh up
		started=1
	fi
fi
LIBS="$(scripts/kafka.sh libs)"

echo "building kperf (evbench's producer/consumer paths)"
go build -o "$tmp/kperf" ./runners/kafka/internal/kperf

tool() {
	java -Xms512m -Xmx512m -cp "$LIBS/*" -Dlog4j2.configurationFile=scripts/kafka/log4j2-tools.properties "$@"
}

kperf() { "$tmp/kperf" -brokers "$BROKERS" "$@"; }

# field LINE KEY: the value of key=value in a kperf line.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }

rows=()
row() { rows+=("$(printf '%-34s %14s %14s %8s' "$1" "$2" "$3" "$4")"); }

for size in 100 1024; do
	if [[ $size == 100 ]]; then n=$N100; else n=$N1K; fi
	for acks in 1 all; do
		idem=false
		[[ $acks == all ]] && idem=true
		label="${size}B acks=${acks} linger=${LINGER_MS}ms"
		echo
		echo "== $label, $n records"

		pt="evbench-bench-pp-${size}-${acks}-$$"
		kperf -mode create -topic "$pt" -partitions "$PARTITIONS"
		pp="$(tool org.apache.kafka.tools.ProducerPerformance --topic "$pt" --num-records "$n" \
			--record-size "$size" --throughput -1 --producer-props bootstrap.servers="$BROKERS" \
			acks="$acks" linger.ms="$LINGER_MS" batch.size="$BATCH" enable.idempotence="$idem" compression.type=none |
			tail -n 1)"
		echo "ProducerPerformance: $pp"
		pp_rate="$(sed -n 's/.* records sent, \([0-9.]*\) records\/sec.*/\1/p' <<<"$pp")"
		kperf -mode delete -topic "$pt"

		et="evbench-bench-ev-${size}-${acks}-$$"
		kperf -mode create -topic "$et" -partitions "$PARTITIONS"
		out="$(kperf -mode both -topic "$et" -records "$n" -size "$size" -acks "$acks" \
			-linger "${LINGER_MS}ms" -batch-max-bytes "$BATCH" -keep)"
		echo "$out"
		ev_prod="$(field "$(grep '^kperf produce' <<<"$out")" rate)"
		ev_cons="$(field "$(grep '^kperf consume' <<<"$out")" rate)"
		row "produce $label" "$ev_prod" "${pp_rate:-?}" "$(ratio "$ev_prod" "${pp_rate:-0}")"

		if [[ $acks == 1 ]]; then
			cp="$(tool org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$BROKERS" --topic "$et" \
				--messages "$n" --group "evbench-bench-cp-$$-$size" --timeout 120000 --hide-header | tail -n 1)"
			echo "ConsumerPerformance: $cp"
			cp_fetch="$(awk -F', ' '{print $10}' <<<"$cp")"
			row "consume ${size}B" "$ev_cons" "${cp_fetch:-?}" "$(ratio "$ev_cons" "${cp_fetch:-0}")"
		fi
		kperf -mode delete -topic "$et"
	done
done

emb=()
for size in 100 1024; do
	if [[ $size == 100 ]]; then n=$N100; else n=$N1K; fi
	for acks in 1 all; do
		out="$("$tmp/kperf" -brokers embedded -records "$n" -size "$size" -acks "$acks" \
			-linger "${LINGER_MS}ms" -batch-max-bytes "$BATCH")"
		p="$(field "$(grep '^kperf produce' <<<"$out")" rate)"
		c="$(field "$(grep '^kperf consume' <<<"$out")" rate)"
		emb+=("$(printf '%-34s %14s %14s' "${size}B acks=${acks} linger=${LINGER_MS}ms" "$p" "$c")")
	done
done

echo
echo "== Kafka throughput, records/s: evbench vs Apache Kafka's perf tools on $BROKERS (same broker, same run)"
printf '%-34s %14s %14s %8s\n' "" "evbench" "Kafka tool" "ratio"
printf '%s\n' "${rows[@]}"
echo "(produce: whole run, first send to last ack; consume: ConsumerPerformance fetch.nMsg.sec and evbench's rate, both from partition assignment to the last record, so excluding the group join)"
echo
echo "== embedded broker (in-process kfake: in memory, NOT disk-backed; no reference tool), records/s"
printf '%-34s %14s %14s\n' "" "produce" "consume"
printf '%s\n' "${emb[@]}"
