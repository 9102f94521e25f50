package bridge_test

import (
	"testing"

	"github.com/evbench/evbench/runners/bridge"
	"github.com/evbench/evbench/runners/runnertest"
)

// TestConformance runs the conformance suite (runners/runnertest) on the
// webhook->Kafka bridge against the embedded broker.
func TestConformance(t *testing.T) {
	runnertest.Run(t, bridge.System, runnertest.Options{
		Systems: "kafka: {brokers: embedded, topic: {partitions: 4}}\nbridge: {}",
		Skip: map[string]string{
			// Measured: Ctrl-C 1 s into the drain returned after 29 s, status
			// complete. Remove once wip/kafka (Ctrl-C during the drain ends it
			// promptly) is merged.
			"interrupt/drain": "the bridge runner ignores Ctrl-C during the drain (issue 8; fixed on branch wip/kafka, not merged yet)",
		},
		Caps: runnertest.Capabilities{Publish: true, Ingress: true, ConsumerLag: true, Broker: true, Retries: true},
	})
}
