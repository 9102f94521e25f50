package results

import (
	"slices"
	"testing"
)

// TestSystemOrder: systems are ordered by the order their points record,
// points of older documents by the legacy table, and systems without
// either after them by name; a recorded order wins over the legacy one.
func TestSystemOrder(t *testing.T) {
	tests := []struct {
		name string
		pts  []Point
		want []string
	}{
		{"legacy document", []Point{{System: "bridge"}, {System: "webhook"}, {System: "kafka"}}, []string{"webhook", "kafka", "bridge"}},
		{"unknown systems after, by name", []Point{{System: "zeta"}, {System: "kafka"}, {System: "alpha"}, {System: "webhook"}},
			[]string{"webhook", "kafka", "alpha", "zeta"}},
		{"recorded order", []Point{{System: "webhook", Order: 1}, {System: "rabbitmq", Order: 2}, {System: "kafka", Order: 3}},
			[]string{"webhook", "rabbitmq", "kafka"}},
		{"recorded beats legacy", []Point{{System: "webhook", Order: 9}, {System: "kafka"}}, []string{"kafka", "webhook"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var names []string
			for _, p := range tc.pts {
				names = append(names, p.System)
			}
			OrderOf(tc.pts).Sort(names)
			if !slices.Equal(names, tc.want) {
				t.Errorf("order %v, want %v", names, tc.want)
			}
		})
	}
}

// TestLegacyDescription: a point without recorded capabilities or cost
// family is described by the legacy table when its system is one of the
// three original ones, and has none otherwise; recorded ones always win.
func TestLegacyDescription(t *testing.T) {
	rec := Capabilities{Publish: true, ConsumerLag: true}
	tests := []struct {
		p      Point
		caps   Capabilities
		family CostFamily
	}{
		{Point{System: "webhook"}, Capabilities{Attempts: true, Retries: true, RetryQueue: true, DeadLetters: true}, FamilyPush},
		{Point{System: "kafka"}, Capabilities{Publish: true, ConsumerLag: true, Broker: true, Retries: true, PerKeyOrder: true}, FamilyLog},
		{Point{System: "bridge"}, Capabilities{Publish: true, Ingress: true, ConsumerLag: true, Broker: true, Retries: true}, FamilyPushToLog},
		{Point{System: "nats"}, Capabilities{}, ""},
		{Point{System: "webhook", Capabilities: &rec, CostFamily: FamilyLog}, rec, FamilyLog},
	}
	for _, tc := range tests {
		if got := tc.p.Caps(); got != tc.caps {
			t.Errorf("%s: caps %+v, want %+v", tc.p.System, got, tc.caps)
		}
		if got := tc.p.Family(); got != tc.family {
			t.Errorf("%s: family %q, want %q", tc.p.System, got, tc.family)
		}
	}
	if FamilyPush.Known() != true || CostFamily("in-memory").Known() {
		t.Error("Known: the three families and nothing else")
	}
}
