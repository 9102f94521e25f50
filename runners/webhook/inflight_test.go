package webhook

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evbench/evbench/scenarios"
)

// TestInFlightCapBoundsMemory is the regression test for issue 15's
// overload: 1,000 subscribers on a machine that fell behind held up to
// max_in_flight (64) attempts each, and memory grew to 751-1,406 MiB.
// Here 200 slow subscribers (500 ms each) are offered 20 events/s: 2,000
// attempts would be in flight at once; max_in_flight_total 100 holds them
// to 100. The sender then takes 200 deliveries/s of the 4,000 offered
// each second: the schedule must wait (back-pressure, shown as generator
// lag, the point marked overloaded and a note saying why), nothing may be
// lost, and the peak of live heap plus stacks stays within the budget of
// 200 idle subscribers (perSubscriberBudget, memory_test.go) plus 64 KiB
// per allowed attempt. Without the cap the same run holds about 2,000
// attempts (each with a sink-side request too) and goes over it.
func TestInFlightCapBoundsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 200 slow subscribers")
	}
	if raceEnabled {
		t.Skip("the race detector multiplies memory per goroutine")
	}
	const n, total = 200, 100
	subs := make([]scenarios.Subscriber, n)
	for i := range subs {
		subs[i] = subscriber(fmt.Sprintf("s-%d", i), 500*time.Millisecond)
	}
	sc := testScenario(20, time.Second, 0, 90*time.Second, subs...)
	ConfigOf(sc).MaxInFlightTotal = total
	ConfigOf(sc).Timeout = dur(30 * time.Second)
	base := heapAndStacks()
	var (
		peak int64
		mu   sync.Mutex
		stop = make(chan struct{})
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		tk := time.NewTicker(200 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				v := heapAndStacks()
				mu.Lock()
				peak = max(peak, v)
				mu.Unlock()
			}
		}
	}()
	out := run(t, context.Background(), sc)
	close(stop)
	<-done
	var delivered int64
	for _, s := range out.pt.Subscribers {
		a := s.Accounting
		if a.Lost != 0 || a.Delivered != a.Sent || a.Sent == 0 {
			t.Errorf("%s: %+v: want every event delivered (the cap waits, it does not drop)", s.Name, a)
		}
		delivered += a.Delivered
	}
	var maxInFlight int64
	for _, s := range out.pt.Timeseries {
		maxInFlight = max(maxInFlight, s.InFlight)
	}
	limit := int64(n)*perSubscriberBudget + total*64<<10
	t.Logf("%d deliveries; max in flight %d (cap %d); generator lag p99 %d us, overloaded %v; live heap + stacks %.1f MiB before, peak %.1f MiB (+%.1f MiB, bound %.1f MiB)",
		delivered, maxInFlight, total, out.pt.GeneratorLagUS.P99, out.pt.Overloaded,
		float64(base)/(1<<20), float64(peak)/(1<<20), float64(peak-base)/(1<<20), float64(limit)/(1<<20))
	if maxInFlight > total {
		t.Errorf("%d attempts in flight, above max_in_flight_total %d", maxInFlight, total)
	}
	if peak-base > limit {
		t.Errorf("peak live heap + stacks grew by %.1f MiB, above %.1f MiB", float64(peak-base)/(1<<20), float64(limit)/(1<<20))
	}
	if !out.pt.Overloaded || out.pt.GeneratorLagUS.P99 < int64(time.Second/time.Microsecond) {
		t.Errorf("generator lag p99 %d us, overloaded %v: the wait for the cap must show as generator lag", out.pt.GeneratorLagUS.P99, out.pt.Overloaded)
	}
	noted := false
	for _, nt := range out.pt.Notes {
		noted = noted || strings.Contains(nt, "max_in_flight_total")
	}
	if !noted {
		t.Errorf("no note of the waits for max_in_flight_total: %q", out.pt.Notes)
	}
}
