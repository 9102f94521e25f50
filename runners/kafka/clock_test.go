package kafka

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/evbench/evbench/internal/brokertest"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
)

// simulateProbes makes n probe samples of a local clock that is offset
// ahead of a broker's: each probe takes a random round trip of up to rtt
// and is appended at a random point of it, stamped in whole milliseconds
// (truncated) as Kafka's LogAppendTime is.
func simulateProbes(r *rand.Rand, n int, offset, rtt time.Duration) []ClockSample {
	var out []ClockSample
	t := int64(1_700_000_000_000_000_000) + r.Int64N(int64(time.Second))
	for range n {
		trip := 50*time.Microsecond + time.Duration(r.Int64N(int64(rtt)))
		at := t + r.Int64N(int64(trip)+1) // the append, on the local clock
		out = append(out, ClockSample{SentNs: t, AckedNs: t + int64(trip), BrokerMs: (at - int64(offset)) / int64(time.Millisecond)})
		t += int64(trip) + int64(time.Millisecond) + r.Int64N(int64(time.Millisecond))
	}
	return out
}

// TestEstimateClock: the estimate holds the true offset within its bound
// for offsets on either side and round trips below and above the stamps'
// millisecond, and the bound is at most half the best round trip plus
// half a millisecond (one probe's interval); a single probe's bound is
// exactly that.
func TestEstimateClock(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name   string
		offset time.Duration
		rtt    time.Duration
		n      int
	}{
		{"same clock, loopback", 0, 300 * time.Microsecond, 16},
		{"50ms ahead", 50 * time.Millisecond, 500 * time.Microsecond, 16},
		{"37.3ms behind", -37300 * time.Microsecond, 2 * time.Millisecond, 16},
		{"far, slow network", 2*time.Second + 123*time.Microsecond, 20 * time.Millisecond, 16},
		{"one probe", 5 * time.Millisecond, time.Millisecond, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			for trial := range 200 {
				s := simulateProbes(r, c.n, c.offset, c.rtt)
				e, err := EstimateClock(s)
				if err != nil {
					t.Fatal(err)
				}
				if !e.Consistent {
					t.Fatalf("trial %d: samples of one fixed offset reported inconsistent", trial)
				}
				if d := (e.Offset - c.offset).Abs(); d > e.Bound {
					t.Fatalf("trial %d: estimate %v ± %v misses the true offset %v by %v", trial, e.Offset, e.Bound, c.offset, d)
				}
				minTrip := time.Duration(1 << 62)
				for _, x := range s {
					minTrip = min(minTrip, time.Duration(x.AckedNs-x.SentNs))
				}
				if lim := minTrip/2 + time.Millisecond/2 + 2*time.Microsecond; e.Bound > lim {
					t.Fatalf("trial %d: bound %v above one probe's %v", trial, e.Bound, lim)
				}
			}
		})
	}
}

// TestEstimateClockInconsistent: samples that no single offset explains
// (the local clock stepped by 10 ms between probes) are reported as
// inconsistent, with the narrowest probe's interval; no samples or a probe
// acked before it was sent are errors.
func TestEstimateClockInconsistent(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	s := append(simulateProbes(r, 4, 0, 300*time.Microsecond), simulateProbes(r, 4, 10*time.Millisecond, 300*time.Microsecond)...)
	e, err := EstimateClock(s)
	if err != nil {
		t.Fatal(err)
	}
	if e.Consistent || e.Bound > time.Millisecond {
		t.Fatalf("stepped clock: %+v, want inconsistent with one probe's bound", e)
	}
	if _, err := EstimateClock(nil); err == nil {
		t.Error("no samples: no error")
	}
	if _, err := EstimateClock([]ClockSample{{SentNs: 10, AckedNs: 5}}); err == nil {
		t.Error("acked before sent: no error")
	}
}

// TestProbeClockShifted is the fault-injected offset against a real
// broker on this host (whose clock is this process's): with this
// process's clock shifted (load.ShiftClock, what --clock-shift sets) by
// 0, +40 ms and -25 ms, ProbeClock's estimate is within its bound of the
// shift. The embedded broker is refused (it runs on this process's
// clock).
func TestProbeClockShifted(t *testing.T) {
	brokers := brokertest.RequireReal(t)
	set, err := Resolve(nil, brokers)
	if err != nil {
		t.Fatal(err)
	}
	set.Topic = "evbench-clock-test-" + time.Now().Format("150405.000000")
	ctx := context.Background()
	env, err := Open(ctx, set, "clock", System, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = DeleteTopic(context.Background(), env.Admin, env.Topic)
		env.Close()
	}()
	defer load.ShiftClock(0)
	for _, shift := range []time.Duration{0, 40 * time.Millisecond, -25 * time.Millisecond} {
		load.ShiftClock(shift)
		e, err := ProbeClock(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("shift %v: estimate %v ± %v (%d probes, consistent %v)", shift, e.Offset, e.Bound, e.Probes, e.Consistent)
		if d := (e.Offset - shift).Abs(); d > e.Bound {
			t.Errorf("shift %v: estimate %v ± %v misses it by %v", shift, e.Offset, e.Bound, d)
		}
		// Loopback round trips are well under a millisecond even on a
		// busy machine; a bound of 20 ms would mean the probes failed.
		if e.Bound > 20*time.Millisecond || e.Probes != clockProbes {
			t.Errorf("shift %v: bound %v from %d probes", shift, e.Bound, e.Probes)
		}
		res := &results.Point{Consumer: &results.Consumer{Name: "c"}}
		RecordClock(ctx, env, res, t.Logf)
		if c := res.Consumer; c.ClockOffsetUS == nil || c.ClockReference != ClockReference ||
			(time.Duration(*c.ClockOffsetUS)*time.Microsecond-shift).Abs() > time.Duration(*c.ClockOffsetBoundUS)*time.Microsecond {
			t.Errorf("shift %v: recorded %+v, notes %q", shift, c, res.Notes)
		}
	}
	eset, err := Resolve(nil, "")
	if err != nil || !eset.Embedded {
		t.Fatalf("default settings: %+v, %v", eset, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	res := &results.Point{Shard: &results.Shard{Count: 2}}
	RecordClock(cancelled, env, res, nil)
	if res.Shard.ClockOffsetUS != nil || len(res.Notes) != 1 {
		t.Errorf("interrupted: measured %+v, notes %q", res.Shard, res.Notes)
	}
	emb, err := Open(ctx, eset, "clock", System, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	if _, err := ProbeClock(ctx, emb); !errors.Is(err, ErrClockEmbedded) {
		t.Errorf("embedded broker: %v, want ErrClockEmbedded", err)
	}
}
