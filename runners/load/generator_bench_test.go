package load

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/evbench/evbench/scenarios"
)

// BenchmarkGeneratorDue measures the pacer's own cost per event when every
// event is already due (a generator catching up): the ceiling of one pacer
// goroutine, with an emit that does nothing.
func BenchmarkGeneratorDue(b *testing.B) {
	g, err := New(scen(scenarios.Load{Rate: 1_000_000, Duration: dur(time.Duration(b.N) * time.Microsecond)},
		scenarios.Event{Size: fixed1K, Keys: 1000, Seed: 1}))
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	b.ResetTimer()
	g.Run(context.Background(), Now()-int64(time.Hour), func(Event) { n++ })
	b.StopTimer()
	if n != b.N {
		b.Fatalf("emitted %d events, want %d", n, b.N)
	}
}

// BenchmarkGeneratorPaced runs the pacer in real time at a constant rate and
// reports the generator lag it records (p99 and max, microseconds) and the
// rate it achieved, and the CPU it used per event. It is the figure issue 15 item 3 is about: the rate up to
// which lag p99 stays under 1 ms.
func BenchmarkGeneratorPaced(b *testing.B) {
	for _, rate := range []int{10_000, 50_000, 200_000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			d := time.Duration(float64(b.N) / float64(rate) * float64(time.Second))
			if d < time.Millisecond {
				d = time.Millisecond
			}
			g, err := New(scen(scenarios.Load{Rate: scenarios.Rate(rate), Duration: dur(d)},
				scenarios.Event{Size: fixed1K, Keys: 1000, Seed: 1}))
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			b.ResetTimer()
			t0, cpu0 := time.Now(), processCPU()
			g.Run(context.Background(), Now(), func(Event) { n++ })
			el, cpu := time.Since(t0), processCPU()-cpu0
			b.StopTimer()
			b.ReportMetric(float64(g.Lag().ValueAtQuantile(99)), "lag-p99-us")
			b.ReportMetric(float64(g.Lag().Max()), "lag-max-us")
			b.ReportMetric(float64(n)/el.Seconds(), "events/s")
			// CPU per event is what the pacer costs the system under test;
			// unlike lag it hardly depends on what else runs on the machine.
			b.ReportMetric(cpu/float64(n), "cpu-us/event")
		})
	}
}
