package compare

import (
	"fmt"
	"math"
	"time"

	"github.com/evbench/evbench/reports/results"
)

// ClockWarnFraction is how large the shards' clock offsets may be against
// the merged median e2e latency before the merge warns: intended times
// come from each shard's clock and completion times from the receivers',
// so a latency is off by as much as the clocks are apart.
const ClockWarnFraction = 0.10

// ClockNotePrefix starts the merged point's note on clock offsets.
const ClockNotePrefix = "clocks: "

// clockNote describes the shards' clock offsets against the point's
// smallest median e2e latency: "" when no shard measured its offset, a
// warning when the largest offset plus its error bound exceeds
// ClockWarnFraction of that median (docs/kubernetes.md: run NTP).
func clockNote(shards []results.Shard, p *results.Point) string {
	worst, worstShard := int64(-1), -1
	var ref string
	for _, s := range shards {
		if s.ClockOffsetUS == nil || s.ClockOffsetBoundUS == nil {
			continue
		}
		if v := abs64(*s.ClockOffsetUS) + *s.ClockOffsetBoundUS; v > worst {
			worst, worstShard, ref = v, s.Index, s.ClockReference
		}
	}
	if worstShard < 0 {
		return ""
	}
	p50 := int64(math.MaxInt64)
	for _, s := range p.Subscribers {
		if s.Accounting.Delivered > 0 && s.E2E.LatencyUS.P50 > 0 {
			p50 = min(p50, s.E2E.LatencyUS.P50)
		}
	}
	off := time.Duration(worst) * time.Microsecond
	if p50 == math.MaxInt64 {
		return fmt.Sprintf(ClockNotePrefix+"the largest shard clock offset is %v (shard %d against %s, bound included); no latency to compare it with", off, worstShard, ref)
	}
	med := time.Duration(p50) * time.Microsecond
	if float64(worst) > ClockWarnFraction*float64(p50) {
		return fmt.Sprintf(ClockNotePrefix+"WARNING: shard %d's clock is up to %v off %s, more than %.0f%% of the merged e2e p50 (%v): latencies between hosts include the clocks' offsets; synchronise the hosts' clocks (NTP, docs/kubernetes.md)",
			worstShard, off, ref, ClockWarnFraction*100, med)
	}
	return fmt.Sprintf(ClockNotePrefix+"the largest shard clock offset is %v (shard %d against %s, bound included), within %.0f%% of the merged e2e p50 (%v)", off, worstShard, ref, ClockWarnFraction*100, med)
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
