package bridge_test

import (
	"os"
	"strings"
	"testing"

	"github.com/evbench/evbench/runners/bridge"
	"github.com/evbench/evbench/runners/runnertest"
)

// TestConformance runs the conformance suite (runners/runnertest) on the
// webhook->Kafka bridge against the embedded broker, and against the real broker
// in EVBENCH_KAFKA_BROKERS when it is set (make test sets it).
func TestConformance(t *testing.T) {
	real := strings.TrimSpace(os.Getenv("EVBENCH_KAFKA_BROKERS"))
	for _, tg := range []struct{ name, brokers string }{{"embedded", ""}, {"real", real}} {
		t.Run(tg.name, func(t *testing.T) {
			if tg.name == "real" && tg.brokers == "" {
				t.Skip("EVBENCH_KAFKA_BROKERS is not set")
			}
			runnertest.Run(t, bridge.System, runnertest.Options{
				Systems: "kafka: {brokers: embedded, topic: {partitions: 4}}\nbridge: {}",
				Brokers: tg.brokers,
				Skip: map[string]string{
					// Measured: Ctrl-C 1 s into the drain returned after 29 s,
					// status complete. The suite passes this case unskipped on
					// wip/kafka (8386f68); remove the skip once it is merged.
					"interrupt/drain": "the bridge runner ignores Ctrl-C during the drain (issue 8; fixed on branch wip/kafka, not merged yet)",
					// Found by this suite: measure.Point.Finish adds ingress
					// latency only when a value was recorded, so a bridge point
					// interrupted in the warm-up has no ingress figure at all
					// (every other check of the case passes). No branch fixes it
					// yet: issue 8 item 1 (Finish takes the system's capabilities).
					"interrupt/warmup": "a bridge point with no measured event has no ingress latency (measure.Point.Finish infers it from a non-empty histogram; issue 8 item 1, no branch yet)",
				},
				Caps: runnertest.Capabilities{Publish: true, Ingress: true, ConsumerLag: true, Broker: true, Retries: true},
			})
		})
	}
}
