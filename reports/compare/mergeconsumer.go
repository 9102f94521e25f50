package compare

import (
	"fmt"
	"slices"
	"strings"

	"github.com/evbench/evbench/reports/results"
)

// Consumer documents (`evbench consume`, results.Consumer) hold what one
// process's consumer group members processed of a run whose shards only
// produced. They carry the run's id base and stride with an empty sent
// set; their subscribers' Sent is what they processed. Merged with the
// producers' documents, their delivered sets are unioned with the others'
// and counted against the producers' sent union (mergeids.go): an event
// processed in two consume processes (a rebalance) is one delivery and one
// duplicate, an event no process processed is lost.

// consumerDoc reports whether every point of d was recorded by a consume
// process.
func consumerDoc(d *results.Results) bool {
	if len(d.Points) == 0 {
		return false
	}
	for i := range d.Points {
		if d.Points[i].Consumer == nil {
			return false
		}
	}
	return true
}

// producersFirst orders docs (and their names) so that consumer documents
// come after the producers': a consumer point is then merged into a
// producer point, whose sent set its deliveries are counted against.
func producersFirst(docs []*results.Results, names []string) ([]*results.Results, []string) {
	idx := make([]int, len(docs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		ca, cb := docs[a] != nil && consumerDoc(docs[a]), docs[b] != nil && consumerDoc(docs[b])
		switch {
		case ca == cb:
			return 0
		case cb:
			return -1
		}
		return 1
	})
	od := make([]*results.Results, len(docs))
	on := make([]string, len(docs))
	for k, i := range idx {
		od[k] = docs[i]
		if i < len(names) && names[i] != "" {
			on[k] = names[i]
		} else {
			on[k] = fmt.Sprintf("document %d", i+1)
		}
	}
	return od, on
}

// checkConsumerMerge refuses merging a consumer point that cannot be
// merged exactly: its deliveries mean something only against the
// producers' sent sets of the same run (same id base and stride).
func checkConsumerMerge(dst, src *results.Point) error {
	if dst.Consumer == nil && src.Consumer == nil {
		return nil
	}
	if dst.IDs == nil || src.IDs == nil || dst.IDs.Base != src.IDs.Base || dst.IDs.Stride != src.IDs.Stride {
		return fmt.Errorf("%w: a consume document's event ids do not match the run's (different id base or stride): give evbench consume the producers' --start-at, --shards, --rate and --duration", ErrMismatch)
	}
	return nil
}

// consumerNote names the consume processes merged into a point.
func consumerNote(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf("consumers: %d evbench consume document(s) merged (%s): deliveries, duplicates and e2e latencies are theirs, sent is the producers'", len(names), strings.Join(names, ", "))
}
