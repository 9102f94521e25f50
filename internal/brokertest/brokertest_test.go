package brokertest

import (
	"strings"
	"testing"
)

// fake records what the helper does to a test.
type fake struct {
	testing.TB
	logs, fatals, skips []string
}

type stop struct{}

func (f *fake) Helper()                   {}
func (f *fake) Logf(s string, a ...any)   { f.logs = append(f.logs, s) }
func (f *fake) Fatalf(s string, a ...any) { f.fatals = append(f.fatals, s); panic(stop{}) }
func (f *fake) Skipf(s string, a ...any)  { f.skips = append(f.skips, s); panic(stop{}) }

func call(f *fake, fn func()) {
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(stop); !ok {
				panic(p)
			}
		}
	}()
	fn()
}

func TestTargets(t *testing.T) {
	tests := []struct {
		name, brokers, require string
		want                   []Target
		logs, fatals           int
	}{
		{"embedded only, noted", "", "", []Target{{"embedded", "E"}}, 1, 0},
		{"required and missing", "", "1", nil, 0, 1},
		{"real too", " 127.0.0.1:9092 ", "1", []Target{{"embedded", "E"}, {"real", "127.0.0.1:9092"}}, 0, 0},
		{"blank is unset", "  ", "", []Target{{"embedded", "E"}}, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(BrokersEnv, tc.brokers)
			t.Setenv(RequireEnv, tc.require)
			f := &fake{TB: t}
			var got []Target
			call(f, func() { got = Targets(f, "E") })
			if len(got) != len(tc.want) || (len(got) > 0 && got[len(got)-1] != tc.want[len(tc.want)-1]) {
				t.Errorf("targets %v, want %v", got, tc.want)
			}
			if len(f.logs) != tc.logs || len(f.fatals) != tc.fatals {
				t.Errorf("logs %q fatals %q, want %d and %d", f.logs, f.fatals, tc.logs, tc.fatals)
			}
		})
	}
}

func TestRequireReal(t *testing.T) {
	t.Setenv(BrokersEnv, "")
	t.Setenv(RequireEnv, "")
	f := &fake{TB: t}
	call(f, func() { RequireReal(f) })
	if len(f.skips) != 1 || !strings.Contains(f.skips[0], "not set") {
		t.Errorf("unset: skips %q, want one", f.skips)
	}
	t.Setenv(RequireEnv, "1")
	f = &fake{TB: t}
	call(f, func() { RequireReal(f) })
	if len(f.fatals) != 1 {
		t.Errorf("unset and required: fatals %q, want one", f.fatals)
	}
	t.Setenv(BrokersEnv, "h:1")
	f = &fake{TB: t}
	if got := RequireReal(f); got != "h:1" || len(f.skips)+len(f.fatals) != 0 {
		t.Errorf("set: %q, skips %q fatals %q", got, f.skips, f.fatals)
	}
}
