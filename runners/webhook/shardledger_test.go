package webhook

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/evbench/evbench/runners/load"
)

// TestSinkLedgerPerShard (issue 13): three shards of one run send to one
// standalone sink with the shard-count header; the ledger keeps each
// shard's deliveries, duplicates and e2e histogram apart, and each
// shard's ids are counted from the shared bitmap by sequence number.
// Before the parts, every shard read the whole run's counts.
func TestSinkLedgerPerShard(t *testing.T) {
	t.Parallel()
	secret, _ := NewSecret()
	s := startSink(t, SinkConfig{Name: "shared", Secret: secret})
	base := uint64(1<<63 | 91<<seqBitsLow)
	send := func(q uint64, late time.Duration) {
		t.Helper()
		id := "msg_" + strconv.FormatUint(base+q, 10)
		ts := time.Now().Unix()
		body := []byte(`{"n":1}`)
		h := map[string]string{HeaderID: id, HeaderTimestamp: strconv.FormatInt(ts, 10), HeaderSignature: secret.Sign(id, ts, body),
			HeaderIntended: strconv.FormatInt(load.Now()-int64(late), 10), HeaderShards: "3"}
		if got := post(t, s.URL(), nil, h, body); got != 200 {
			t.Fatalf("seq %d: status %d", q, got)
		}
	}
	// Shard i's events are seq i, i+3, ...: shard 0 delivers all 10 of its
	// events, shard 1 loses one, shard 2 delivers one twice; each shard's
	// latency differs so the histograms show whose they are.
	for q := uint64(0); q < 30; q++ {
		if q == 4 {
			continue // shard 1's lost event
		}
		send(q, time.Duration(q%3+1)*10*time.Millisecond)
	}
	send(5, 30*time.Millisecond) // a duplicate of shard 2's event

	l, _, _, err := ReadLedger(context.Background(), s.URL(), secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := l.Run(base)
	if r == nil || r.Stride != 3 || r.IDs != 29 || r.Duplicates != 1 {
		t.Fatalf("run %+v: want stride 3, 29 ids, 1 duplicate", r)
	}
	for i, want := range []struct{ ids, delivered, dups int64 }{{10, 10, 0}, {9, 9, 0}, {10, 10, 1}} {
		sh := load.Shard{Index: i, Count: 3}
		p, ok := r.Part(i)
		if !ok || r.CountShard(sh) != want.ids || p.Delivered != want.delivered || p.Duplicates != want.dups {
			t.Errorf("shard %d: ids %d, part %+v; want %+v", i, r.CountShard(sh), p, want)
			continue
		}
		h, err := decodeHist(p.E2E)
		if err != nil {
			t.Fatal(err)
		}
		lo := int64(i+1) * 10000
		if h.TotalCount() != want.delivered || h.Min() < lo || h.Min() > lo+5000 {
			t.Errorf("shard %d: histogram %d values, min %d us; want %d values from %d us", i, h.TotalCount(), h.Min(), want.delivered, lo)
		}
	}
}

func decodeHist(s string) (interface {
	TotalCount() int64
	Min() int64
}, error) {
	return (&LedgerRun{E2E: s}).Histogram()
}
