package webhook

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
)

// ledgerReadTimeout bounds reading one sink's ledger at the end of a point.
const ledgerReadTimeout = 30 * time.Second

// sinkLedgerAccount is what a sink's ledger says about one point.
type sinkLedgerAccount struct {
	delivered, warm, beyond int64
	inProgress              int64 // ids claimed whose processing has not finished
	afterDead               int64
	acc                     results.Accounting
	e2e                     results.Latency
	skew, bound             time.Duration
	ids                     int64
	set                     string // delivered id set (results.IDSet)
}

// readSinkLedgers accounts for every sink_ledger subscriber from its
// evbench sink's ledger, replacing the acknowledgement-based counts and
// e2e recorded during the point: delivered and lost are the point's
// measured ids the sink processed (exactly, from its bitmap), duplicates
// the repeats it saw, e2e intended -> processing done from its histogram.
// An unreadable ledger is an error (the point fails: its figures for that
// subscriber would be acknowledgements passed off as processing).
// It returns notes for the point and what does not add up (a harness or
// sink bug, failing the point like the other ledger checks).
//
// The drain may end before a remote sink has finished processing (it ends
// once every delivery is acknowledged or dead-lettered, and a sink may
// still be working on an event whose attempt timed out): while the ledger
// is short of the events sent, it is read again every 200 ms until
// drainEnd, the time the drain would have ended at the latest. The same
// holds while the sink is still processing events it took (its set holds
// an id from the moment processing starts; its histogram, when it ends).
func readSinkLedgers(res *results.Point, subs []scenarios.Subscriber, targets []Target, mp *measure.Point, gen *load.Generator,
	secret *Secret, warmup bool, drainEnd time.Time) (notes, bad []string, err error) {
	for i, spec := range subs {
		if !spec.External() || !spec.SinkLedger || i >= len(res.Subscribers) || i >= len(targets) {
			continue
		}
		var tlsCfg *tls.Config
		if targets[i].TLS != nil {
			tlsCfg = targets[i].TLS
		}
		var (
			l              *Ledger
			a              sinkLedgerAccount
			sent, received int64
		)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), ledgerReadTimeout)
			var rerr error
			l, sent, received, rerr = ReadLedger(ctx, spec.URL, secret, tlsCfg)
			cancel()
			if rerr != nil {
				return notes, bad, fmt.Errorf("subscriber %s: sink ledger: %w", spec.Name, rerr)
			}
			if a, err = accountFromLedger(l, mp.Subs[i], gen, res.Subscribers[i].Accounting); err != nil {
				return notes, bad, fmt.Errorf("subscriber %s: sink ledger: %w", spec.Name, err)
			}
			if (a.acc.Lost == 0 && a.inProgress == 0) || !time.Now().Add(200*time.Millisecond).Before(drainEnd) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		a.skew, a.bound = l.EstimateSkew(sent, received)
		r := &res.Subscribers[i]
		acked := r.Accounting.Delivered
		r.Accounting, r.E2E, r.DeliveredIDs = a.acc, a.e2e, a.set
		if r.Endpoint == nil {
			r.Endpoint = endpointResult(spec)
		}
		skew, bound, ids := a.skew.Microseconds(), a.bound.Microseconds(), a.ids
		r.Endpoint.ClockSkewUS, r.Endpoint.ClockSkewBoundUS, r.Endpoint.LedgerIDs = &skew, &bound, &ids
		// The sink's clock ahead by skew is this shard's behind by as much.
		res.Shard.SetClockOffset(-a.skew, a.bound, "sink "+spec.Name)
		if a.beyond > 0 {
			bad = append(bad, fmt.Sprintf("subscriber %s: the sink's ledger holds %d ids of this point that were never sent", spec.Name, a.beyond))
		}
		if err := r.Accounting.Check(); err != nil {
			bad = append(bad, fmt.Sprintf("subscriber %s: sink ledger: %v", spec.Name, err))
		}
		if acked > a.delivered {
			notes = append(notes, fmt.Sprintf("subscriber %s: %d deliveries were acknowledged but are not in the sink's ledger (answered before processing, or the sink restarted)", spec.Name, acked-a.delivered))
		}
		if a.skew.Abs() > a.bound {
			notes = append(notes, fmt.Sprintf("subscriber %s: the sink's clock is %v %s the sender's (within %v): its e2e latencies, on both clocks, include that",
				spec.Name, a.skew.Abs().Round(time.Microsecond), map[bool]string{true: "ahead of", false: "behind"}[a.skew > 0], a.bound.Round(time.Microsecond)))
		}
		if a.inProgress > 0 {
			notes = append(notes, fmt.Sprintf("subscriber %s: the sink was still processing %d events when its ledger was read after the drain: they are not delivered (counted lost)", spec.Name, a.inProgress))
		}
		if warmup {
			// The loader refuses this (load.warmup with sink_ledger); a
			// scenario built in Go may still do it.
			notes = append(notes, fmt.Sprintf("subscriber %s: the sink's e2e histogram and duplicates include the warm-up's %d deliveries (its counts do not)", spec.Name, a.warm))
		}
	}
	return notes, bad, nil
}

// accountFromLedger computes a subscriber's accounting from a sink's
// ledger: the point's measured events are sequence numbers
// [first, first+sent) after the warm-up's; before is the accounting
// recorded from acknowledgements (its retries and dead letters are the
// sender's and stay).
func accountFromLedger(l *Ledger, sub *measure.Subscriber, gen *load.Generator, before results.Accounting) (sinkLedgerAccount, error) {
	var a sinkLedgerAccount
	base := gen.IDBase()
	// This generator's k-th event has index sh.Global(k) in the full
	// schedule (every index on a single host, every Count-th for a shard).
	sh := gen.Shard()
	n := max(sh.Count, 1)
	sent := gen.Measured()
	first := gen.Sent() - sent
	h := results.NewHistogram()
	set := results.NewIDSet()
	run := l.Run(base)
	var duplicates int64
	if run != nil {
		ids, delivered, e2e := run.IDs, run.Delivered, run.E2E
		duplicates = run.Duplicates
		if n > 1 {
			// The run is every shard's: take this shard's part
			// (shardledger.go).
			part, ok := run.Part(sh.Index)
			if !ok || run.Stride != n {
				return a, fmt.Errorf("the sink keeps no account of this run per shard (stride %d, this run has %d shards): it is an evbench sink without shard support, or the shards were not sent with the %s header", run.Stride, n, HeaderShards)
			}
			ids, delivered, e2e, duplicates = run.CountShard(sh), part.Delivered, part.E2E, part.Duplicates
		}
		a.ids = ids
		var keys []uint64
		for k := int64(0); k < first+sent; k++ {
			q := sh.Global(uint64(k))
			if run.Contains(base + q) {
				if k < first {
					a.warm++
				} else {
					a.delivered++
					keys = append(keys, results.IDKey(q, n))
				}
			}
		}
		a.beyond = ids - a.warm - a.delivered
		// The set holds an id from the start of its processing: ids still
		// in progress after the drain are not delivered (not processed),
		// which keeps one e2e value per delivered event. Which ids they
		// are the ledger does not say: the latest sent are left out of
		// the delivered id set (the likeliest still in progress), so the
		// set's size stays the delivered count.
		a.inProgress = max(ids-delivered, 0)
		drop := min(a.inProgress, a.delivered)
		a.delivered -= drop
		set.AddMany(keys[:len(keys)-int(drop)])
		sub.DeadLetteredSeqs(func(q uint64) {
			if run.Contains(base + q) {
				a.afterDead++
			}
		})
		if e2e != "" {
			var err error
			if h, err = results.DecodeHistogram(e2e); err != nil {
				return a, fmt.Errorf("e2e histogram: %w", err)
			}
		}
	}
	e2e, err := results.NewLatency(h)
	if err != nil {
		return a, err
	}
	a.e2e = e2e
	if a.set, err = results.EncodeIDSet(set); err != nil {
		return a, err
	}
	a.acc = before
	a.acc.Sent = sent
	a.acc.Delivered = a.delivered
	a.acc.Lost = sent - a.delivered - before.NotSubscribed
	a.acc.LostBy = sub.LossCausesExcept(a.acc.Lost, func(q uint64) bool { return run != nil && run.Contains(base+q) })
	a.acc.DeliveredAfterDeadLetter = min(a.afterDead, a.delivered)
	a.acc.Duplicates = duplicates
	return a, nil
}
