package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
	"github.com/valyala/fasthttp"
)

// The ledger endpoint: GET <sink URL>/ledger returns what an `evbench sink`
// processed, so a runner whose subscriber is a sink on another host can
// account for it exactly (issue 11). The request is authenticated with the
// run's signing secret in the Standard Webhooks scheme: webhook-id (a fresh
// nonce), webhook-timestamp and webhook-signature over
// "{id}.{timestamp}.GET {path}", so a signature can be replayed neither as a
// webhook nor on another sink's ledger, and only within the timestamp
// tolerance. A sink without a secret serves no ledger (403).

// LedgerSuffix is appended to a sink's webhook URL to reach its ledger.
const LedgerSuffix = "/ledger"

// maxLedgerBytes bounds the ledger a client reads: the bitmaps of the
// default DedupLimits (4 runs of 16 MiB, base64) plus histograms fit.
const maxLedgerBytes = 128 << 20

// Ledger is a sink's account of what it processed.
type Ledger struct {
	// Name is the sink's subscriber name.
	Name string `json:"name"`
	// ServedAtUnixNs is the sink's clock (load.Now: Unix ns) when it built
	// the ledger; with the request's send and receive times it estimates
	// the clock skew between the hosts (EstimateSkew).
	ServedAtUnixNs int64 `json:"served_at_unix_ns"`
	// Requests, Processed, Duplicates and SignatureFailures are the sink's
	// counters (every run and sender together).
	Requests          int64 `json:"requests"`
	Processed         int64 `json:"processed"`
	Duplicates        int64 `json:"duplicates"`
	SignatureFailures int64 `json:"signature_failures"`
	// Foreign and ForeignDuplicates count messages whose id is not
	// evbench's (not in any run).
	Foreign           int64 `json:"foreign"`
	ForeignDuplicates int64 `json:"foreign_duplicates"`
	// DedupEvictions is ids forgotten because a bound was reached; when it
	// is not 0 a run's set may be incomplete (see EvictedRuns).
	DedupEvictions int64 `json:"dedup_evictions"`
	// EvictedRuns is how many runs' bitmaps were dropped (DedupLimits.Runs).
	EvictedRuns int64 `json:"evicted_runs"`
	// Runs are the evbench runs the sink holds, by id base.
	Runs []LedgerRun `json:"runs"`
}

// LedgerRun is one evbench run's events at the sink: the set of ids
// processed (a bitmap over sequence numbers, in 64 KiB pages; absent pages
// are empty), duplicates, and the e2e latency histogram (intended ->
// processing done, µs, on the sender's and the sink's clocks: correct it by
// the skew for hosts that differ).
type LedgerRun struct {
	// Base is the run's id base (load.Generator.IDBase), as a decimal string
	// (JSON numbers lose precision above 2^53).
	Base string `json:"base"`
	// IDs is the number of distinct ids processed (the set's size).
	IDs int64 `json:"ids"`
	// Delivered and Duplicates count processing and repeats.
	Delivered  int64 `json:"delivered"`
	Duplicates int64 `json:"duplicates"`
	// Pages is the set: page i holds sequence numbers [i*524288, (i+1)*524288),
	// bit b of little-endian 64-bit word w is sequence i*524288 + w*64 + b.
	Pages []LedgerPage `json:"pages"`
	// E2E is the HdrHistogram (V2 compressed, base64; reports/results'
	// geometry), empty when nothing was delivered.
	E2E string `json:"e2e_histogram"`
	// Stride is the shard count of a run sent by shards (HeaderShards),
	// 0 otherwise; Parts are then each shard's account (shardledger.go).
	Stride int          `json:"stride,omitempty"`
	Parts  []LedgerPart `json:"parts,omitempty"`

	base  uint64
	words map[uint64][]uint64
}

// LedgerPage is one bitmap page, base64 of its little-endian words.
type LedgerPage struct {
	Index uint64 `json:"index"`
	Bits  string `json:"bits"`
}

// ledger builds the ledger part the recorder knows.
func (m *MemRecorder) ledger(l *Ledger) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.claimed
	l.EvictedRuns = n.runsEvicted
	l.Foreign, l.ForeignDuplicates = m.foreign.Load(), m.foreignDups.Load()
	for base, r := range n.runs {
		lr := LedgerRun{Base: strconv.FormatUint(base, 10), IDs: r.n, Delivered: r.delivered, Duplicates: r.duplicates}
		idx := make([]uint64, 0, len(r.pages))
		for i := range r.pages {
			idx = append(idx, i)
		}
		sort.Slice(idx, func(a, b int) bool { return idx[a] < idx[b] })
		buf := make([]byte, bitPageWords*8)
		for _, i := range idx {
			pg := r.pages[i]
			empty := true
			for w, v := range pg {
				binary.LittleEndian.PutUint64(buf[w*8:], v)
				empty = empty && v == 0
			}
			if !empty {
				lr.Pages = append(lr.Pages, LedgerPage{Index: i, Bits: base64.StdEncoding.EncodeToString(buf)})
			}
		}
		if r.e2e != nil {
			s, err := results.EncodeHistogram(r.e2e)
			if err != nil {
				return fmt.Errorf("ledger: %w", err)
			}
			lr.E2E = s
		}
		if err := ledgerParts(&lr, r); err != nil {
			return err
		}
		l.Runs = append(l.Runs, lr)
	}
	sort.Slice(l.Runs, func(a, b int) bool { return l.Runs[a].Base < l.Runs[b].Base })
	return nil
}

// ledgerSigned is the content a ledger request signs, besides id and timestamp.
func ledgerSigned(path string) []byte { return []byte("GET " + path) }

// serveLedger answers GET <path>/ledger.
func (s *Sink) serveLedger(ctx *fasthttp.RequestCtx) {
	s.ledgerReqs.Add(1)
	mr, ok := s.rec.(*MemRecorder)
	if s.cfg.Secret == nil || !ok {
		ctx.Error("this sink serves no ledger: it needs a signing secret and its own recorder", fasthttp.StatusForbidden)
		return
	}
	h := &ctx.Request.Header
	if err := s.cfg.Secret.VerifyBytes(h.PeekCanonical(canonID), h.PeekCanonical(canonTimestamp), h.PeekCanonical(canonSignature),
		ledgerSigned(string(ctx.URI().PathOriginal())), time.Now(), s.cfg.Tolerance); err != nil {
		s.sigFail.Add(1)
		ctx.Error("ledger request not signed with this sink's secret", fasthttp.StatusUnauthorized)
		return
	}
	st := s.Stats()
	l := Ledger{Name: s.cfg.Name, Requests: st.Requests, Processed: st.Processed, Duplicates: st.Duplicates,
		SignatureFailures: st.SignatureFailures, DedupEvictions: st.DedupEvictions}
	if err := mr.ledger(&l); err != nil {
		ctx.Error(err.Error(), fasthttp.StatusInternalServerError)
		return
	}
	l.ServedAtUnixNs = load.Now()
	b, err := json.Marshal(&l)
	if err != nil {
		ctx.Error(err.Error(), fasthttp.StatusInternalServerError)
		return
	}
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
}

// LedgerURL is the ledger endpoint of the sink whose webhook URL is sinkURL.
func LedgerURL(sinkURL string) string { return strings.TrimRight(sinkURL, "/") + LedgerSuffix }

// ReadLedger fetches the ledger of the `evbench sink` at sinkURL (its
// webhook URL, as announced), signing the request with secret. tlsCfg is
// used for https (nil: the system's roots). The response is read up to a
// bound, so a wrong URL cannot exhaust memory. sent and received are the
// local clock (load.Now) around the exchange, for EstimateSkew.
func ReadLedger(ctx context.Context, sinkURL string, secret *Secret, tlsCfg *tls.Config) (l *Ledger, sent, received int64, err error) {
	if secret == nil {
		return nil, 0, 0, fmt.Errorf("read ledger: a signing secret is required")
	}
	u, err := url.Parse(LedgerURL(sinkURL))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("read ledger: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("read ledger: %w", err)
	}
	var nonce [12]byte
	_, _ = rand.Read(nonce[:])
	id := "ledger_" + hex.EncodeToString(nonce[:])
	ts := time.Now().Unix()
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, secret.Sign(id, ts, ledgerSigned(u.EscapedPath())))
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}, Timeout: time.Minute}
	defer c.CloseIdleConnections()
	sent = load.Now()
	resp, err := c.Do(req)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("read ledger %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxLedgerBytes+1))
	received = load.Now()
	if err != nil {
		return nil, 0, 0, fmt.Errorf("read ledger %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, 0, 0, fmt.Errorf("read ledger %s: status %d: %s", u, resp.StatusCode, bytes.TrimSpace(body[:min(len(body), 200)]))
	}
	if len(body) > maxLedgerBytes {
		return nil, 0, 0, fmt.Errorf("read ledger %s: larger than %d bytes", u, maxLedgerBytes)
	}
	l = new(Ledger)
	if err := json.Unmarshal(body, l); err != nil {
		return nil, 0, 0, fmt.Errorf("read ledger %s: %w", u, err)
	}
	for i := range l.Runs {
		if err := l.Runs[i].decode(); err != nil {
			return nil, 0, 0, fmt.Errorf("read ledger %s: run %s: %w", u, l.Runs[i].Base, err)
		}
	}
	return l, sent, received, nil
}

// EstimateSkew estimates how far the sink's clock is ahead of the local one
// (negative: behind), assuming the ledger was served halfway through the
// exchange; the error is at most half the round trip, returned as bound.
func (l *Ledger) EstimateSkew(sent, received int64) (skew, bound time.Duration) {
	mid := sent + (received-sent)/2
	return time.Duration(l.ServedAtUnixNs - mid), time.Duration(received-sent) / 2
}

// Run returns the run with id base base, or nil.
func (l *Ledger) Run(base uint64) *LedgerRun {
	for i := range l.Runs {
		if l.Runs[i].base == base {
			return &l.Runs[i]
		}
	}
	return nil
}

// decode checks and indexes the run's pages.
func (r *LedgerRun) decode() error {
	b, err := strconv.ParseUint(r.Base, 10, 64)
	if err != nil || b&seqMask != 0 {
		return fmt.Errorf("bad base %q", r.Base)
	}
	r.base = b
	r.words = make(map[uint64][]uint64, len(r.Pages))
	var n int64
	for _, p := range r.Pages {
		raw, err := base64.StdEncoding.DecodeString(p.Bits)
		if err != nil || len(raw) != bitPageWords*8 || p.Index >= (seqMask+1)/bitPageBits {
			return fmt.Errorf("bad page %d", p.Index)
		}
		w := make([]uint64, bitPageWords)
		for i := range w {
			w[i] = binary.LittleEndian.Uint64(raw[i*8:])
			n += int64(bits.OnesCount64(w[i]))
		}
		r.words[p.Index] = w
	}
	if n != r.IDs {
		return fmt.Errorf("the bitmap holds %d ids, the ledger says %d", n, r.IDs)
	}
	return nil
}

// Contains reports whether the sink processed the event with id id.
func (r *LedgerRun) Contains(id uint64) bool {
	if id&^seqMask != r.base {
		return false
	}
	seq := id & seqMask
	w := r.words[seq/bitPageBits]
	if w == nil {
		return false
	}
	off := seq % bitPageBits
	return w[off/64]&(1<<(off%64)) != 0
}

// Histogram decodes the run's e2e latency histogram (µs).
func (r *LedgerRun) Histogram() (*hdr.Histogram, error) { return results.DecodeHistogram(r.E2E) }
