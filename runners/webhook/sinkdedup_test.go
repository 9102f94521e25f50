package webhook

import (
	"runtime"
	"strconv"
	"testing"
)

// TestIDWindow: the foreign-id window remembers its last cap ids, first in
// first out; an id that left it is new again, and each departure is counted.
func TestIDWindow(t *testing.T) {
	t.Parallel()
	w := newIDWindow(3)
	k := func(s string) idKey { return foreignKey([]byte(s)) }
	steps := []struct {
		op, id  string
		want    bool
		evicted int64
	}{
		{"claim", "a", true, 0}, {"claim", "b", true, 0}, {"claim", "c", true, 0},
		{"claim", "a", false, 0}, // still remembered
		{"claim", "d", true, 1},  // a leaves
		{"claim", "a", true, 2},  // a is new again; b leaves
		{"release", "c", false, 2},
		{"claim", "e", true, 2}, // c's slot: released, so not an eviction
		{"claim", "c", true, 3}, // d leaves
		{"claim", "e", false, 3},
	}
	for i, s := range steps {
		if s.op == "release" {
			w.release(k(s.id))
		} else if got := w.claim(k(s.id)); got != s.want {
			t.Fatalf("step %d: claim(%s) = %v, want %v", i, s.id, got, s.want)
		}
		if w.evicted != s.evicted {
			t.Fatalf("step %d (%s %s): evicted %d, want %d", i, s.op, s.id, w.evicted, s.evicted)
		}
		if w.len() > 3 {
			t.Fatalf("step %d: %d ids held, cap 3", i, w.len())
		}
	}
}

// TestNumericSetBounded (issue 9 item 17): evbench's ids are exact within a
// run's bitmap, runs beyond the bound drop the least recently used run
// (counted), and sequence numbers beyond MaxSeq fall back to the window.
func TestNumericSetBounded(t *testing.T) {
	t.Parallel()
	const maxSeq = 1 << 22
	n := newNumericSet(DedupLimits{MaxSeq: maxSeq, Runs: 2, Window: 4})
	run := func(r uint64) uint64 { return (1<<63 | r<<seqBitsLow) }
	for i := uint64(0); i < 1000; i++ {
		if !n.claim(run(1) + i) {
			t.Fatalf("first claim of seq %d refused", i)
		}
	}
	if n.claim(run(1)+999) || n.claim(run(1)) {
		t.Fatal("a repeat was claimed again")
	}
	n.release(run(1) + 5)
	if !n.claim(run(1) + 5) {
		t.Fatal("a released id was not claimable again")
	}
	n.claim(run(2))
	if st := n.stats(); st.Runs != 2 || st.IDs != 1001 || st.Evictions != 0 {
		t.Fatalf("stats %+v, want 2 runs, 1001 ids, no evictions", st)
	}
	n.claim(run(2) + 1) // run 2 is now the most recently used
	n.claim(run(3))     // drops run 1 (1000 ids)
	st := n.stats()
	if st.Runs != 2 || st.Evictions != 1000 || n.runsEvicted != 1 {
		t.Fatalf("after a third run: %+v (runs evicted %d), want 2 runs, 1000 ids evicted", st, n.runsEvicted)
	}
	if !n.claim(run(1)) {
		t.Fatal("an id of the dropped run was refused: its run should be forgotten")
	}
	// Beyond MaxSeq: the window, exact while it holds them.
	big := run(3) + maxSeq + 7
	if !n.claim(big) || n.claim(big) {
		t.Fatal("an id beyond MaxSeq was not deduplicated by the window")
	}
	// Worst case memory: one id per page over the whole range costs at most
	// MaxSeq/8 bytes per run.
	for seq := uint64(0); seq < maxSeq; seq += bitPageBits {
		n.claim(run(3) + seq)
	}
	if b := n.stats().Bytes; b > 2*maxSeq/8+n.fallback.bytes() {
		t.Fatalf("%d bytes for 2 runs of at most %d ids", b, maxSeq)
	}
}

// TestMemRecorderDedupMemory (issue 9 item 17): the standalone sink's
// idempotency memory grew by a map entry per id forever (68 MB RSS after
// 1,000,000 ids through `evbench sink`); a run's ids now cost one bit each.
func TestMemRecorderDedupMemory(t *testing.T) {
	const ids = 2_000_000
	m := NewMemRecorder()
	base := uint64(1<<63 | 12345<<seqBitsLow)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := uint64(0); i < ids; i++ {
		if !m.Claim(base + i) {
			t.Fatalf("id %d refused", i)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	st := m.DedupStats()
	t.Logf("%d ids: heap grew %d bytes; dedup reports %d bytes, %d ids", ids, grew, st.Bytes, st.IDs)
	if st.IDs != ids || st.Bytes > ids/8+bitPageWords*8 {
		t.Errorf("dedup stats %+v: want %d ids in about %d bytes", st, ids, ids/8)
	}
	// A map held ~40 bytes per id (80 MB here); allow noise from other
	// packages' goroutines but nothing near that.
	if grew > 16<<20 {
		t.Errorf("heap grew %d bytes for %d ids, want about %d", grew, ids, ids/8)
	}
	runtime.KeepAlive(m)
}

// TestSinkDedupWindow: a sink's foreign-id memory is bounded by
// Dedup.Window; an id that left the window is processed again, and the
// evictions show in its stats.
func TestSinkDedupWindow(t *testing.T) {
	t.Parallel()
	s := startSink(t, SinkConfig{Name: "window", Dedup: DedupLimits{Window: 4}})
	send := func(id string) int { return post(t, s.URL(), nil, map[string]string{HeaderID: id}, nil) }
	for i := 1; i <= 6; i++ {
		if got := send("evt_" + strconv.Itoa(i)); got != 200 {
			t.Fatalf("evt_%d: status %d", i, got)
		}
	}
	send("evt_6") // in the window: a duplicate
	send("evt_1") // left the window: processed again
	st := s.Stats()
	if st.Processed != 7 || st.Duplicates != 1 || st.DedupEvictions != 3 || st.Foreign != 7 {
		t.Errorf("stats %+v: want 7 processed, 1 duplicate, 3 evictions", st)
	}
}
