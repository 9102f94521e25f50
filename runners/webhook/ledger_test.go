package webhook

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/runners/load"
)

// TestSinkLedger (issue 11 item 1, sink side): a sink's ledger, read with
// ReadLedger over HTTP and authenticated with the signing secret, gives the
// exact set of a run's ids processed, its duplicates and its e2e latency,
// and the clock skew estimate; other secrets and unsigned reads are refused.
func TestSinkLedger(t *testing.T) {
	t.Parallel()
	secret, _ := NewSecret()
	s := startSink(t, SinkConfig{Name: "remote", Secret: secret})
	base := uint64(1<<63 | 77<<seqBitsLow)
	send := func(id string, intended int64) {
		t.Helper()
		ts := time.Now().Unix()
		body := []byte(`{"n":1}`)
		h := map[string]string{HeaderID: id, HeaderTimestamp: strconv.FormatInt(ts, 10), HeaderSignature: secret.Sign(id, ts, body),
			HeaderIntended: strconv.FormatInt(intended, 10)}
		if got := post(t, s.URL(), nil, h, body); got != 200 {
			t.Fatalf("%s: status %d", id, got)
		}
	}
	lost := map[uint64]bool{10: true, 20: true, 600000: true}
	seqs := []uint64{}
	for q := uint64(0); q < 100; q++ {
		seqs = append(seqs, q)
	}
	seqs = append(seqs, 524288+3, 600000) // a second bitmap page, and a lost id in it
	for _, q := range seqs {
		if !lost[q] {
			send("msg_"+strconv.FormatUint(base+q, 10), load.Now()-int64(5*time.Millisecond))
		}
	}
	send("msg_"+strconv.FormatUint(base+5, 10), load.Now()) // duplicates
	send("msg_"+strconv.FormatUint(base+5, 10), load.Now())
	send("evt_not_evbench", load.Now())

	l, sent, recv, err := ReadLedger(context.Background(), s.URL(), secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := l.Run(base)
	if r == nil || len(l.Runs) != 1 {
		t.Fatalf("runs %+v, want the one run %d", l.Runs, base)
	}
	for _, q := range seqs {
		if got := r.Contains(base + q); got == lost[q] {
			t.Errorf("seq %d: in the ledger %v, want %v", q, got, !lost[q])
		}
	}
	if r.Contains(base+100) || r.Contains(base-1) || r.Contains(base+1<<seqBitsLow) {
		t.Error("ids never sent are in the ledger")
	}
	if r.IDs != 99 || r.Delivered != 99 || r.Duplicates != 2 {
		t.Errorf("run: ids %d delivered %d duplicates %d, want 99, 99, 2", r.IDs, r.Delivered, r.Duplicates)
	}
	h, err := r.Histogram()
	if err != nil {
		t.Fatal(err)
	}
	if h.TotalCount() != 99 || h.Min() < 5000 {
		t.Errorf("e2e histogram: %d values, min %d us; want 99 values of at least 5 ms", h.TotalCount(), h.Min())
	}
	if l.Foreign != 1 || l.Processed != 100 || l.Duplicates != 2 || l.Name != "remote" {
		t.Errorf("ledger totals %+v: want 1 foreign, 100 processed, 2 duplicates", l)
	}
	skew, bound := l.EstimateSkew(sent, recv)
	if skew < -bound-time.Millisecond || skew > bound+time.Millisecond {
		t.Errorf("same host: skew %v outside +-(%v + 1ms)", skew, bound)
	}

	// Refusals: another secret, a forged or unsigned read, a sink without a
	// secret, and the ledger's signature replayed as a webhook.
	other, _ := NewSecret()
	if _, _, _, err := ReadLedger(context.Background(), s.URL(), other, nil); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("another secret: %v, want a 401", err)
	}
	if got := rawStatus(t, "GET", LedgerURL(s.URL()), map[string]string{HeaderID: "x", HeaderTimestamp: "1", HeaderSignature: "v1,AAAA"}, nil, 0); got != 401 {
		t.Errorf("forged ledger read: status %d, want 401", got)
	}
	open := startSink(t, SinkConfig{Name: "open"})
	if _, _, _, err := ReadLedger(context.Background(), open.URL(), secret, nil); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("a sink without a secret: %v, want 403", err)
	}
	ts := time.Now().Unix()
	path := "/webhook/remote" + LedgerSuffix
	replay := map[string]string{HeaderID: "ledger_1", HeaderTimestamp: strconv.FormatInt(ts, 10), HeaderSignature: secret.Sign("ledger_1", ts, ledgerSigned(path))}
	if got := post(t, s.URL(), nil, replay, nil); got != 401 {
		t.Errorf("a ledger signature replayed as a webhook: status %d, want 401", got)
	}
	if st := s.Stats(); st.LedgerReads != 3 {
		t.Errorf("ledger reads %d, want 3", st.LedgerReads)
	}
}

// FuzzLedgerDecode: a ledger from the network never panics the client, and
// a run that decodes holds exactly the ids it claims.
func FuzzLedgerDecode(f *testing.F) {
	f.Add([]byte(`{"runs":[{"base":"9223372036854775808","ids":0,"pages":[]}]}`))
	f.Add([]byte(`{"runs":[{"base":"1","ids":1,"pages":[{"index":0,"bits":"AQ=="}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var l Ledger
		if json.Unmarshal(b, &l) != nil {
			return
		}
		for i := range l.Runs {
			r := &l.Runs[i]
			if r.decode() != nil {
				continue
			}
			var n int64
			for idx, w := range r.words {
				for j := range w {
					for k := uint64(0); k < 64; k++ {
						if r.Contains(r.base + idx*bitPageBits + uint64(j)*64 + k) {
							n++
						}
					}
				}
			}
			if n != r.IDs {
				t.Fatalf("decoded run holds %d ids, claims %d", n, r.IDs)
			}
		}
	})
}
