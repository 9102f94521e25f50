package scenarios_test

import (
	"strings"
	"testing"

	"github.com/evbench/evbench/runners/bridge"
	. "github.com/evbench/evbench/scenarios"
)

// TestParallelRunKey: systems.bridge.parallel_run loads, defaults to false,
// and, like any bridge scenario, refuses real receivers (the legacy path
// uses in-process sinks).
func TestParallelRunKey(t *testing.T) {
	const base = "load: {rate: 10/s, duration: 2s}\nsubscribers: [{name: a%s}]\nsystems: {bridge: {%s}}\n"
	for _, c := range []struct{ sub, bridge, want string }{
		{"", "parallel_run: true", ""},
		{"", "", ""},
		{"", "parallel_run: yes please", "systems.bridge.parallel_run"},
		// Real receivers are refused with the bridge anyway.
		{", url: 'http://example.com/hook'", "parallel_run: true", "subscribers[0].url: a url subscriber is a real webhook receiver"},
	} {
		sc, err := LoadBytes("p.yaml", []byte(strings.NewReplacer("a%s", "a"+c.sub, "{%s}", "{"+c.bridge+"}").Replace(base)))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.bridge, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q %q: error %v, want %q", c.sub, c.bridge, err, c.want)
		case c.want == "" && bridge.ConfigOf(sc).ParallelRun != (c.bridge != ""):
			t.Errorf("%q: parallel_run %v", c.bridge, bridge.ConfigOf(sc).ParallelRun)
		}
	}
}
