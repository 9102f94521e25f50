package runners

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/results"
)

// stubRunner returns a fixed point (or error) without running anything.
type stubRunner struct {
	p   *results.Point
	err error
}

func (s stubRunner) Run(context.Context, *Point) (*results.Point, error) { return s.p, s.err }

// TestRegisterDescriptor: a registered descriptor is found by name, and
// every point a runner from New returns records its cost family and order
// (the capabilities come from measure.Point.Finish), failed points
// included; an incomplete or duplicate descriptor panics at start-up.
func TestRegisterDescriptor(t *testing.T) {
	caps := results.Capabilities{Publish: true, ConsumerLag: true, Broker: true}
	d := Descriptor{Name: "test-registry-log", Caps: caps, CostFamily: results.FamilyLog, Order: 7,
		New: func() Runner { return stubRunner{p: &results.Point{System: "test-registry-log", Capabilities: &caps}} }}
	Register(d)
	got, ok := Lookup(d.Name)
	if !ok || got.Name != d.Name || got.Caps != caps || got.CostFamily != results.FamilyLog || got.Order != 7 {
		t.Fatalf("Lookup = %+v, %v", got, ok)
	}
	r, err := New(d.Name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Run(context.Background(), &Point{})
	if err != nil || p.CostFamily != results.FamilyLog || p.Order != 7 || p.Capabilities == nil || *p.Capabilities != caps {
		t.Fatalf("point %+v, %v: want the descriptor's cost family, order and capabilities", p, err)
	}

	fail := Descriptor{Name: "test-registry-failing", CostFamily: results.FamilyPush, Order: 8,
		New: func() Runner {
			return stubRunner{p: &results.Point{Status: results.StatusFailed}, err: errors.New("boom")}
		}}
	Register(fail)
	r, _ = New(fail.Name)
	if p, err := r.Run(context.Background(), &Point{}); err == nil || p.CostFamily != results.FamilyPush || p.Order != 8 || p.Capabilities != nil {
		t.Errorf("failed point %+v, %v: cost family and order recorded, no capabilities (Finish never ran)", p, err)
	}

	for _, tc := range []struct {
		name string
		d    Descriptor
		want string
	}{
		{"no factory", Descriptor{Name: "x1", CostFamily: results.FamilyLog, Order: 1}, "without a name or factory"},
		{"no order", Descriptor{Name: "x2", New: d.New, CostFamily: results.FamilyLog}, "without an order"},
		{"no cost family", Descriptor{Name: "x3", New: d.New, Order: 1}, "without a cost family"},
		{"duplicate", d, "duplicate registration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tc.want) {
					t.Errorf("panic %v, want one saying %q", r, tc.want)
				}
			}()
			Register(tc.d)
		})
	}
	if _, ok := Lookup("x2"); ok {
		t.Error("an incomplete descriptor was registered")
	}
}
