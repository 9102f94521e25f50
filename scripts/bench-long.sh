#!/usr/bin/env bash
# scripts/bench-long.sh: what `make bench-long` runs (issue 15 targets), each
# a real `evbench run` whose peak RSS is read from its results.json
# (peak_rss_bytes: getrusage's high-water mark when results.json is written,
# covering every point, teardown and encoding; docs/results.schema.json):
#   1. 1,000 webhook subscribers at a low rate: peak RSS < 500 MB
#      (BENCH_LONG_SUBS subscribers, BENCH_LONG_SUBS_RATE events/s for
#      BENCH_LONG_SUBS_SECS seconds: 2/s for 60 s by default, 120,000
#      deliveries; about 1.5 minutes);
#   2. 10M events to 3 webhook subscribers: peak RSS < 200 MB
#      (BENCH_LONG_EVENTS / BENCH_LONG_RATE seconds: 10M / 5000/s is about 33
#      minutes; 3 subscribers x 20000/s overloads a shared 2-core machine,
#      which dead-letters on full queues) plus the drain.
#   3. isolation from consumers: 100 Kafka consumer groups at 200 events/s,
#      generator lag p99 < 1 ms (BENCH_LONG_GROUPS groups for
#      BENCH_LONG_GROUPS_SECS seconds), on the embedded broker and, when
#      EVBENCH_KAFKA_BROKERS is set, on that real broker; each next to a
#      1-group control run and the machine's load average (/proc/loadavg)
#      before and after, so a lag caused by other processes on a shared
#      machine can be told from one caused by the consumers. From 8 groups
#      the kafka runner runs them in child processes (runners/kafka/
#      isolate.go); a third run per broker keeps the 100 groups in the
#      generator's process (EVBENCH_KAFKA_GROUP_PROCESSES=off) for
#      comparison. About 3 minutes.
# BENCH_LONG_ONLY=subs, =events or =groups runs one of them; BENCH_LONG_OUT=DIR
# keeps the runs' results.json there (default: a temporary directory,
# removed at exit). Exits 1 when a
# subscriber lost events, a peak is over its target or the lag p99 of 100
# groups is 1 ms or more.
set -euo pipefail
cd "$(dirname "$0")/.."

SUBS=${BENCH_LONG_SUBS:-1000}
SUBS_RATE=${BENCH_LONG_SUBS_RATE:-2}
SUBS_SECS=${BENCH_LONG_SUBS_SECS:-60}
SUBS_LIMIT_MB=${BENCH_LONG_SUBS_RSS_MB:-500}
EVENTS=${BENCH_LONG_EVENTS:-10000000}
RATE=${BENCH_LONG_RATE:-5000}
LIMIT_MB=${BENCH_LONG_RSS_MB:-200}
GROUPS_N=${BENCH_LONG_GROUPS:-100}
GROUPS_SECS=${BENCH_LONG_GROUPS_SECS:-20}
ONLY=${BENCH_LONG_ONLY:-}
EVBENCH=${EVBENCH:-bin/evbench}
[[ -x "$EVBENCH" ]] || go build -o "$EVBENCH" ./cmd/evbench
if [[ -n ${BENCH_LONG_OUT:-} ]]; then
	tmp=$BENCH_LONG_OUT
	mkdir -p "$tmp"
else
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
fi
failed=0

# check NAME LIMIT_MB: prints the figures of $tmp/NAME/results.json and
# whether the peak is under LIMIT_MB MB (10^6 bytes) with nothing lost.
check() {
	local r="$tmp/$1/results.json" lim=$2
	[[ -s $r ]] || { echo "bench-long $1: no results" >&2; failed=1; return; }
	jq -r '.points[] | "  subscribers: \(.subscribers | length), events sent: \(.subscribers | map(.accounting.sent) | max), lost: \(.subscribers | map(.accounting.lost) | add), generator lag p99: \(.generator_lag_us.p99) us, point max_rss_bytes: \(.resources.max_rss_bytes / 1048576 | floor) MiB"' "$r"
	jq -r '.points[] | .subscribers[] | select(.accounting.lost > 0) | "  \(.name) lost \(.accounting.lost) by cause \(.accounting.lost_by | with_entries(select(.value > 0)))"' "$r" | head -5
	jq -r '.points[] | select(.overloaded) | "  overloaded: \(.overload_reason)"' "$r"
	jq -r '"  peak RSS (peak_rss_bytes): \(.peak_rss_bytes / 1048576 | floor) MiB = \(.peak_rss_bytes / 1000000 | floor) MB"' "$r"
	if jq -e --argjson lim "$lim" '.peak_rss_bytes > 0 and .peak_rss_bytes < $lim * 1000000 and (.points | all((.subscribers | map(.accounting.lost) | add) == 0))' "$r" >/dev/null; then
		echo "  target met: peak RSS < ${lim} MB, lost 0"
	else
		echo "  target NOT met (peak RSS >= ${lim} MB, or events lost)"
		failed=1
	fi
}

if [[ -z $ONLY || $ONLY == subs ]]; then
	cat >"$tmp/subs.yaml" <<YAML
name: bench-long-subscribers
description: $SUBS webhook subscribers at ${SUBS_RATE} events/s, peak RSS (issue 15)
load: {arrival: constant, rate: ${SUBS_RATE}/s, warmup: 2s, duration: ${SUBS_SECS}s, drain: 30s}
event: {size: 1KiB, keys: 1000, seed: 1}
subscribers:
  - {name: s, count: $SUBS, processing: 0ms}
systems:
  webhook: {}
YAML
	echo "-- evbench run: $SUBS webhook subscribers at ${SUBS_RATE}/s for ${SUBS_SECS}s"
	"$EVBENCH" run "$tmp/subs.yaml" --out "$tmp/subs" --no-report --quiet >/dev/null || true
	check subs "$SUBS_LIMIT_MB"
fi

if [[ -z $ONLY || $ONLY == events ]]; then
	secs=$(( (EVENTS + RATE - 1) / RATE ))
	cat >"$tmp/long.yaml" <<YAML
name: bench-long
description: $EVENTS events x 3 webhook subscribers, peak RSS (issue 15)
load: {arrival: constant, rate: ${RATE}/s, warmup: 0s, duration: ${secs}s, drain: 30s}
event: {size: 1KiB, keys: 1000, seed: 1}
subscribers:
  - {name: a, processing: 0ms}
  - {name: b, processing: 0ms}
  - {name: c, processing: 0ms}
systems:
  webhook: {}
YAML
	echo "-- evbench run: $EVENTS events at ${RATE}/s (${secs}s) x 3 subscribers"
	"$EVBENCH" run "$tmp/long.yaml" --out "$tmp/long" --no-report --quiet >/dev/null || true
	check long "$LIMIT_MB"
fi
if [[ -z $ONLY || $ONLY == groups ]]; then
	# groups N LABEL [--brokers ...]: one run of N consumer groups at 200/s
	# (GROUPS_ENV, when set, is passed in the run's environment).
	groups() {
		local n=$1 label=$2
		shift 2
		cat >"$tmp/groups-$label.yaml" <<YAML
name: bench-long-groups
description: $n Kafka consumer groups at 200 events/s, generator lag (issue 15 item 4)
load: {arrival: constant, rate: 200/s, warmup: 2s, duration: ${GROUPS_SECS}s, drain: 10s}
event: {size: 1KiB, keys: 1000, seed: 1}
subscribers:
  - {name: g, count: $n, processing: 0ms}
systems:
  kafka: {}
YAML
		local before after r="$tmp/groups-$label/results.json"
		before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
		env ${GROUPS_ENV:-} "$EVBENCH" run "$tmp/groups-$label.yaml" --out "$tmp/groups-$label" --no-report --quiet "$@" >/dev/null || true
		after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
		[[ -s $r ]] || { echo "  $label: no results" >&2; failed=1; return; }
		jq -r --arg l "$label" --arg b "$before" --arg a "$after" '.points[0] | "  \($l): \(.subscribers | length) groups \(if any(.notes[]; test("child process")) then "in child processes" else "in the generator process" end), lag p99 \(.generator_lag_us.p99) us (max \(.generator_lag_us.max) us), lost \(.subscribers | map(.accounting.lost) | add), duplicates \(.subscribers | map(.accounting.duplicates) | add), evbench cpu \((.resources.cpu_user_s + .resources.cpu_sys_s) * 10 | floor / 10) s, load average \($b) -> \($a)"' "$r"
		if [[ $n -eq $GROUPS_N && -z ${GROUPS_ENV:-} ]] && ! jq -e '.points[0].generator_lag_us.p99 < 1000' "$r" >/dev/null; then
			echo "  target NOT met: lag p99 >= 1 ms with $n groups"
			failed=1
		fi
	}
	echo "-- evbench run: $GROUPS_N Kafka consumer groups at 200/s for ${GROUPS_SECS}s (nproc $(nproc))"
	groups 1 embedded-1
	groups "$GROUPS_N" "embedded-$GROUPS_N"
	GROUPS_ENV=EVBENCH_KAFKA_GROUP_PROCESSES=off groups "$GROUPS_N" "embedded-$GROUPS_N-in-process"
	if [[ -n ${EVBENCH_KAFKA_BROKERS:-} ]]; then
		groups 1 real-1 --brokers "$EVBENCH_KAFKA_BROKERS"
		groups "$GROUPS_N" "real-$GROUPS_N" --brokers "$EVBENCH_KAFKA_BROKERS"
		GROUPS_ENV=EVBENCH_KAFKA_GROUP_PROCESSES=off groups "$GROUPS_N" "real-$GROUPS_N-in-process" --brokers "$EVBENCH_KAFKA_BROKERS"
	fi
fi
exit $failed
