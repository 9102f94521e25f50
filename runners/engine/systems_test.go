package engine

import (
	"slices"

	"github.com/evbench/evbench/scenarios"
)

// This test binary runs fake webhook and kafka runners (register in
// engine_test.go), not the real systems, so it registers their scenario
// blocks and hop kinds too: blocks without settings that measure what the real ones
// measure (thresholds on attempt and publish latency are accepted).
func init() {
	for _, b := range []scenarios.SystemBlock{
		{Name: "webhook", Order: 10, Decode: decodeTestBlock, Measures: []string{scenarios.FamilyAttempt}},
		{Name: "kafka", Order: 20, Decode: decodeTestBlock, Measures: []string{scenarios.FamilyPublish}},
	} {
		if _, ok := scenarios.LookupSystem(b.Name); !ok {
			scenarios.RegisterSystem(b)
		}
	}
	// And the hop kinds runners/flow would register (flows_test.go runs
	// a fake flow runner).
	for _, k := range []string{"webhook", "kafka", "bridge"} {
		if !slices.Contains(scenarios.HopKinds(), k) {
			scenarios.RegisterHopKind(k)
		}
	}
}

// testBlock is a test system's block: systems.<name>: {}.
type testBlock struct{}

func (testBlock) CloneBlock() scenarios.Block { return testBlock{} }

func decodeTestBlock(*scenarios.Object) scenarios.Block { return testBlock{} }
