package scenarios_test

import (
	"errors"
	"strings"
	"testing"

	. "github.com/evbench/evbench/scenarios"
)

// FuzzLoad feeds arbitrary bytes to the loader. It must never panic, and it
// must return either a valid scenario or an *Error that names the file and a
// line and column; a loaded scenario must validate, encode and expand.
func FuzzLoad(f *testing.F) {
	for _, name := range Examples() {
		b, err := Example(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, tc := range brokenCases {
		f.Add([]byte(tc.yaml))
	}
	f.Add([]byte(sweepYAML))
	f.Add([]byte("a: &x [*x, *x]\nb: *x\n"))
	// Issue 9 items 9 and 11: hostile nesting, a BOM, tiny rates.
	f.Add([]byte("x: " + strings.Repeat("[", 200)))
	f.Add([]byte("x: " + strings.Repeat("{a: ", 100)))
	f.Add([]byte("\ufeff" + minimal))
	f.Add([]byte("load: {rate: 1e-300/s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n"))
	f.Add([]byte("x: \"[[[[\" # [[[[\ny: '[[''[['\n"))
	f.Add([]byte("load: {rate: 1/s}\nsubscribers: [{name: a, count: 10000}]\nsystems: {webhook: {}}\nsweep: {subscribers: [1, 10000]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := LoadBytes("fuzz.yaml", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is %T, not *Error: %v", err, err)
			}
			if s != nil {
				t.Fatal("both a scenario and an error")
			}
			if e.File != "fuzz.yaml" || e.Line < 1 || e.Column < 1 || e.Msg == "" {
				t.Fatalf("error without a position or message: %#v", e)
			}
			return
		}
		if s == nil {
			t.Fatal("no scenario and no error")
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("loaded scenario does not validate: %v", err)
		}
		if _, err := s.JSON(); err != nil {
			t.Fatalf("JSON: %v", err)
		}
		pts, err := s.Expand()
		if err == nil && len(pts) == 0 {
			t.Fatal("Expand returned no points")
		}
		for _, th := range s.Thresholds {
			if e, err := ParseExpr(th.Source); err != nil || e != th.Expr {
				t.Fatalf("threshold %q loaded as %+v; ParseExpr gives %+v, %v", th.Source, th.Expr, e, err)
			}
		}
	})
}
