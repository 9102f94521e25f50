package measure

import (
	"fmt"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
)

// MeasuredSeqs is the range [lo, hi) of full-schedule indices of the
// measured events of the schedule sched, started at start (Now()
// timeline): the events whose intended time is at or after the end of
// the warm-up, which is how the generator marks them (Event.Warmup). It
// draws the schedule's offsets, so sched must be fresh (one used by
// nothing else): `evbench consume` calls it on its own generator, which
// never runs.
func MeasuredSeqs(sched *load.Schedule) (lo, hi uint64) {
	warm := sched.Warmup()
	var n uint64
	for {
		off, ok := sched.Next()
		if !ok {
			return lo, n
		}
		if off < warm {
			lo = n + 1
		}
		n++
	}
}

// consumerSeqs is a consumer point's warm-up boundary by sequence number.
type consumerSeqs struct {
	bySeq      bool
	measuredLo uint64
}

// MeasureFromSeq makes the point tell warm-up events from measured ones
// by sequence number (measured from lo, MeasuredSeqs) instead of intended
// time. A consumer in another process than the generator must: the
// generator marks an event warm by its own clock, and the consumer's
// clock (its start instant on its own timeline) may be off by more than
// the gap between two events, which would misclassify the events at the
// boundary. Call before Start.
func (p *Point) MeasureFromSeq(lo uint64) { p.bySeq, p.measuredLo = true, lo }

// warm reports whether the event with sequence number q and intended time
// intended belongs to the warm-up.
func (p *Point) warm(q uint64, intended int64) bool {
	if p.bySeq {
		return q < p.measuredLo
	}
	return intended < p.measuredStart
}

// FinishConsumer builds the results point of a process that only consumed
// (`evbench consume`): each subscriber's deliveries of the measured events
// [lo, hi) as an id set keyed for stride (the producers' shard count), its
// e2e histogram and duplicates, with Sent set to what it delivered (it
// sent nothing, so nothing is lost here: `evbench merge` counts losses
// against the producers' sent sets). The counters are cross-checked
// against the bitmaps as in Finish; a mismatch fails the point. The
// point's IDs carry the id base and stride with an empty sent set.
func (p *Point) FinishConsumer(lo, hi uint64, stride int, params map[string]float64) (*results.Point, error) {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	p.wg.Wait()
	p.sample()
	if p.baseline != nil {
		p.baseline.Stop()
	}
	u := readUsage()
	p.mu.Lock()
	u0 := p.usage0
	notes := append([]string(nil), p.notes...)
	kind, embedded := p.brokerKind, p.onEmbedded
	p.mu.Unlock()
	sched := p.Gen.Schedule()
	dur := sched.Total() - sched.Warmup()
	out := &results.Point{
		System:         p.System,
		Params:         params,
		Status:         results.StatusComplete,
		StartedAt:      p.started.UTC(),
		DurationS:      dur.Seconds(),
		Notes:          notes,
		BrokerKind:     kind,
		BrokerEmbedded: embedded,
		Resources: results.Resources{
			CPUUserS:    u.user - u0.user,
			CPUSysS:     u.sys - u0.sys,
			MaxRSSBytes: u.maxRSS,
		},
		Timeseries: p.series.samples(),
		IDs:        &results.IDs{Base: fmt.Sprint(p.idBase), Stride: max(stride, 1)},
	}
	// Nothing was published here: the publish figures are the producers'.
	// It offered nothing (the producers' documents hold the offered
	// load); the groups' lag is the whole groups', the same in every
	// consume process, which the merge would add once per process.
	for i := range out.Timeseries {
		out.Timeseries[i].Offered, out.Timeseries[i].Lag = 0, 0
	}
	pl, err := results.NewLatency(results.NewHistogram())
	if err != nil {
		return nil, err
	}
	out.Publish = &pl
	out.PublishErrors = &results.Errors{}
	var bad []string
	var delivered int64
	for _, s := range p.Subs {
		r, err := s.result(0, results.Capabilities{}) // no attempt figures: the consumer only reads
		if err != nil {
			return nil, fmt.Errorf("subscriber %s: %w", s.Name, err)
		}
		a := &r.Accounting
		a.Sent, a.Lost, a.LostBy, a.NotSubscribed = a.Delivered, 0, results.LossCauses{}, 0
		if r.DeliveredIDs, err = s.deliveredIDs(lo, hi, stride); err != nil {
			return nil, fmt.Errorf("subscriber %s: %w", s.Name, err)
		}
		out.Subscribers = append(out.Subscribers, r)
		if err := a.Check(); err != nil {
			bad = append(bad, fmt.Sprintf("subscriber %s: %v", s.Name, err))
		}
		for _, b := range s.ledger(lo, hi) {
			bad = append(bad, fmt.Sprintf("subscriber %s: %s", s.Name, b))
		}
		delivered += a.Delivered
	}
	if inSeries, recorded := p.series.totals(); inSeries != delivered || recorded != delivered {
		bad = append(bad, fmt.Sprintf("time series: %d deliveries in the samples, %d latencies recorded, %d delivered", inSeries, recorded, delivered))
	}
	if err := LedgerError(bad); err != nil {
		out.Status = results.StatusFailed
		out.Error = err.Error()
		return out, fmt.Errorf("%s consumer: %w", p.System, err)
	}
	return out, nil
}
