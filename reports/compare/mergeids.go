package compare

import (
	"fmt"
	"slices"
	"strings"

	"github.com/evbench/evbench/reports/results"
)

// Exact merges of shards. Documents whose points carry id sets with the
// same id base and stride (results.IDs: shards of one run, see
// `evbench run --shard`) are merged from the sets, not by adding counts:
//
//   - sent is the size of the union of the sent sets, which must be
//     disjoint (the same event sent by two documents is a shard merged
//     twice, and is refused);
//   - a subscriber's delivered is the size of the union of its delivered
//     sets within the sent union; an event recorded by k documents is one
//     delivery and k-1 duplicates, added to the duplicates each document
//     counted itself; lost is sent - delivered.
//
// Points without id sets, or with different id bases (independent
// generators, each with its own subscribers, whose events are disjoint by
// construction), are merged by adding counts, which is then exact, and the
// merged point keeps no id sets.

// checkIDSets cross-checks a document's id sets against its accounting:
// each subscriber's delivered set holds as many events as it says it
// delivered, and the point's sent set as many as each subscriber was sent.
func checkIDSets(d *results.Results) error {
	for i := range d.Points {
		p := &d.Points[i]
		if p.IDs == nil {
			continue
		}
		where := fmt.Sprintf("point %d (%s)", i, p.System)
		if _, err := p.IDs.BaseID(); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if p.IDs.Stride < 1 {
			return fmt.Errorf("%s: ids.stride %d: want at least 1", where, p.IDs.Stride)
		}
		sent, err := results.DecodeIDSet(p.IDs.Sent)
		if err != nil {
			return fmt.Errorf("%s: ids.sent: %w", where, err)
		}
		for _, s := range p.Subscribers {
			// A consume document sent nothing (mergeconsumer.go).
			if n := int64(sent.GetCardinality()); n != s.Accounting.Sent && (p.Consumer == nil || n != 0) {
				return fmt.Errorf("%s subscriber %s: ids.sent holds %d events but %d were sent", where, s.Name, n, s.Accounting.Sent)
			}
			del, err := results.DecodeIDSet(s.DeliveredIDs)
			if err != nil {
				return fmt.Errorf("%s subscriber %s: delivered_ids: %w", where, s.Name, err)
			}
			if n := int64(del.GetCardinality()); n != s.Accounting.Delivered {
				return fmt.Errorf("%s subscriber %s: delivered_ids holds %d events but %d were delivered", where, s.Name, n, s.Accounting.Delivered)
			}
		}
	}
	return nil
}

// exactMerge is the id-set part of merging src into dst.
type exactMerge struct {
	sent  *results.IDSet               // union of the sent sets
	subs  map[string][2]*results.IDSet // dst's and src's delivered sets by name
	dupes int64                        // deliveries recorded by both
	// consumers: both parts are consume documents (mergeconsumer.go),
	// which sent nothing: their union is not counted against a sent set.
	consumers bool
}

// prepareExact decides whether dst and src can be merged exactly and, if
// so, decodes their sets; it returns nil (add counts) otherwise, dropping
// dst's id sets, which would no longer describe the merged point.
func prepareExact(dst, src *results.Point) (*exactMerge, error) {
	if dst.IDs == nil || src.IDs == nil || dst.IDs.Base != src.IDs.Base || dst.IDs.Stride != src.IDs.Stride {
		dst.IDs = nil
		for i := range dst.Subscribers {
			dst.Subscribers[i].DeliveredIDs = ""
		}
		return nil, nil
	}
	a, err := results.DecodeIDSet(dst.IDs.Sent)
	if err != nil {
		return nil, fmt.Errorf("ids.sent: %w", err)
	}
	b, err := results.DecodeIDSet(src.IDs.Sent)
	if err != nil {
		return nil, fmt.Errorf("ids.sent: %w", err)
	}
	if n := a.AndCardinality(b); n > 0 {
		return nil, fmt.Errorf("%w: %d events were sent by both documents (the same shard twice?)", ErrMismatch, n)
	}
	a.Or(b)
	ex := &exactMerge{sent: a, subs: map[string][2]*results.IDSet{}, consumers: dst.Consumer != nil && src.Consumer != nil}
	for i := range src.Subscribers {
		s := &src.Subscribers[i]
		j := slices.IndexFunc(dst.Subscribers, func(d results.Subscriber) bool { return d.Name == s.Name })
		if j < 0 {
			continue
		}
		da, err := results.DecodeIDSet(dst.Subscribers[j].DeliveredIDs)
		if err != nil {
			return nil, fmt.Errorf("subscriber %s: delivered_ids: %w", s.Name, err)
		}
		db, err := results.DecodeIDSet(s.DeliveredIDs)
		if err != nil {
			return nil, fmt.Errorf("subscriber %s: delivered_ids: %w", s.Name, err)
		}
		ex.subs[s.Name] = [2]*results.IDSet{da, db}
	}
	return ex, nil
}

// apply recomputes dst's sent, delivered, duplicates and lost from the
// sets, after the counts were added.
func (ex *exactMerge) apply(dst *results.Point) error {
	var err error
	if dst.IDs.Sent, err = results.EncodeIDSet(ex.sent); err != nil {
		return err
	}
	sent := int64(ex.sent.GetCardinality())
	for i := range dst.Subscribers {
		s := &dst.Subscribers[i]
		sets, ok := ex.subs[s.Name]
		if !ok {
			continue
		}
		a, b := sets[0], sets[1]
		both := int64(a.AndCardinality(b))
		// Counted as a delivery by both parts; each part's own repeats
		// are already in the added duplicates.
		s.Accounting.Duplicates += both
		ex.dupes += both
		a.Or(b)
		if ex.consumers {
			// What the consume processes processed together.
			s.Accounting.Delivered = int64(a.GetCardinality())
			s.Accounting.Sent, s.Accounting.Lost = s.Accounting.Delivered, 0
		} else {
			a.And(ex.sent)
			s.Accounting.Sent = sent
			s.Accounting.Delivered = int64(a.GetCardinality())
			s.Accounting.Lost = sent - s.Accounting.Delivered
		}
		if s.DeliveredIDs, err = results.EncodeIDSet(a); err != nil {
			return err
		}
	}
	return nil
}

// shardNote describes the shards merged into one point and what is
// missing; "" when no part was a shard.
func shardNote(shards []results.Shard) string {
	if len(shards) == 0 {
		return ""
	}
	n := shards[0].Count
	seen := map[int]bool{}
	var late int64
	lateShard := -1
	for _, s := range shards {
		seen[s.Index] = true
		if s.StartLateUS > late {
			late, lateShard = s.StartLateUS, s.Index
		}
	}
	var missing []string
	for i := 0; i < n; i++ {
		if !seen[i] {
			missing = append(missing, fmt.Sprintf("%d/%d", i, n))
		}
	}
	note := fmt.Sprintf("shards: %d of %d merged", len(seen), n)
	if len(missing) > 0 {
		note += "; MISSING " + strings.Join(missing, ", ") + ": the merged point is not the full schedule"
	}
	if lateShard >= 0 {
		note += fmt.Sprintf("; the latest start was shard %d/%d, %.1f ms after the start instant (its first events were late by as much)", lateShard, n, float64(late)/1000)
	}
	return note
}
