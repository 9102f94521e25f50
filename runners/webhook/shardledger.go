package webhook

import (
	"fmt"
	"math/bits"
	"sort"
	"strconv"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/scenarios"
)

// Standalone sinks shared by the shards of one run (`evbench run --shard
// I/N`, issue 13). The shards send the same run's ids (one id base), each
// every N-th sequence number, to the same `evbench sink`, so one run's
// bitmap at the sink holds every shard's events. The bitmap splits by
// sequence number exactly; the counts and the e2e histogram would not, so
// a sharded sender says how many shards there are (HeaderShards) and the
// sink keeps, besides the run's totals, one part per shard (seq mod N):
// deliveries, duplicates and the e2e histogram. Each shard then reads its
// own part and its own sequence numbers from the ledger, and `evbench
// merge` adds the parts' histograms and unions their id sets exactly.

// HeaderShards carries the shard count of a sharded sender (`evbench run
// --shard I/N`), so a standalone sink keeps each shard's account apart.
const HeaderShards = "x-evbench-shards"

var canonShards = []byte("X-Evbench-Shards")

// MaxSinkShards bounds the per-shard parts a sink keeps for one run (an
// e2e histogram each, ~40 KiB): a sender claiming more shards gets no
// parts, and its shards' ledger reads fail loudly rather than misattribute.
const MaxSinkShards = 256

// shardPart is one shard's account of a run at a sink.
type shardPart struct {
	delivered, duplicates int64
	e2e                   *hdr.Histogram
}

// StrideRecorder is implemented by recorders that keep a sharded run's
// account per shard (MemRecorder).
type StrideRecorder interface {
	// SetStride records that id's run is sent by n shards.
	SetStride(id uint64, n int)
}

// parseShards parses the HeaderShards value: 0 when absent or invalid.
func parseShards(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 2 || n > MaxSinkShards {
		return 0
	}
	return n
}

// SetStride implements StrideRecorder. The first stride a run is given
// stays (one run is one shard plan).
func (m *MemRecorder) SetStride(id uint64, n int) {
	if n < 2 || n > MaxSinkShards {
		return
	}
	m.mu.Lock()
	if r := m.claimed.run(id); r != nil && r.stride == 0 {
		r.stride = n
		r.parts = make(map[int]*shardPart)
	}
	m.mu.Unlock()
}

// part returns the shard part of id in r (nil for an unsharded run).
// Callers hold the recorder's lock.
func (r *seqBits) part(id uint64) *shardPart {
	if r.stride < 2 {
		return nil
	}
	i := int((id & seqMask) % uint64(r.stride))
	p := r.parts[i]
	if p == nil {
		p = &shardPart{}
		r.parts[i] = p
	}
	return p
}

// LedgerPart is one shard's account of a sharded run at a sink.
type LedgerPart struct {
	// Index is the shard (sequence numbers Index mod the run's Stride).
	Index      int    `json:"index"`
	Delivered  int64  `json:"delivered"`
	Duplicates int64  `json:"duplicates"`
	E2E        string `json:"e2e_histogram,omitempty"`
}

// ledgerParts fills lr's stride and parts from r.
func ledgerParts(lr *LedgerRun, r *seqBits) error {
	if r.stride < 2 {
		return nil
	}
	lr.Stride = r.stride
	for i, p := range r.parts {
		lp := LedgerPart{Index: i, Delivered: p.delivered, Duplicates: p.duplicates}
		if p.e2e != nil {
			s, err := results.EncodeHistogram(p.e2e)
			if err != nil {
				return fmt.Errorf("ledger: shard %d: %w", i, err)
			}
			lp.E2E = s
		}
		lr.Parts = append(lr.Parts, lp)
	}
	sort.Slice(lr.Parts, func(a, b int) bool { return lr.Parts[a].Index < lr.Parts[b].Index })
	return nil
}

// Part returns shard index's part of the run (zero when the sink has seen
// none of its deliveries) and whether the run is kept per shard.
func (r *LedgerRun) Part(index int) (LedgerPart, bool) {
	if r.Stride < 2 {
		return LedgerPart{}, false
	}
	for _, p := range r.Parts {
		if p.Index == index {
			return p, true
		}
	}
	return LedgerPart{Index: index}, true
}

// CountShard is the number of ids in the run's set whose sequence number
// is sh.Index mod sh.Count.
func (r *LedgerRun) CountShard(sh load.Shard) int64 {
	n := uint64(max(sh.Count, 1))
	if n == 1 {
		return r.IDs
	}
	var c int64
	for pi, w := range r.words {
		for wi, v := range w {
			for v != 0 {
				seq := pi*bitPageBits + uint64(wi)*64 + uint64(bits.TrailingZeros64(v))
				v &= v - 1
				if seq%n == uint64(sh.Index) {
					c++
				}
			}
		}
	}
	return c
}

// shardTarget adds HeaderShards to a sink_ledger subscriber's attempts
// when this process is one of several shards, so the sink keeps this
// shard's account apart from the others'.
func shardTarget(spec scenarios.Subscriber, t *Target, sh load.Shard) {
	if !spec.SinkLedger || sh.Count < 2 {
		return
	}
	h := make(map[string]string, len(t.Headers)+1)
	for k, v := range t.Headers {
		h[k] = v
	}
	h[HeaderShards] = strconv.Itoa(sh.Count)
	t.Headers = h
}
