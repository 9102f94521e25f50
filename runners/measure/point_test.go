package measure_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
)

// TestPointRealRun runs a short real point the way a runner does (200/s,
// 0.3 s warm-up, 2.2 s measured, two subscribers that process each event
// the moment it is emitted) and checks what a user reads in results.json.
func TestPointRealRun(t *testing.T) {
	const (
		rate     = 200.0
		warmup   = 300 * ms
		measured = 2200 * ms
		size     = 1024
	)
	sc := &scenarios.Scenario{Name: "t",
		Load:  scenarios.Load{Rate: rate, Warmup: scenarios.Duration(warmup), Duration: scenarios.Duration(measured)},
		Event: scenarios.Event{Size: scenarios.Dist{Kind: scenarios.DistFixed, Value: size}, Keys: 10, Seed: 1}}
	gen, err := load.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	mp := measure.NewPoint("test", gen, []string{"a", "b"}, sc.Event.Keys)
	mp.SetGauges(measure.Gauges{QueueDepth: func() int64 { return 7 }})
	start := load.Now() + int64(50*ms)
	mp.Start(start)
	if want := start + int64(warmup); mp.MeasuredStart() != want {
		t.Fatalf("MeasuredStart() = %d, want start+warm-up %d", mp.MeasuredStart(), want)
	}
	var midSnap measure.Snapshot
	gen.Run(context.Background(), start, func(e load.Event) {
		mp.AddBytes(len(e.Payload))
		for _, s := range mp.Subs {
			s.Delivered(e.ID, e.Key, e.Intended, load.Now())
		}
		if e.Seq == 300 {
			midSnap = mp.Snapshot()
		}
	})

	t0 := time.Now()
	mp.Drain(2*time.Second, nil)
	if d := time.Since(t0); d > 100*ms {
		t.Errorf("Drain took %v with everything delivered, want an immediate return", d)
	}
	res, err := mp.Finish(direct, map[string]float64{"rate_per_s": rate})
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}

	// Point totals.
	const sent = 440 // 200/s * 2.2s; the 60 warm-up events are excluded
	if res.Status != results.StatusComplete || res.System != "test" || res.Params["rate_per_s"] != rate {
		t.Errorf("status %q system %q params %v", res.Status, res.System, res.Params)
	}
	if math.Abs(res.OfferedPerS-rate) > 1e-9 || math.Abs(res.AchievedPerS-rate) > 1e-9 {
		t.Errorf("offered %.3f achieved %.3f, want %.0f and %.0f", res.OfferedPerS, res.AchievedPerS, rate, rate)
	}
	if res.DurationS != measured.Seconds() || !res.StartedAt.Equal(load.ToTime(mp.MeasuredStart())) {
		t.Errorf("duration %vs started %v, want %vs from the measured start", res.DurationS, res.StartedAt, measured.Seconds())
	}
	for _, s := range res.Subscribers {
		want := results.Accounting{Sent: sent, Delivered: sent}
		if s.Accounting != want {
			t.Errorf("subscriber %s accounting %+v, want %+v", s.Name, s.Accounting, want)
		}
		l := s.E2E.LatencyUS
		if l.Count != sent {
			t.Errorf("subscriber %s: %d e2e latencies, want %d", s.Name, l.Count, sent)
		}
		// Processed on emission: e2e is just the generator's lateness.
		if l.P50 < 1 || l.P50 > 10_000 {
			t.Errorf("subscriber %s: e2e p50 %dus, want 1..10000us for immediate processing", s.Name, l.P50)
		}
	}
	if res.Overloaded || res.EmittedS < measured.Seconds() || res.EmittedS > measured.Seconds()+0.5 {
		t.Errorf("overloaded %v (%s), emitted in %.3fs: want an on-time point emitted in about %v", res.Overloaded, res.OverloadReason, res.EmittedS, measured)
	}
	if lag := res.GeneratorLagUS; lag.Max < 1 || lag.P99 > lag.Max {
		t.Errorf("generator lag %+v, want p99 <= max and max >= 1us", lag)
	}

	// Resources: the harness did work and has memory.
	r := res.Resources
	if r.MaxRSSBytes <= 0 || r.CPUUserS+r.CPUSysS <= 0 || r.CPUUserS < 0 || r.CPUSysS < 0 {
		t.Errorf("resources %+v, want rss > 0 and cpu > 0", r)
	}
	// Bytes count from the measured start (a timer; allow it 5 events of
	// slack either side of the 440 measured payloads).
	if lo, hi := int64((sent-5)*size), int64((sent+5)*size); r.BytesSent < lo || r.BytesSent > hi {
		t.Errorf("bytes sent %d, want %d..%d (measured payloads only)", r.BytesSent, lo, hi)
	}

	// Time series: ~one sample per second of the measured period.
	ts := res.Timeseries
	if n := len(ts); n < 2 || n > 4 {
		t.Fatalf("%d samples for a %v measured period, want 2..4: %+v", n, measured, ts)
	}
	var delivered int64
	for _, smp := range ts {
		t.Logf("sample ts %.3fs offered %.2f achieved %.2f delivered %d p50 %dus p99 %dus", smp.TS, smp.Offered, smp.Achieved, smp.Delivered, smp.P50US, smp.P99US)
	}
	t.Logf("resources %+v, generator lag %+v", r, res.GeneratorLagUS)
	prev := -warmup.Seconds() // the first bucket opens at the generator start
	for i, smp := range ts {
		delivered += smp.Delivered
		if smp.TS <= prev {
			t.Errorf("sample %d at %.3fs does not follow %.3fs", i, smp.TS, prev)
		}
		if smp.QueueDepth != 7 {
			t.Errorf("sample %d queue depth %d, want the gauge's 7", i, smp.QueueDepth)
		}
		full := i < len(ts)-1 // the last one is Finish's partial bucket
		if full {
			if gap := smp.TS - prev; i > 0 && (gap < 0.9 || gap > 1.1) {
				t.Errorf("sample %d %.3fs after the previous, want ~1s", i, gap)
			}
		}
		// A bucket wholly inside the schedule offers exactly the rate and
		// should achieve it within 10% (an event or two of jitter at the
		// edges is 1%; the rest is slack for a loaded machine).
		if full && smp.TS <= measured.Seconds() {
			if math.Abs(smp.Offered-rate) > 0.5 {
				t.Errorf("sample %d offered %.2f/s, want %.0f", i, smp.Offered, rate)
			}
			if smp.Achieved < 0.9*rate || smp.Achieved > 1.1*rate {
				t.Errorf("sample %d achieved %.2f/s, want %.0f +-10%%", i, smp.Achieved, rate)
			}
			if smp.Delivered > 0 && smp.P50US < 1 {
				t.Errorf("sample %d has %d deliveries but p50 %d", i, smp.Delivered, smp.P50US)
			}
		}
		prev = smp.TS
	}
	if delivered != 2*sent {
		t.Errorf("time series deliveries sum to %d, want %d (2 subscribers x %d)", delivered, 2*sent, sent)
	}
	if last := ts[len(ts)-1].TS; last < measured.Seconds()-0.1 || last > measured.Seconds()+1 {
		t.Errorf("last sample at %.3fs, want about the end of the measured period (%.1fs)", last, measured.Seconds())
	}

	// The live snapshot during and after the run.
	// Inside emit of event 300 (after both deliveries): seqs 60..300 are
	// measured, and an event counts as sent before emit is called.
	if midSnap.Sent != 241 || midSnap.Delivered != 482 || midSnap.Total != warmup+measured ||
		midSnap.Elapsed < 1400*ms || midSnap.Elapsed > 1600*ms {
		t.Errorf("snapshot in event 300's emit: %+v, want sent 241, delivered 482, elapsed ~1.5s of %v", midSnap, warmup+measured)
	}
	if snap := mp.Snapshot(); snap.Sent != sent || snap.Delivered != 2*sent || snap.Lost != 0 {
		t.Errorf("final snapshot %+v, want sent %d delivered %d", snap, sent, 2*sent)
	}
}

// TestPointDrain: Drain ends as soon as every measured event is delivered
// or dead-lettered to every subscriber, waits at most max otherwise, and
// stops when done closes; loss is counted at Finish.
func TestPointDrain(t *testing.T) {
	cases := []struct {
		name     string
		max      time.Duration
		missing  func(f *fixture, last load.Event, done chan struct{}) // what happens to the last event of subscriber b
		lo, hi   time.Duration
		settled  bool
		wantLost int64
	}{
		{"all delivered", 2 * time.Second, func(f *fixture, last load.Event, _ chan struct{}) { deliver(f.mp.Subs[1], last) }, 0, 100 * ms, true, 0},
		{"dead-lettered counts as settled", 2 * time.Second, func(f *fixture, last load.Event, _ chan struct{}) { f.mp.Subs[1].DeadLetter(last.ID) }, 0, 100 * ms, true, 1},
		// Issue 9 item 2: an event dead-lettered after it was processed must
		// not stand in for the one still waiting for its retry.
		{"delivered and dead-lettered counts once", 300 * ms, func(f *fixture, _ load.Event, _ chan struct{}) {
			f.mp.Subs[1].DeadLetter(f.meas[0].ID)
		}, 300 * ms, 700 * ms, false, 1},
		{"dead-lettered then processed is delivered", 2 * time.Second, func(f *fixture, last load.Event, _ chan struct{}) {
			f.mp.Subs[1].DeadLetter(last.ID)
			deliver(f.mp.Subs[1], last)
		}, 0, 100 * ms, true, 0},
		{"late delivery ends the drain when it lands", 2 * time.Second, func(f *fixture, last load.Event, _ chan struct{}) {
			time.AfterFunc(150*ms, func() { deliver(f.mp.Subs[1], last) })
		}, 150 * ms, 500 * ms, true, 0},
		{"never delivered waits max", 300 * ms, func(*fixture, load.Event, chan struct{}) {}, 300 * ms, 700 * ms, false, 1},
		{"done closes early", 2 * time.Second, func(_ *fixture, _ load.Event, done chan struct{}) {
			time.AfterFunc(100*ms, func() { close(done) })
		}, 100 * ms, 500 * ms, false, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, []string{"a", "b"}, 4, 1000, 20*ms, 100*ms)
			for _, e := range f.meas {
				deliver(f.mp.Subs[0], e)
			}
			for _, e := range f.meas[:len(f.meas)-1] {
				deliver(f.mp.Subs[1], e)
			}
			if f.mp.Settled() {
				t.Fatal("Settled() with one event missing for subscriber b")
			}
			done := make(chan struct{})
			t0 := time.Now()
			c.missing(f, f.meas[len(f.meas)-1], done)
			f.mp.Drain(c.max, done)
			if d := time.Since(t0); d < c.lo || d > c.hi {
				t.Errorf("Drain took %v, want %v..%v", d, c.lo, c.hi)
			}
			if f.mp.Settled() != c.settled {
				t.Errorf("Settled() = %v after Drain, want %v", f.mp.Settled(), c.settled)
			}
			res, err := f.mp.Finish(direct, nil)
			if err != nil {
				t.Fatal(err)
			}
			acc := res.Subscribers[1].Accounting
			if acc.Lost != c.wantLost || acc.Sent != acc.Delivered+acc.Lost {
				t.Errorf("subscriber b accounting %+v, want lost %d and sent == delivered + lost", acc, c.wantLost)
			}
		})
	}
}

// TestPointOverload is issue 9 item 4: a generator that cannot keep its
// schedule (here emit takes 8 ms per event at 400/s, so a 1 s schedule takes
// about 3.2 s) used to report achieved_per_s = sent / nominal duration, the
// offered rate. Achieved is over the time actually taken, and the point is
// flagged overloaded with the reason.
func TestPointOverload(t *testing.T) {
	const rate = 400.0
	sc := &scenarios.Scenario{Name: "t",
		Load:  scenarios.Load{Rate: rate, Warmup: scenarios.Duration(100 * ms), Duration: scenarios.Duration(time.Second)},
		Event: scenarios.Event{Size: scenarios.Dist{Kind: scenarios.DistFixed, Value: 64}, Keys: 1, Seed: 1}}
	gen, err := load.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	mp := measure.NewPoint("test", gen, []string{"a"}, 1)
	start := load.Now() + int64(10*ms)
	mp.Start(start)
	gen.Run(context.Background(), start, func(e load.Event) {
		mp.Subs[0].Delivered(e.ID, e.Key, e.Intended, load.Now())
		time.Sleep(8 * ms)
	})
	res, err := mp.Finish(direct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("offered %.1f/s achieved %.1f/s emitted in %.2fs, lag %+v: %s", res.OfferedPerS, res.AchievedPerS, res.EmittedS, res.GeneratorLagUS, res.OverloadReason)
	if !res.Overloaded || !strings.Contains(res.OverloadReason, "to emit a 1.0 s schedule") {
		t.Errorf("overloaded %v reason %q, want flagged: the schedule took about 3 s to emit", res.Overloaded, res.OverloadReason)
	}
	if res.EmittedS < 3 {
		t.Errorf("emitted_s %.2f, want >= 3 (400 events x 8 ms)", res.EmittedS)
	}
	sent := res.Subscribers[0].Accounting.Sent
	if want := float64(sent) / res.EmittedS; math.Abs(res.AchievedPerS-want) > 1e-6 || res.AchievedPerS > 0.4*rate {
		t.Errorf("achieved %.1f/s, want sent/emitted_s = %.1f/s, far below the %.0f/s offered", res.AchievedPerS, want, rate)
	}
	if math.Abs(res.OfferedPerS-rate) > 1e-9 || res.DurationS != 1 {
		t.Errorf("offered %.1f/s over %.1fs, want the schedule's %.0f/s over 1 s", res.OfferedPerS, res.DurationS, rate)
	}
}

// TestPointInterruptedInWarmup is issue 9 item 12 (warm-up part): Ctrl-C
// during the warm-up gave a negative offered_per_s (the events expected up
// to the interruption minus those expected in the whole warm-up). Nothing
// of the measured period ran: offered, achieved and the duration are 0.
func TestPointInterruptedInWarmup(t *testing.T) {
	sc := &scenarios.Scenario{Name: "t",
		Load:  scenarios.Load{Rate: 500, Warmup: scenarios.Duration(time.Second), Duration: scenarios.Duration(time.Second)},
		Event: scenarios.Event{Size: scenarios.Dist{Kind: scenarios.DistFixed, Value: 64}, Keys: 1, Seed: 1}}
	gen, err := load.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	mp := measure.NewPoint("test", gen, []string{"a"}, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 300*ms)
	defer cancel()
	start := load.Now() + int64(10*ms)
	mp.Start(start)
	gen.Run(ctx, start, func(e load.Event) { mp.Subs[0].Delivered(e.ID, e.Key, e.Intended, load.Now()) })
	if gen.Sent() == 0 || gen.Measured() != 0 {
		t.Fatalf("sent %d measured %d: want warm-up events only", gen.Sent(), gen.Measured())
	}
	res, err := mp.Finish(direct, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.OfferedPerS != 0 || res.AchievedPerS != 0 || res.DurationS != 0 || res.Overloaded {
		t.Errorf("offered %v achieved %v duration %v overloaded %v: want 0, 0, 0 and not overloaded", res.OfferedPerS, res.AchievedPerS, res.DurationS, res.Overloaded)
	}
	if a := res.Subscribers[0].Accounting; a.Sent != 0 || a.Delivered != 0 || a.Lost != 0 {
		t.Errorf("accounting %+v, want all zero: warm-up is excluded", a)
	}
}
