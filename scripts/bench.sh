#!/usr/bin/env bash
# scripts/bench.sh: what `make bench` runs (issue 15). Every figure is printed
# as a ratio against a reference tool measured in the same invocation on the
# same machine, because these machines are shared and noisy: absolute numbers
# from different runs are not comparable, ratios from one run are. Nothing
# here is asserted.
#
#   scripts/bench-webhook.sh  `evbench run`'s ceiling (generator lag p99 < 1 ms,
#                             lost 0; 1 and 10 subscribers) vs wrk and vegeta
#   scripts/bench-kafka.sh    evbench's producer/consumer vs ProducerPerformance
#                             and ConsumerPerformance with matched settings, and
#                             `evbench run`'s ceiling on the real broker
#   scripts/bench-long.sh     (make bench-long) 10M events x 3 subscribers, RSS
#
# The stripped micro-benchmarks are for profiling only, not the real path:
#   go test -run '^$' -bench . ./runners/load/          (pacer: ns/event, lag, CPU/event)
#   go test -run '^$' -bench BenchmarkDispatch ./runners/webhook/
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== webhook: evbench run (real path) vs wrk and vegeta"
scripts/bench-webhook.sh

echo
echo "== Kafka: evbench vs Apache Kafka's perf tools, and evbench run (real path)"
scripts/bench-kafka.sh
