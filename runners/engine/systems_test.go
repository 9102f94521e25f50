package engine

import "github.com/evbench/evbench/scenarios"

// This test binary runs fake webhook and kafka runners (register in
// engine_test.go), not the real systems, so it registers their scenario
// blocks too: blocks without settings that measure what the real ones
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
}

// testBlock is a test system's block: systems.<name>: {}.
type testBlock struct{}

func (testBlock) CloneBlock() scenarios.Block { return testBlock{} }

func decodeTestBlock(*scenarios.Object) scenarios.Block { return testBlock{} }
