package deadline

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestPopDueInOrder(t *testing.T) {
	var h Heap[int]
	rng := rand.New(rand.NewPCG(1, 2))
	var ats []int64
	for i := 0; i < 1000; i++ {
		at := rng.Int64N(10_000)
		ats = append(ats, at)
		h.Push(at, int(at))
	}
	slices.Sort(ats)
	if next, ok := h.Next(); !ok || next != ats[0] {
		t.Fatalf("Next = %d %v, want %d", next, ok, ats[0])
	}
	got := h.PopDue(5_000, nil)
	var want []int
	for _, a := range ats {
		if a <= 5_000 {
			want = append(want, int(a))
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("PopDue(5000) returned %d values out of order or wrong; want %d", len(got), len(want))
	}
	if h.Len() != len(ats)-len(want) {
		t.Fatalf("Len %d, want %d", h.Len(), len(ats)-len(want))
	}
}

func TestPushReportsEarliest(t *testing.T) {
	var h Heap[string]
	for _, tc := range []struct {
		at   int64
		want bool
	}{{50, true}, {70, false}, {10, true}, {10, false}, {5, true}} {
		if got := h.Push(tc.at, "x"); got != tc.want {
			t.Errorf("Push(%d) earliest=%v, want %v", tc.at, got, tc.want)
		}
	}
}

func TestRemoveKeepsHeapOrder(t *testing.T) {
	var h Heap[int]
	for i := 100; i > 0; i-- {
		h.Push(int64(i), i)
	}
	removed := h.Remove(func(v int) bool { return v%3 == 0 }, nil)
	if len(removed) != 33 || h.Len() != 67 {
		t.Fatalf("removed %d, left %d; want 33 and 67", len(removed), h.Len())
	}
	rest := h.PopDue(1000, nil)
	if !slices.IsSorted(rest) || slices.ContainsFunc(rest, func(v int) bool { return v%3 == 0 }) {
		t.Fatalf("after Remove the heap pops %v", rest)
	}
}

func TestPushAllocatesNothingInSteadyState(t *testing.T) {
	var h Heap[int]
	var out []int
	for i := 0; i < 64; i++ {
		h.Push(int64(i), i)
	}
	out = h.PopDue(1<<62, out[:0])
	allocs := testing.AllocsPerRun(100, func() {
		for i := 0; i < 64; i++ {
			h.Push(int64(64-i), i)
		}
		out = h.PopDue(1<<62, out[:0])
	})
	if allocs != 0 {
		t.Errorf("%v allocations per 64 pushes and pops, want 0", allocs)
	}
}
