// Package brokertest is the one place tests decide which Kafka brokers they
// run against: the embedded in-memory broker always, and the real broker
// named by EVBENCH_KAFKA_BROKERS when it is set (make test sets it after
// scripts/kafka.sh up). Without it the real-broker cases skip, unless
// EVBENCH_REQUIRE_KAFKA=1 (CI), in which case they fail.
package brokertest

import (
	"os"
	"strings"
	"testing"
)

// Environment variables the helper reads.
const (
	// BrokersEnv names the real broker's bootstrap addresses.
	BrokersEnv = "EVBENCH_KAFKA_BROKERS"
	// RequireEnv, set to 1, turns a missing real broker into a failure.
	RequireEnv = "EVBENCH_REQUIRE_KAFKA"
)

const howTo = "start a broker with scripts/kafka.sh up and set " + BrokersEnv + "=127.0.0.1:9092"

// Target is one broker a test runs against.
type Target struct {
	// Name is "embedded" or "real", for subtest names.
	Name string
	// Brokers is the bootstrap list (the embedded marker for the in-memory
	// broker).
	Brokers string
}

// Real returns the real broker's bootstrap list, "" when none is set.
func Real() string { return strings.TrimSpace(os.Getenv(BrokersEnv)) }

// NoteMissing, when no real broker is set, logs that the real-broker cases
// are skipped, or fails the test when EVBENCH_REQUIRE_KAFKA=1. It does
// nothing when a real broker is set.
func NoteMissing(t testing.TB) {
	t.Helper()
	if Real() != "" {
		return
	}
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s=1 but %s is not set: %s", RequireEnv, BrokersEnv, howTo)
	}
	t.Logf("real-broker cases skipped: %s is not set (%s)", BrokersEnv, howTo)
}

// RequireReal returns the real broker's bootstrap list, skipping the test
// when none is set (failing it when EVBENCH_REQUIRE_KAFKA=1). For tests
// that only make sense on a real broker.
func RequireReal(t testing.TB) string {
	t.Helper()
	b := Real()
	if b != "" {
		return b
	}
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s=1 but %s is not set: %s", RequireEnv, BrokersEnv, howTo)
	}
	t.Skipf("%s is not set: no real broker (%s)", BrokersEnv, howTo)
	return ""
}

// Targets returns the embedded broker (embedded is its bootstrap marker,
// e.g. kafka.Embedded, passed in so this package imports no runner) and
// the real one when set; see NoteMissing for what happens when it is not.
func Targets(t testing.TB, embedded string) []Target {
	t.Helper()
	out := []Target{{"embedded", embedded}}
	if b := Real(); b != "" {
		return append(out, Target{"real", b})
	}
	NoteMissing(t)
	return out
}
