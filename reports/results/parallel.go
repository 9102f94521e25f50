package results

import (
	"fmt"
	"strings"
)

// ParallelSubscriber compares one subscriber's two delivery paths in a
// migration's parallel run (systems.bridge.parallel_run): the legacy
// webhook endpoint (Old, the subscriber named Name + "@webhook") and the
// Kafka consumer group (New, named Name). The four sets partition the
// measured events: Both + OnlyOld + OnlyNew + Neither = sent.
type ParallelSubscriber struct {
	Name string `json:"name"`
	// Old and New name the two entries of the point's subscribers list.
	Old string `json:"old"`
	New string `json:"new"`
	// Sent is the measured events offered to both paths.
	Sent    int64 `json:"sent"`
	Both    int64 `json:"both"`
	OnlyOld int64 `json:"only_old"`
	OnlyNew int64 `json:"only_new"`
	Neither int64 `json:"neither"`
	// OldE2E and NewE2E are the two paths' end-to-end latency summaries
	// (microseconds), side by side.
	OldE2E Summary `json:"old_e2e_us"`
	NewE2E Summary `json:"new_e2e_us"`
}

// LegacyName is the name of a subscriber's legacy webhook path in a
// parallel run (scenarios.LegacySuffix).
func LegacyName(name, suffix string) string { return name + suffix }

// CompareParallel builds p.ParallelRun from the delivered id sets of each
// subscriber named X and its legacy twin X+suffix.
func CompareParallel(p *Point, suffix string) error {
	idx := map[string]int{}
	for i, s := range p.Subscribers {
		idx[s.Name] = i
	}
	p.ParallelRun = nil
	for _, s := range p.Subscribers {
		if strings.HasSuffix(s.Name, suffix) {
			continue
		}
		j, ok := idx[LegacyName(s.Name, suffix)]
		if !ok {
			return fmt.Errorf("parallel run: subscriber %s has no legacy twin %s", s.Name, LegacyName(s.Name, suffix))
		}
		old := p.Subscribers[j]
		a, err := DecodeIDSet(old.DeliveredIDs)
		if err != nil {
			return fmt.Errorf("parallel run: %s: %w", old.Name, err)
		}
		b, err := DecodeIDSet(s.DeliveredIDs)
		if err != nil {
			return fmt.Errorf("parallel run: %s: %w", s.Name, err)
		}
		both := int64(a.AndCardinality(b))
		r := ParallelSubscriber{Name: s.Name, Old: old.Name, New: s.Name, Sent: s.Accounting.Sent, Both: both,
			OnlyOld: int64(a.GetCardinality()) - both, OnlyNew: int64(b.GetCardinality()) - both,
			OldE2E: old.E2E.LatencyUS, NewE2E: s.E2E.LatencyUS}
		r.Neither = r.Sent - r.Both - r.OnlyOld - r.OnlyNew
		if old.Accounting.Sent != r.Sent || r.Neither < 0 {
			return fmt.Errorf("parallel run: %s: sets do not add up: sent %d (old path %d), both %d, only old %d, only new %d", s.Name, r.Sent, old.Accounting.Sent, r.Both, r.OnlyOld, r.OnlyNew)
		}
		p.ParallelRun = append(p.ParallelRun, r)
	}
	return nil
}
