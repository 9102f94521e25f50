package scenarios_test

import (
	"strings"
	"testing"

	"github.com/evbench/evbench/runners/webhook"
	. "github.com/evbench/evbench/scenarios"
)

// TestMaxInFlightTotal: systems.webhook.max_in_flight_total has its
// default, takes a whole number in range and names file:line:column when
// it is wrong.
func TestMaxInFlightTotal(t *testing.T) {
	const head = "load: {rate: 10/s, duration: 2s}\nsubscribers: [{name: a}]\nsystems:\n  webhook:\n"
	for _, c := range []struct {
		name, webhook string
		want          int
		err           string
	}{
		{"default", "    timeout: 1s\n", DefaultInFlightTotal, ""},
		{"set", "    max_in_flight_total: 256\n", 256, ""},
		{"zero", "    max_in_flight_total: 0\n", 0, "x.yaml:5:26: systems.webhook.max_in_flight_total: 0"},
		{"too many", "    max_in_flight_total: 100001\n", 0, "x.yaml:5:26: systems.webhook.max_in_flight_total"},
		{"not a number", "    max_in_flight_total: lots\n", 0, "x.yaml:5:26: systems.webhook.max_in_flight_total"},
	} {
		t.Run(c.name, func(t *testing.T) {
			sc, err := LoadBytes("x.yaml", []byte(head+c.webhook))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := webhook.ConfigOf(sc).MaxInFlightTotal; got != c.want {
				t.Errorf("max_in_flight_total %d, want %d", got, c.want)
			}
		})
	}
}
