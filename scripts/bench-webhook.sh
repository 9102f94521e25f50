#!/usr/bin/env bash
# scripts/bench-webhook.sh: evbench's webhook dispatcher vs wrk, against the
# same no-op sink, in the same invocation (issue 2, item 9). Printed, not
# asserted. Target: evbench >= 0.8x wrk; allocations per delivery <= 2.
#
# The sink is evbench's own (runners/webhook.Sink, no processing, Standard
# Webhooks signature verification on), in its own process, started by
# runners/webhook/internal/benchtool and stopped by PID. Its recorder only
# counts (no dedup by id), so a request costs the sink the same whoever
# sends it: the sink is the constant, the sender is what is compared.
#
# Concurrency is the same for both (override with BENCH_CONNS):
#   wrk:     -t2 -c64: 2 threads, 64 keep-alive connections, each with one
#            request outstanding; one static, validly signed 1 KiB POST
#            repeated (wrk's fastest mode; the sink verifies its signature
#            every time). wrk signs nothing: it replays one request.
#   evbench: max_in_flight 64, connections keepalive: 64 workers over 64
#            keep-alive connections; every delivery a distinct event id,
#            signed per attempt (HMAC-SHA256), attempt latency recorded in
#            an HdrHistogram, the queue kept non-empty (maximum rate).
# Both share the machine's cores with the sink.
#
# Environment: BENCH_DURATION (seconds per run, default 4), BENCH_ROUNDS
# (alternating wrk/evbench rounds, default 5; the best of each is compared),
# BENCH_CONNS (64),
# BENCH_WRK_THREADS (2), BENCH_SKIP_GO=1 to skip the in-process
# `go test -bench BenchmarkDispatch` allocation figure.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_DURATION:-4}
ROUNDS=${BENCH_ROUNDS:-5}
CONNS=${BENCH_CONNS:-64}
THREADS=${BENCH_WRK_THREADS:-2}

if ! command -v wrk >/dev/null 2>&1; then
	echo "bench-webhook: wrk is not installed; it is the reference tool this benchmark compares against." >&2
	echo "bench-webhook: install it with:  apt-get install -y wrk" >&2
	exit 1
fi

tmp=$(mktemp -d)
sink_pid=""
cleanup() {
	if [ -n "$sink_pid" ]; then
		kill "$sink_pid" 2>/dev/null || true
		wait "$sink_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

EVBENCH_BENCH_SECRET="whsec_$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
export EVBENCH_BENCH_SECRET

echo "-- building the benchmark helper (runners/webhook/internal/benchtool)"
go build -o "$tmp/benchtool" ./runners/webhook/internal/benchtool

"$tmp/benchtool" sink -url-file "$tmp/url" >"$tmp/sink.log" 2>&1 &
sink_pid=$!
for _ in $(seq 1 100); do
	[ -s "$tmp/url" ] && break
	if ! kill -0 "$sink_pid" 2>/dev/null; then
		echo "bench-webhook: the sink exited:" >&2
		cat "$tmp/sink.log" >&2
		exit 1
	fi
	sleep 0.1
done
if [ ! -s "$tmp/url" ]; then
	echo "bench-webhook: the sink did not start within 10 s" >&2
	exit 1
fi
url=$(cat "$tmp/url")
echo "-- no-op sink (pid $sink_pid) at $url"

"$tmp/benchtool" wrk-script -out "$tmp/signed.lua"

# Alternate the two tools for ROUNDS rounds and keep each one's best: the
# machine is shared, and interleaving gives both the same background.
wrk_best=0
ev_best=0
ev_errs=0
for round in $(seq 1 "$ROUNDS"); do
	echo "-- round $round/$ROUNDS: wrk -t$THREADS -c$CONNS -d${DURATION}s (signed 1 KiB POST)"
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f "%U %S" -o "$tmp/wrk.cpu" wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" -s "$tmp/signed.lua" "$url" | tee "$tmp/wrk.out"
		awk -v cpu="$(cat "$tmp/wrk.cpu")" '/ requests in / { split(cpu, c, " "); printf "wrk cpu per request: %.2f us\n", (c[1] + c[2]) * 1e6 / $1 }' "$tmp/wrk.out"
	else
		wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" -s "$tmp/signed.lua" "$url" | tee "$tmp/wrk.out"
	fi
	if grep -q "Non-2xx" "$tmp/wrk.out"; then
		echo "bench-webhook: WARNING: wrk saw non-2xx answers (signature rejected?); its figure is not comparable" >&2
	fi
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk.out")
	wrk_best=$(awk -v a="$wrk_best" -v b="$rps" 'BEGIN { print (b > a ? b : a) }')

	echo "-- round $round/$ROUNDS: evbench dispatcher, max_in_flight $CONNS, keepalive, ${DURATION}s at maximum rate"
	"$tmp/benchtool" dispatch -url "$url" -max-in-flight "$CONNS" -duration "${DURATION}s" | tee "$tmp/evbench.out"
	rps=$(awk '/^deliveries\/s:/ {print $2}' "$tmp/evbench.out")
	ev_best=$(awk -v a="$ev_best" -v b="$rps" 'BEGIN { print (b > a ? b : a) }')
	ev_errs=$((ev_errs + $(awk '/^errors:/ {print $2}' "$tmp/evbench.out")))
done

kill "$sink_pid" 2>/dev/null || true
wait "$sink_pid" 2>/dev/null || true
sink_pid=""
cat "$tmp/sink.log"

allocs="skipped (BENCH_SKIP_GO=1)"
if [ "${BENCH_SKIP_GO:-}" != "1" ]; then
	echo "-- go test -bench BenchmarkDispatch -benchmem (sender and sink in one process)"
	go test -run '^$' -bench '^BenchmarkDispatch$' -benchmem -benchtime 200000x ./runners/webhook/ | tee "$tmp/go.out"
	allocs=$(awk '/^BenchmarkDispatch/ { for (i = 1; i < NF; i++) if ($(i+1) == "allocs/delivery") print $i }' "$tmp/go.out")
fi

echo
echo "== webhook dispatch throughput (same sink, same machine, same invocation)"
echo "   best of $ROUNDS alternating ${DURATION}s runs each"
printf "   wrk:      %10.0f requests/s   (-t%s -c%s)\n" "$wrk_best" "$THREADS" "$CONNS"
printf "   evbench:  %10.0f deliveries/s (max_in_flight %s, keepalive, signing + histograms on; %s errors)\n" "$ev_best" "$CONNS" "$ev_errs"
awk -v a="$ev_best" -v b="$wrk_best" 'BEGIN { r = a / b; printf "   ratio:    %10.2fx wrk (target >= 0.8x): %s\n", r, (r >= 0.8 ? "met" : "NOT met") }'
echo "   allocs per delivered event (in-process, sender + sink): $allocs (target <= 2)"
