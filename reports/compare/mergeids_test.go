package compare

import (
	"errors"
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/results"
)

// idSet encodes the events with full-schedule indices seqs at stride n.
func idSet(t *testing.T, n int, seqs ...uint64) string {
	t.Helper()
	s := results.NewIDSet()
	for _, q := range seqs {
		s.Add(results.IDKey(q, n))
	}
	enc, err := results.EncodeIDSet(s)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// shardDoc is shard i of 3 of a 12-event run (base "77"): it sent events
// i, i+3, i+6, i+9, and its one subscriber recorded delivered (as a
// consumer group spread over shards would: any shard's events).
func shardDoc(t *testing.T, i int, base string, delivered ...uint64) *results.Results {
	t.Helper()
	d := doc(t)
	p := point(t, "webhook")
	p.Subscribers = []results.Subscriber{{
		Name:         "inventory",
		E2E:          latency(t, [2]int64{1000, int64(len(delivered))}),
		Accounting:   results.Accounting{Sent: 4, Delivered: int64(len(delivered)), Lost: 4 - int64(len(delivered))},
		DeliveredIDs: idSet(t, 3, delivered...),
	}}
	q := uint64(i)
	p.IDs = &results.IDs{Base: base, Stride: 3, Sent: idSet(t, 3, q, q+3, q+6, q+9)}
	p.Shard = &results.Shard{Index: i, Count: 3, StartLateUS: int64(i) * 1500}
	d.Points = []results.Point{p}
	return d
}

func TestMergeShardsExactFromIDSets(t *testing.T) {
	// Event 4 (shard 1's) is recorded by shard 0 and by shard 1; event 9
	// (shard 0's) only by shard 2; event 11 by nobody.
	a := shardDoc(t, 0, "77", 0, 3, 6, 4)
	b := shardDoc(t, 1, "77", 1, 4, 7, 10)
	c := shardDoc(t, 2, "77", 2, 5, 8, 9)
	m, err := Merge(a, b, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Points) != 1 {
		t.Fatalf("%d points, want 1", len(m.Points))
	}
	p := m.Points[0]
	got := p.Subscribers[0].Accounting
	// Adding counts would say 12 delivered, 0 duplicates, 0 lost.
	want := results.Accounting{Sent: 12, Delivered: 11, Duplicates: 1, Lost: 1}
	if got != want {
		t.Fatalf("accounting %+v, want %+v", got, want)
	}
	del, err := results.DecodeIDSet(p.Subscribers[0].DeliveredIDs)
	if err != nil {
		t.Fatal(err)
	}
	if del.GetCardinality() != 11 || del.Contains(results.IDKey(11, 3)) || !del.Contains(results.IDKey(9, 3)) {
		t.Fatalf("merged delivered set has %d events (11 in it: %v, 9 in it: %v)", del.GetCardinality(), del.Contains(results.IDKey(11, 3)), del.Contains(results.IDKey(9, 3)))
	}
	if p.Shard != nil {
		t.Errorf("merged point still says it is shard %+v", *p.Shard)
	}
	notes := strings.Join(p.Notes, "\n")
	for _, s := range []string{"shards: 3 of 3 merged", "shard 2/3, 3.0 ms after the start instant", "1 deliveries were recorded by more than one document"} {
		if !strings.Contains(notes, s) {
			t.Errorf("notes lack %q:\n%s", s, notes)
		}
	}
	// The merged document merges again with nothing lost: the ids survive.
	if err := checkIDSets(m); err != nil {
		t.Fatalf("merged id sets do not match their accounting: %v", err)
	}
}

func TestMergeShardsRefusesAndFallsBack(t *testing.T) {
	t.Run("same shard twice", func(t *testing.T) {
		_, err := Merge(shardDoc(t, 1, "77", 1), shardDoc(t, 1, "77", 4))
		if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "sent by both") {
			t.Fatalf("err = %v, want a refusal: the same events sent twice", err)
		}
	})
	t.Run("missing shard", func(t *testing.T) {
		m, err := Merge(shardDoc(t, 0, "77", 0), shardDoc(t, 2, "77", 2))
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Join(m.Points[0].Notes, "\n"); !strings.Contains(n, "MISSING 1/3") {
			t.Fatalf("notes do not name the missing shard:\n%s", n)
		}
		if a := m.Points[0].Subscribers[0].Accounting; a.Sent != 8 || a.Delivered != 2 || a.Lost != 6 {
			t.Fatalf("accounting %+v", a)
		}
	})
	t.Run("id set disagrees with accounting", func(t *testing.T) {
		d := shardDoc(t, 0, "77", 0, 3)
		d.Points[0].Subscribers[0].DeliveredIDs = idSet(t, 3, 0)
		if _, err := Merge(d, shardDoc(t, 1, "77", 1)); err == nil || !strings.Contains(err.Error(), "delivered_ids holds 1 events but 2 were delivered") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("independent generators add counts", func(t *testing.T) {
		// Different id bases: disjoint events, each document's own
		// subscribers; the counts add and no id set survives.
		m, err := Merge(shardDoc(t, 0, "77", 0, 3), shardDoc(t, 0, "78", 0, 3))
		if err != nil {
			t.Fatal(err)
		}
		p := m.Points[0]
		if a := p.Subscribers[0].Accounting; a.Sent != 8 || a.Delivered != 4 || a.Duplicates != 0 {
			t.Fatalf("accounting %+v", a)
		}
		if p.IDs != nil || p.Subscribers[0].DeliveredIDs != "" {
			t.Fatalf("id sets of two id spaces kept: %+v %q", p.IDs, p.Subscribers[0].DeliveredIDs)
		}
	})
}
