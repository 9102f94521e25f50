#!/usr/bin/env bash
# scripts/bench.sh: what `make bench` runs. Every figure is printed as a
# ratio against a reference tool measured in the same invocation on the same
# machine (wrk for webhooks; Apache Kafka's ProducerPerformance and
# ConsumerPerformance for Kafka), because these machines are shared and
# noisy: absolute numbers from different runs are not comparable, ratios
# from one run are. Nothing here is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== webhook dispatcher vs wrk"
scripts/bench-webhook.sh

echo
echo "== Kafka producer/consumer vs Apache Kafka's perf tools"
scripts/bench-kafka.sh
