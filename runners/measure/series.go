package measure

import (
	"sync"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
)

// series builds the per-second time series.
type series struct {
	mu            sync.Mutex
	start         int64
	sched         *load.Schedule
	cur           *hdr.Histogram
	out           []results.Sample
	lastSent      int64
	lastDelivered int64
	lastT         int64
	offered       float64
	achieved      float64
	recorded      int64 // latencies recorded: one per measured delivery
}

func (s *series) init(start int64, sched *load.Schedule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.start, s.sched, s.cur, s.lastT = start, sched, results.NewHistogram(), start-int64(sched.Warmup())
}

func (s *series) record(us int64) {
	s.mu.Lock()
	if s.cur != nil {
		_ = s.cur.RecordValue(us)
		s.recorded++
	}
	s.mu.Unlock()
}

// sample closes the current one-second bucket.
func (s *series) sample(now, sent, delivered, inFlight, queue, lag, retries int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		return
	}
	dt := float64(now-s.lastT) / 1e9
	if dt <= 0 {
		return
	}
	warm := s.sched.Warmup()
	t0 := s.lastT - (s.start - int64(warm))
	t1 := now - (s.start - int64(warm))
	offered := (s.sched.Expected(durNs(t1)) - s.sched.Expected(durNs(t0))) / dt
	achieved := float64(sent-s.lastSent) / dt
	s.offered, s.achieved = offered, achieved
	smp := results.Sample{
		TS:         float64(now-s.start) / 1e9,
		Offered:    offered,
		Achieved:   achieved,
		P50US:      s.cur.ValueAtQuantile(50),
		P99US:      s.cur.ValueAtQuantile(99),
		InFlight:   inFlight,
		QueueDepth: queue,
		Lag:        lag,
		Delivered:  delivered - s.lastDelivered,
		Retries:    retries,
	}
	s.lastT, s.lastSent, s.lastDelivered = now, sent, delivered
	s.cur.Reset()
	if smp.TS > 0 {
		s.out = append(s.out, smp)
	}
}

func (s *series) lastRates() (float64, float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offered, s.achieved
}

func (s *series) samples() []results.Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]results.Sample(nil), s.out...)
}

// totals returns the deliveries summed over the samples and the number of
// latencies recorded, for the ledger cross-check.
func (s *series) totals() (delivered, recorded int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, smp := range s.out {
		delivered += smp.Delivered
	}
	return delivered, s.recorded
}
