package measure

import (
	"testing"

	"github.com/evbench/evbench/reports/results"
)

// BenchmarkDeliveredIDs converts a million processed events with one in a
// thousand missing to an id set, as Finish does: go test -bench
// DeliveredIDs ./runners/measure/
func BenchmarkDeliveredIDs(b *testing.B) {
	s := &Subscriber{}
	for q := uint64(0); q < 1_000_000; q++ {
		if q%1000 != 7 {
			s.done.set(q)
		}
	}
	b.ResetTimer()
	for range b.N {
		enc, err := s.deliveredIDs(0, 1_000_000, 1)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(enc)), "bytes")
	}
}

func TestBitmapEach(t *testing.T) {
	var b bitmap
	want := []uint64{0, 5, 63, 64, 200, 1000}
	for _, q := range want {
		b.set(q)
	}
	var got []uint64
	b.each(5, 1000, func(q uint64) { got = append(got, q) })
	if len(got) != 4 || got[0] != 5 || got[3] != 200 {
		t.Fatalf("each(5, 1000) = %v", got)
	}
	enc, err := (&Subscriber{done: b}).deliveredIDs(0, 2000, 1)
	if err != nil {
		t.Fatal(err)
	}
	set, err := results.DecodeIDSet(enc)
	if err != nil || set.GetCardinality() != uint64(len(want)) {
		t.Fatalf("id set %v, %v", set, err)
	}
}
