package load

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/evbench/evbench/scenarios"
)

// TestPayloadPoolBounded: the pre-generated payloads fit in PoolBytes and
// no payload exceeds scenarios.MaxEventSize, for every valid size
// distribution. Before, 256 payloads were generated whatever their size (a
// valid fixed 16 MiB took 4 GiB, 8.5 GB RSS) and exponential sizes were
// not capped (a 16 MiB mean sampled up to ~90 MB).
func TestPayloadPoolBounded(t *testing.T) {
	const mib = 1 << 20
	max16 := float64(scenarios.MaxEventSize)
	cases := []struct {
		name         string
		size         scenarios.Dist
		wantDistinct int // 0: not checked
	}{
		{"fixed 1KiB keeps 256 distinct payloads", scenarios.Dist{Kind: scenarios.DistFixed, Value: 1024}, payloadVariants},
		{"fixed 16MiB", scenarios.Dist{Kind: scenarios.DistFixed, Value: max16}, PoolBytes / int(scenarios.MaxEventSize)},
		{"uniform up to 16MiB", scenarios.Dist{Kind: scenarios.DistUniform, Min: 0, Max: max16}, 0},
		{"exponential mean 16MiB", scenarios.Dist{Kind: scenarios.DistExponential, Mean: max16}, 0},
		{"lognormal p99 16MiB", scenarios.Dist{Kind: scenarios.DistLognormal, Median: 4 * mib, P99: max16}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			runtime.GC()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			ps := makePayloads(scenarios.Event{Size: tc.size, Type: "order.created"}, rand.New(rand.NewPCG(7, 1)))
			runtime.ReadMemStats(&m1)
			if len(ps) != payloadVariants {
				t.Fatalf("%d payload slots, want %d", len(ps), payloadVariants)
			}
			distinct := map[*byte]bool{}
			total, biggest := 0, 0
			for _, p := range ps {
				if len(p) == 0 {
					t.Fatal("empty payload slot")
				}
				biggest = max(biggest, len(p))
				if !distinct[&p[0]] {
					distinct[&p[0]] = true
					total += len(p)
				}
			}
			if biggest > int(scenarios.MaxEventSize) {
				t.Errorf("a payload of %d bytes, more than the maximum %d", biggest, scenarios.MaxEventSize)
			}
			if total > PoolBytes {
				t.Errorf("distinct payloads hold %d MiB, more than the pool's %d MiB", total/mib, PoolBytes/mib)
			}
			if tc.wantDistinct > 0 && len(distinct) != tc.wantDistinct {
				t.Errorf("%d distinct payloads, want %d", len(distinct), tc.wantDistinct)
			}
			// Allocation: the pool plus at most one payload of slack.
			if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > PoolBytes+2*uint64(scenarios.MaxEventSize) {
				t.Errorf("allocated %d MiB generating the pool", alloc/mib)
			}
			t.Logf("%d distinct payloads, %d MiB, largest %d bytes, allocated %d MiB", len(distinct), total/mib, biggest, (m1.TotalAlloc-m0.TotalAlloc)/mib)
		})
	}
}
