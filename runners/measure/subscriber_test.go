package measure_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
)

const ms = time.Millisecond

// fixture is a point whose generator already ran: warm and meas are the
// warm-up and measured events it handed out.
type fixture struct {
	mp   *measure.Point
	gen  *load.Generator
	warm []load.Event
	meas []load.Event
}

// newFixture runs a constant-rate generator from a start an hour in the past,
// so the whole schedule is handed out at once (pacing is not under test
// here), with the point started at the same start as a runner would.
func newFixture(t *testing.T, subs []string, keys int, rate scenarios.Rate, warmup, d time.Duration) *fixture {
	t.Helper()
	sc := &scenarios.Scenario{Name: "t",
		Load:  scenarios.Load{Rate: rate, Warmup: scenarios.Duration(warmup), Duration: scenarios.Duration(d)},
		Event: scenarios.Event{Size: scenarios.Dist{Kind: scenarios.DistFixed, Value: 512}, Keys: keys, Seed: 1}}
	gen, err := load.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	mp := measure.NewPoint("test", gen, subs, keys)
	start := load.Now() - int64(time.Hour)
	mp.Start(start)
	t.Cleanup(func() { _, _ = mp.Finish(direct, nil) }) // stops the sampler
	f := &fixture{mp: mp, gen: gen}
	gen.Run(context.Background(), start, func(e load.Event) {
		if e.Warmup {
			f.warm = append(f.warm, e)
		} else {
			f.meas = append(f.meas, e)
		}
	})
	return f
}

// deliver records e as processed 1 ms after its intended time.
func deliver(s *measure.Subscriber, e load.Event) {
	s.Delivered(e.ID, e.Key, e.Intended, e.Intended+int64(ms))
}

// TestSubscriberAccounting drives one subscriber through delivery patterns
// and checks the accounting a user reads in results.json.
func TestSubscriberAccounting(t *testing.T) {
	type want struct {
		delivered, duplicates, outOfOrder, e2e int64
	}
	cases := []struct {
		name string
		do   func(t *testing.T, f *fixture, s *measure.Subscriber) want
	}{
		{"every event once, in order", func(t *testing.T, f *fixture, s *measure.Subscriber) want {
			for _, e := range f.meas {
				deliver(s, e)
			}
			n := int64(len(f.meas))
			return want{delivered: n, e2e: n}
		}},
		{"nothing delivered: all lost", func(t *testing.T, f *fixture, s *measure.Subscriber) want {
			return want{}
		}},
		{"one event three times: two duplicates", func(t *testing.T, f *fixture, s *measure.Subscriber) want {
			for i := 0; i < 3; i++ {
				deliver(s, f.meas[5])
			}
			return want{delivered: 1, duplicates: 2, e2e: 1}
		}},
		{"every event twice", func(t *testing.T, f *fixture, s *measure.Subscriber) want {
			for _, e := range f.meas {
				deliver(s, e)
				deliver(s, e)
			}
			n := int64(len(f.meas))
			return want{delivered: n, duplicates: n, e2e: n}
		}},
		{"claim twice: second is a duplicate", func(t *testing.T, f *fixture, s *measure.Subscriber) want {
			e := f.meas[0]
			if !s.Claim(e.ID) {
				t.Errorf("first Claim = false, want true")
			}
			if s.Claim(e.ID) {
				t.Errorf("second Claim = true, want false")
			}
			s.Duplicate(e.ID, e.Intended)
			deliver(s, e)
			if s.Claim(e.ID) {
				t.Errorf("Claim after Delivered = true, want false")
			}
			return want{delivered: 1, duplicates: 1, e2e: 1}
		}},
		{"release lets the retry be processed", func(t *testing.T, f *fixture, s *measure.Subscriber) want {
			e := f.meas[1]
			s.Claim(e.ID)
			s.Release(e.ID)
			if !s.Claim(e.ID) {
				t.Errorf("Claim after Release = false, want true (not a duplicate)")
			}
			deliver(s, e)
			s.Release(f.meas[2].ID) // never claimed: harmless
			if !s.Claim(f.meas[2].ID) {
				t.Errorf("Claim of an unclaimed id after a stray Release = false")
			}
			return want{delivered: 1, e2e: 1}
		}},
		{"warm-up events are ignored", func(t *testing.T, f *fixture, s *measure.Subscriber) want {
			for _, e := range f.warm {
				if !s.Claim(e.ID) {
					t.Errorf("Claim of a new warm-up id = false")
				}
				if s.Claim(e.ID) {
					t.Errorf("warm-up ids must still be idempotent: second Claim = true")
				}
				s.Duplicate(e.ID, e.Intended)
				deliver(s, e)
				deliver(s, e)
			}
			return want{}
		}},
		{"ids of another run are ignored", func(t *testing.T, f *fixture, s *measure.Subscriber) want {
			base := f.gen.IDBase()
			intended := f.meas[0].Intended // a measured time: only the id is foreign
			for _, id := range []uint64{base - 1, base - 1<<40, base + 1<<40, base + 1<<41 + 3} {
				if s.Claim(id) {
					t.Errorf("Claim(%#x) of another run = true", id)
				}
				s.Duplicate(id, intended)
				s.Delivered(id, 0, intended, intended+int64(ms))
				s.Release(id)
			}
			return want{}
		}},
		{"per key out of order", func(t *testing.T, f *fixture, s *measure.Subscriber) want {
			// Two events of the same key, the later one first.
			a, b := sameKey(t, f.meas)
			deliver(s, b)
			deliver(s, a)
			return want{delivered: 2, outOfOrder: 1, e2e: 2}
		}},
		{"reordering across keys is not out of order", func(t *testing.T, f *fixture, s *measure.Subscriber) want {
			// Keys from the highest down, each key's events in order: the
			// global order is broken, no key's order is.
			for k := 3; k >= 0; k-- {
				for _, e := range f.meas {
					if e.Key == k {
						deliver(s, e)
					}
				}
			}
			n := int64(len(f.meas))
			return want{delivered: n, e2e: n}
		}},
		{"fully reversed: all but each key's first are out of order", func(t *testing.T, f *fixture, s *measure.Subscriber) want {
			keys := map[int]bool{}
			for i := len(f.meas) - 1; i >= 0; i-- {
				deliver(s, f.meas[i])
				keys[f.meas[i].Key] = true
			}
			n := int64(len(f.meas))
			return want{delivered: n, outOfOrder: n - int64(len(keys)), e2e: n}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, []string{"s"}, 4, 1000, 20*ms, 100*ms)
			if len(f.warm) != 20 || len(f.meas) != 100 {
				t.Fatalf("fixture: %d warm-up, %d measured events; want 20, 100", len(f.warm), len(f.meas))
			}
			s := f.mp.Subs[0]
			w := c.do(t, f, s)
			if got := s.DeliveredCount(); got != w.delivered {
				t.Errorf("DeliveredCount() = %d, want %d", got, w.delivered)
			}
			res, err := f.mp.Finish(viaBroker, nil)
			if err != nil {
				t.Fatalf("Finish: %v", err)
			}
			if res.Status != results.StatusComplete {
				t.Errorf("status %q, want complete", res.Status)
			}
			sent := int64(len(f.meas))
			got := res.Subscribers[0].Accounting
			wantAcc := results.Accounting{Sent: sent, Delivered: w.delivered, Duplicates: w.duplicates,
				Lost: sent - w.delivered, OutOfOrder: w.outOfOrder}
			if wantAcc.Lost > 0 { // nothing dead-lettered here: all lost by the end of the drain
				wantAcc.LostBy = results.LossCauses{NotDelivered: wantAcc.Lost}
			}
			if got != wantAcc {
				t.Errorf("accounting\n got %+v\nwant %+v", got, wantAcc)
			}
			if got.Sent != got.Delivered+got.Lost {
				t.Errorf("sent %d != delivered %d + lost %d", got.Sent, got.Delivered, got.Lost)
			}
			if n := res.Subscribers[0].E2E.LatencyUS.Count; n != w.e2e {
				t.Errorf("e2e latency count = %d, want %d", n, w.e2e)
			}
		})
	}
}

// sameKey returns two measured events with the same key, a before b.
func sameKey(t *testing.T, evs []load.Event) (load.Event, load.Event) {
	t.Helper()
	first := map[int]load.Event{}
	for _, e := range evs {
		if a, ok := first[e.Key]; ok {
			return a, e
		}
		first[e.Key] = e
	}
	t.Fatal("no two events share a key")
	return load.Event{}, load.Event{}
}

// TestSubscriberE2ELatency: e2e latency is done - intended, in microseconds.
func TestSubscriberE2ELatency(t *testing.T) {
	cases := []struct {
		name   string
		before time.Duration // intended = now - before
		lo, hi int64         // microseconds, HDR keeps 3 significant digits
	}{
		{"10ms", 10 * ms, 9_990, 10_100},
		{"1ms", ms, 999, 1_050},
		{"250ms", 250 * ms, 249_500, 251_000},
		{"done before intended is clamped to 1us", -5 * ms, 1, 1},
	}
	names := make([]string, len(cases))
	for i, c := range cases {
		names[i] = c.name
	}
	f := newFixture(t, names, 4, 1000, 0, 100*ms)
	for i, c := range cases {
		now := load.Now()
		e := f.meas[i]
		f.mp.Subs[i].Delivered(e.ID, e.Key, now-int64(c.before), now)
	}
	res, err := f.mp.Finish(viaBroker, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := res.Subscribers[i].E2E.LatencyUS
			if l.Count != 1 {
				t.Fatalf("count = %d, want 1", l.Count)
			}
			for _, v := range []int64{l.P50, l.P99, l.Max, f.mp.Subs[i].P99US()} {
				if v < c.lo || v > c.hi {
					t.Errorf("latency %dus (p50 %d p99 %d max %d), want within [%d, %d]", v, l.P50, l.P99, l.Max, c.lo, c.hi)
				}
			}
		})
	}
}

// TestFinishFailsLoudly: a delivery of an id the generator never handed out
// makes delivered exceed sent (lost -1); Finish must return an error and a
// point marked failed rather than a plausible-looking result.
func TestFinishFailsLoudly(t *testing.T) {
	f := newFixture(t, []string{"ok", "broken"}, 4, 1000, 20*ms, 100*ms)
	for _, e := range f.meas {
		deliver(f.mp.Subs[0], e)
		deliver(f.mp.Subs[1], e)
	}
	last := f.meas[len(f.meas)-1]
	ghost := last.ID + 5 // never sent
	f.mp.Subs[1].Delivered(ghost, 0, last.Intended, last.Intended+int64(ms))

	res, err := f.mp.Finish(direct, nil)
	if err == nil {
		t.Fatal("Finish returned no error with delivered > sent")
	}
	if !strings.Contains(err.Error(), "broken") {
		t.Errorf("error %q does not name the subscriber", err)
	}
	if res == nil || res.Status != results.StatusFailed || !strings.Contains(res.Error, "harness bug") {
		t.Fatalf("point = %+v, want status failed with a harness-bug error", res)
	}
	acc := res.Subscribers[len(res.Subscribers)-1].Accounting
	if acc.Sent != 100 || acc.Delivered != 101 || acc.Lost != -1 {
		t.Errorf("accounting %+v, want sent 100 delivered 101 lost -1", acc)
	}
}

// TestAccountingCheck: the identity and sign checks Finish relies on.
func TestAccountingCheck(t *testing.T) {
	cases := []struct {
		acc results.Accounting
		ok  bool
	}{
		{results.Accounting{Sent: 10, Delivered: 10}, true},
		{results.Accounting{Sent: 10, Delivered: 7, Lost: 3, Duplicates: 4}, true},
		{results.Accounting{Sent: 10, Delivered: 7, Lost: 2}, false},
		{results.Accounting{Sent: 10, Delivered: 11, Lost: -1}, false},
		{results.Accounting{Sent: 0, Delivered: 0, Duplicates: -1}, false},
	}
	for _, c := range cases {
		if err := c.acc.Check(); (err == nil) != c.ok {
			t.Errorf("Check(%+v) = %v, want ok=%v", c.acc, err, c.ok)
		}
	}
}

// TestSubscriberConcurrent: 8 goroutines deliver disjoint ranges plus one
// range all of them deliver; counts are exact. Run with -race.
func TestSubscriberConcurrent(t *testing.T) {
	const workers, per, shared = 8, 1000, 500
	f := newFixture(t, []string{"deliver", "claim"}, 16, 100_000, 0, 80*ms)
	if len(f.meas) != workers*per {
		t.Fatalf("fixture: %d measured events, want %d", len(f.meas), workers*per)
	}
	del, cl := f.mp.Subs[0], f.mp.Subs[1]
	var wg sync.WaitGroup
	claims := make([]int, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			own := f.meas[w*per : (w+1)*per]
			// Alternate directions so bitmaps grow from both ends.
			for i := range own {
				e := own[i]
				if w%2 == 1 {
					e = own[len(own)-1-i]
				}
				deliver(del, e)
				if i < shared {
					deliver(del, f.meas[i]) // shared: every worker delivers it
				}
				if i%100 == 0 {
					_ = f.mp.Settled()
					_ = f.mp.Snapshot()
					_ = del.P99US()
				}
			}
			for _, e := range f.meas[:2*per] {
				if cl.Claim(e.ID) {
					claims[w]++
				} else {
					cl.Duplicate(e.ID, e.Intended)
				}
			}
		}(w)
	}
	wg.Wait()
	total := 0
	for _, n := range claims {
		total += n
	}
	if total != 2*per {
		t.Errorf("successful claims = %d, want exactly %d (one per id)", total, 2*per)
	}
	res, err := f.mp.Finish(viaBroker, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := res.Subscribers[0].Accounting
	// The shared ids [0,500) belong to worker 0's own range too: each is
	// delivered 9 times (8 shared + 1 own), so 8 duplicates each.
	wantDup := int64(shared * workers)
	if d.Delivered != workers*per || d.Duplicates != wantDup || d.Lost != 0 {
		t.Errorf("deliver accounting %+v, want delivered %d duplicates %d lost 0", d, workers*per, wantDup)
	}
	c := res.Subscribers[1].Accounting
	if wantDup := int64((workers - 1) * 2 * per); c.Duplicates != wantDup || c.Delivered != 0 {
		t.Errorf("claim accounting %+v, want duplicates %d (7 losers per id), delivered 0", c, wantDup)
	}
}

// TestErrorClasses: each error class lands in its own results field.
func TestErrorClasses(t *testing.T) {
	cases := []struct {
		class measure.ErrClass
		get   func(results.Errors) int64
	}{
		{measure.ErrTimeout, func(e results.Errors) int64 { return e.Timeout }},
		{measure.ErrRefused, func(e results.Errors) int64 { return e.Refused }},
		{measure.ErrHTTP4xx, func(e results.Errors) int64 { return e.HTTP4xx }},
		{measure.ErrHTTP5xx, func(e results.Errors) int64 { return e.HTTP5xx }},
		{measure.ErrSignature, func(e results.Errors) int64 { return e.SignatureFailures }},
		{measure.ErrBroker, func(e results.Errors) int64 { return e.Broker }},
		{measure.ErrOther, func(e results.Errors) int64 { return e.Other }},
	}
	for i, c := range cases {
		f := newFixture(t, []string{"s"}, 1, 1000, 0, 10*ms)
		for n := 0; n <= i; n++ {
			f.mp.Subs[0].Error(c.class)
			f.mp.PublishError(c.class)
		}
		res, err := f.mp.Finish(viaBroker, nil)
		if err != nil {
			t.Fatal(err)
		}
		sub, pub := res.Subscribers[0].Errors, *res.PublishErrors
		if got := c.get(sub); got != int64(i+1) || sub.Total() != int64(i+1) {
			t.Errorf("class %d: subscriber field = %d, total %d, want %d in its own field", c.class, got, sub.Total(), i+1)
		}
		if got := c.get(pub); got != int64(i+1) || pub.Total() != int64(i+1) {
			t.Errorf("class %d: publish field = %d, total %d, want %d", c.class, got, pub.Total(), i+1)
		}
	}
}

// TestWebhookAndKafkaFigures: webhook points carry attempt figures, kafka
// points publish (and bridge ingress) latency; warm-up acks are ignored.
func TestWebhookAndKafkaFigures(t *testing.T) {
	f := newFixture(t, []string{"s"}, 1, 1000, 20*ms, 100*ms)
	s := f.mp.Subs[0]
	s.Attempt(3 * ms)
	s.Attempt(5 * ms)
	s.Attempts(1)
	s.Attempts(2)
	s.Attempts(2)
	s.Retry()
	s.Retry()
	s.DeadLetter(f.meas[0].ID)
	s.Disable()
	for _, e := range f.warm {
		f.mp.Published(e.Intended, e.Intended+int64(ms))
		f.mp.Ingress(e.Intended, e.Intended+int64(ms))
	}
	for _, e := range f.meas[:10] {
		f.mp.Published(e.Intended, e.Intended+int64(2*ms))
	}
	res, err := f.mp.Finish(direct, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := res.Subscribers[0]
	if r.Attempt == nil || r.Attempt.LatencyUS.Count != 2 || r.Attempt.LatencyUS.Max < 4990 || r.Attempt.LatencyUS.Max > 5010 {
		t.Errorf("attempt latency %+v, want 2 values, max 5000us", r.Attempt)
	}
	if a := r.AttemptsPerDelivery; a == nil || a.Count != 3 || a.Max != 2 || a.P50 != 2 {
		t.Errorf("attempts per delivery %+v, want count 3 max 2 p50 2", a)
	}
	if r.Accounting.Retries != 2 || r.Accounting.DeadLettered != 1 || !r.Disabled {
		t.Errorf("retries %d dead-lettered %d disabled %v, want 2, 1, true", r.Accounting.Retries, r.Accounting.DeadLettered, r.Disabled)
	}
	if res.Publish != nil || res.PublishErrors != nil {
		t.Errorf("webhook point carries publish figures")
	}

	res, err = f.mp.Finish(viaBroker, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Publish == nil || res.Publish.LatencyUS.Count != 10 || res.Publish.LatencyUS.P50 < 1990 || res.Publish.LatencyUS.P50 > 2010 {
		t.Errorf("publish latency %+v, want 10 measured values at 2000us (warm-up ignored)", res.Publish)
	}
	if res.Ingress != nil {
		t.Errorf("ingress %+v, want none: only warm-up ingress acks were recorded", res.Ingress)
	}
	if res.Subscribers[0].Attempt != nil {
		t.Errorf("kafka point carries webhook attempt figures")
	}
}
