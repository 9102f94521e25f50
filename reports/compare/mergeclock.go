package compare

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/evbench/evbench/reports/results"
)

// ClockWarnFraction is how large the clock offsets between the processes
// of a sharded run may be against the merged median e2e latency before the
// merge warns: intended times come from each shard's clock and completion
// times from the receivers' (a standalone sink, an `evbench consume`
// process), so a latency is off by as much as those clocks are apart.
const ClockWarnFraction = 0.10

// ClockNotePrefix starts the merged point's note on clock offsets.
const ClockNotePrefix = "clocks: "

// clockEst is one process's clock offset estimate in a merged point.
type clockEst struct {
	who        string // "shard 1", "consume process c-0", "sink a"
	ref        string // the clock it was measured against ("" when not measured)
	off, bound int64  // µs
	// intended: the process stamps intended times (a producing shard);
	// done: it stamps completion times (a sink, a consume process).
	intended, done bool
}

// shardClock is a shard's estimate (ref "" when it measured none).
func shardClock(s results.Shard) clockEst {
	e := clockEst{who: fmt.Sprintf("shard %d", s.Index), intended: true}
	if s.ClockOffsetUS != nil && s.ClockOffsetBoundUS != nil {
		e.off, e.bound, e.ref = *s.ClockOffsetUS, *s.ClockOffsetBoundUS, s.ClockReference
	}
	return e
}

// consumerClock is a consume process's estimate.
func consumerClock(c results.Consumer) clockEst {
	e := clockEst{who: "consume process " + c.Name, done: true}
	if c.ClockOffsetUS != nil && c.ClockOffsetBoundUS != nil {
		e.off, e.bound, e.ref = *c.ClockOffsetUS, *c.ClockOffsetBoundUS, c.ClockReference
	}
	return e
}

// clockNote compares the clocks of a merged point's processes. Offsets
// are comparable only against the same reference. A pair of clocks lands
// in e2e latency when one process stamped the intended times and another
// the completion times: a shard and the standalone sink it measured
// against (the reference itself, offset 0), or a producer shard and a
// consume process (both against the Kafka broker: their offsets'
// difference). Kafka shards that ran their own consumer groups (no
// consume processes merged) measure latency on one clock each: their
// offsets move when their schedules ran, not their latencies, and the
// note only says how far apart they were.
//
// The note is "" when no process measured an offset; a warning when the
// worst pair's offset plus both bounds exceeds ClockWarnFraction of the
// point's smallest median e2e latency (docs/kubernetes.md: run NTP). It
// names processes that measured nothing.
func clockNote(ests []clockEst, p *results.Point) string {
	var missing []string
	measured := 0
	for _, e := range ests {
		if e.ref == "" {
			missing = append(missing, e.who)
		} else {
			measured++
		}
	}
	if measured == 0 {
		return ""
	}
	// The references that stamp completion times themselves (sinks) join
	// as processes with offset 0. A Kafka shard with its own consumer
	// groups stamps both ends of its latencies: it pairs with no one.
	all := append([]clockEst(nil), ests...)
	seen := map[string]bool{}
	for _, e := range ests {
		if strings.HasPrefix(e.ref, "sink ") && !seen[e.ref] {
			seen[e.ref] = true
			all = append(all, clockEst{who: e.ref, ref: e.ref, done: true})
		}
	}
	worst, spread := int64(-1), int64(-1)
	var wa, wb, wref string
	var sa, sb, sref string
	for i, a := range all {
		for j, b := range all {
			if i == j || a.ref == "" || a.ref != b.ref {
				continue
			}
			d := abs64(a.off-b.off) + a.bound + b.bound
			if a.intended && b.done && d > worst {
				worst, wa, wb, wref = d, a.who, b.who, a.ref
			}
			if d > spread {
				spread, sa, sb, sref = d, a.who, b.who, a.ref
			}
		}
	}
	tail := ""
	if len(missing) > 0 {
		tail = "; no estimate from " + strings.Join(missing, ", ") + " (see its notes)"
	}
	if worst < 0 {
		if spread < 0 {
			return ClockNotePrefix + "one process measured its offset; nothing to compare it with" + tail
		}
		return fmt.Sprintf(ClockNotePrefix+"%s and %s are up to %v apart (each against %s, bounds included); each process measured its latencies on its own clock, so the offsets shift when the shards' schedules ran, not the latencies%s",
			sa, sb, us(spread), sref, tail)
	}
	pair := fmt.Sprintf("%s's clock is up to %v off %s's (each against %s, bounds included)", wa, us(worst), wb, wref)
	if wb == wref {
		pair = fmt.Sprintf("%s's clock is up to %v off %s (bound included)", wa, us(worst), wref)
	}
	p50 := int64(math.MaxInt64)
	for _, s := range p.Subscribers {
		if s.Accounting.Delivered > 0 && s.E2E.LatencyUS.P50 > 0 {
			p50 = min(p50, s.E2E.LatencyUS.P50)
		}
	}
	if p50 == math.MaxInt64 {
		return fmt.Sprintf(ClockNotePrefix+"%s; no latency to compare it with%s", pair, tail)
	}
	if float64(worst) > ClockWarnFraction*float64(p50) {
		return fmt.Sprintf(ClockNotePrefix+"WARNING: %s, more than %.0f%% of the merged e2e p50 (%v): latencies between hosts include the clocks' offsets; synchronise the hosts' clocks (NTP, docs/kubernetes.md)%s",
			pair, ClockWarnFraction*100, us(p50), tail)
	}
	return fmt.Sprintf(ClockNotePrefix+"%s, within %.0f%% of the merged e2e p50 (%v)%s", pair, ClockWarnFraction*100, us(p50), tail)
}

// us is a µs count as a duration.
func us(v int64) time.Duration { return time.Duration(v) * time.Microsecond }

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
