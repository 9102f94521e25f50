package kafka_test

import (
	"os"
	"strings"
	"testing"

	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/runners/runnertest"
)

// TestConformance runs the conformance suite (runners/runnertest) on the
// kafka system against the embedded broker, and against the real broker
// in EVBENCH_KAFKA_BROKERS when it is set (make test sets it).
func TestConformance(t *testing.T) {
	real := strings.TrimSpace(os.Getenv("EVBENCH_KAFKA_BROKERS"))
	for _, tg := range []struct{ name, brokers string }{{"embedded", ""}, {"real", real}} {
		t.Run(tg.name, func(t *testing.T) {
			if tg.name == "real" && tg.brokers == "" {
				t.Skip("EVBENCH_KAFKA_BROKERS is not set")
			}
			runnertest.Run(t, kafka.System, runnertest.Options{
				Systems: "kafka: {brokers: embedded, topic: {partitions: 4}}",
				Brokers: tg.brokers,
			})
		})
	}
}
