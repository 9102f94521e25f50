#!/usr/bin/env bash
# scripts/bench-long.sh: what `make bench-long` runs (issue 15 target): 10M
# events to 3 webhook subscribers in one `evbench run`, and the process's
# peak RSS from results.json (max_rss_bytes, getrusage's high-water mark)
# against the 200 MB target. Exits 1 when a subscriber lost events or the
# peak is over the target. It takes BENCH_LONG_EVENTS / BENCH_LONG_RATE
# seconds (10M / 5000/s: about 33 minutes; 3 subscribers x 20000/s overloads a
# shared 2-core machine, which dead-letters on full queues) plus the drain.
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${BENCH_LONG_EVENTS:-10000000}
RATE=${BENCH_LONG_RATE:-5000}
LIMIT_MB=${BENCH_LONG_RSS_MB:-200}
EVBENCH=${EVBENCH:-bin/evbench}
[[ -x "$EVBENCH" ]] || go build -o "$EVBENCH" ./cmd/evbench
secs=$(( (EVENTS + RATE - 1) / RATE ))
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

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
"$EVBENCH" run "$tmp/long.yaml" --out "$tmp/out" --no-report --quiet || true
r="$tmp/out/results.json"
[[ -s $r ]] || { echo "bench-long: no results" >&2; exit 1; }
jq -r '.points[] | "events sent: \(.subscribers | map(.accounting.sent) | max), lost: \(.subscribers | map(.accounting.lost) | add), generator lag p99: \(.generator_lag_us.p99) us, max RSS: \(.resources.max_rss_bytes / 1048576 | floor) MiB"' "$r"
jq -e --argjson lim "$LIMIT_MB" '.points | all(.resources.max_rss_bytes < $lim * 1048576 and (.subscribers | map(.accounting.lost) | add) == 0)' "$r" >/dev/null &&
	echo "target met: peak RSS < ${LIMIT_MB} MB, lost 0" || { echo "target NOT met (peak RSS >= ${LIMIT_MB} MB or events lost)"; exit 1; }
