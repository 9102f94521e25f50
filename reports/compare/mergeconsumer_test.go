package compare

import (
	"errors"
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/results"
)

// consumerDocOf is an evbench consume document of the 12-event run of
// shardDoc: its one subscriber processed delivered (any shard's events),
// with dupes repeats of its own; it sent nothing.
func consumerDocOf(t *testing.T, name, base string, stride int, dupes int64, delivered ...uint64) *results.Results {
	t.Helper()
	d := doc(t)
	p := point(t, "webhook")
	n := int64(len(delivered))
	p.Subscribers = []results.Subscriber{{
		Name:         "inventory",
		E2E:          latency(t, [2]int64{2000, n}),
		Accounting:   results.Accounting{Sent: n, Delivered: n, Duplicates: dupes},
		DeliveredIDs: idSet(t, stride, delivered...),
	}}
	p.IDs = &results.IDs{Base: base, Stride: stride}
	p.Consumer = &results.Consumer{Name: name, Members: 1, Topic: "orders"}
	d.Points = []results.Point{p}
	return d
}

// TestMergeConsumerDocuments: three producer shards that delivered
// nothing themselves (--external-consumers) and two consume processes.
// Event 4 was processed by both consume processes (a rebalance): one
// delivery and one duplicate; event 11 by neither: lost. Whatever the
// order of the documents, the counts come from the sets.
func TestMergeConsumerDocuments(t *testing.T) {
	c1 := func() *results.Results { return consumerDocOf(t, "consumer-0", "77", 3, 1, 0, 1, 2, 3, 4, 5) }
	c2 := func() *results.Results { return consumerDocOf(t, "consumer-1", "77", 3, 0, 4, 6, 7, 8, 9, 10) }
	prods := func() []*results.Results {
		return []*results.Results{shardDoc(t, 0, "77"), shardDoc(t, 1, "77"), shardDoc(t, 2, "77")}
	}
	for _, order := range []struct {
		name string
		docs func() []*results.Results
	}{
		{"producers first", func() []*results.Results { return append(prods(), c1(), c2()) }},
		{"consumers first", func() []*results.Results { return append([]*results.Results{c2(), c1()}, prods()...) }},
		{"interleaved", func() []*results.Results {
			p := prods()
			return []*results.Results{p[2], c1(), p[0], c2(), p[1]}
		}},
	} {
		t.Run(order.name, func(t *testing.T) {
			m, err := Merge(order.docs()...)
			if err != nil {
				t.Fatal(err)
			}
			p := m.Points[0]
			got := p.Subscribers[0].Accounting
			// Adding counts would say sent 24 (12 + what they processed),
			// delivered 12, duplicates 1.
			want := results.Accounting{Sent: 12, Delivered: 11, Duplicates: 2, Lost: 1}
			if got != want {
				t.Fatalf("accounting %+v, want %+v", got, want)
			}
			if n := p.Subscribers[0].E2E.LatencyUS.Count; n != 12 {
				t.Errorf("merged histogram holds %d values, want the 12 recorded", n)
			}
			if p.Consumer != nil {
				t.Errorf("merged point still says it is a consume document: %+v", p.Consumer)
			}
			notes := strings.Join(p.Notes, "\n")
			for _, s := range []string{"shards: 3 of 3 merged", "consumers: 2 evbench consume document(s) merged", "1 deliveries were recorded by more than one document"} {
				if !strings.Contains(notes, s) {
					t.Errorf("notes lack %q:\n%s", s, notes)
				}
			}
			if err := checkIDSets(m); err != nil {
				t.Fatalf("merged id sets do not match their accounting: %v", err)
			}
		})
	}
	t.Run("consumers only", func(t *testing.T) {
		m, err := Merge(c1(), c2())
		if err != nil {
			t.Fatal(err)
		}
		if a := m.Points[0].Subscribers[0].Accounting; a != (results.Accounting{Sent: 11, Delivered: 11, Duplicates: 2}) {
			t.Fatalf("accounting %+v", a)
		}
		if m.Points[0].Consumer == nil {
			t.Fatal("two consume documents merged are still a consume document")
		}
	})
	t.Run("wrong stride refused", func(t *testing.T) {
		_, err := Merge(shardDoc(t, 0, "77"), consumerDocOf(t, "c", "77", 1, 0, 0, 3))
		if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "--shards") {
			t.Fatalf("err = %v, want a refusal naming --shards", err)
		}
	})
}
