package webhook

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Dedup bounds. The Standard Webhooks specification makes webhook-id an
// opaque string and suggests keeping seen ids "for 5 minutes", so a
// receiver's idempotency memory is a window, not a forever-set. A sink keeps
// two kinds of memory, both bounded:
//
//   - evbench's own numeric ids ("msg_<decimal>": a run base in the high bits,
//     the event's sequence number in the low 40, see load.Generator) live in
//     one bitmap per run: one bit per event, in pages allocated as they are
//     touched, for sequence numbers below DedupLimits.MaxSeq, and for at most
//     DedupLimits.Runs runs (the least recently used run's bitmap is dropped
//     first, counted as an eviction). This is exact for a run of up to MaxSeq
//     events and costs MaxSeq/8 bytes per run at worst.
//   - every other id (a foreign sender's "msg_p5jXN8AQM9LWM0D4loKWxJek", or a
//     numeric id beyond MaxSeq) lives in a first-in first-out window of the
//     last DedupLimits.Window ids, stored as 128-bit SHA-256 prefixes so an
//     entry costs the same whatever the id's length. An id that has left the
//     window is processed again if it comes back; each one that left is
//     counted as an eviction.
//
// Worst-case memory is about Runs*MaxSeq/8 bytes plus ~56 bytes per window
// entry: 4*16 MiB + 14 MiB with the defaults.
type DedupLimits struct {
	// MaxSeq bounds the sequence numbers of evbench ids kept exactly per
	// run (default 1<<27, 16 MiB of bitmap per run when full).
	MaxSeq uint64
	// Runs is how many runs' bitmaps are kept (default 4).
	Runs int
	// Window is how many other ids are remembered (default 1<<18).
	Window int
}

// Default dedup bounds; see DedupLimits.
const (
	DefaultDedupMaxSeq = uint64(1) << 27
	DefaultDedupRuns   = 4
	DefaultDedupWindow = 1 << 18
)

func (l DedupLimits) withDefaults() DedupLimits {
	if l.MaxSeq == 0 {
		l.MaxSeq = DefaultDedupMaxSeq
	}
	if l.Runs <= 0 {
		l.Runs = DefaultDedupRuns
	}
	if l.Window <= 0 {
		l.Window = DefaultDedupWindow
	}
	return l
}

// idKey is the fixed-size form of an id in an idWindow.
type idKey [16]byte

// foreignKey hashes a webhook-id that is not an evbench id.
func foreignKey(id []byte) idKey {
	sum := sha256.Sum256(id)
	var k idKey
	copy(k[:], sum[:])
	return k
}

// numericKey is the window key of a numeric id the bitmaps do not hold;
// the leading 0xff byte keeps it apart from any SHA-256 prefix in practice
// and from other numeric ids exactly.
func numericKey(id uint64) idKey {
	var k idKey
	k[0] = 0xff
	binary.BigEndian.PutUint64(k[8:], id)
	return k
}

// idWindow is a first-in first-out set of the last cap ids claimed. Not
// safe for concurrent use; callers lock.
type idWindow struct {
	cap     int
	ring    []idKey
	next    int
	idx     map[idKey]int32
	evicted int64
}

func newIDWindow(n int) *idWindow {
	// The map grows on demand: in-process sinks see evbench's numeric ids,
	// kept in bitmaps, and a 1,024-entry hint cost ~36 KiB per sink (36 MB
	// for 1,000 subscribers) for a window they rarely use.
	return &idWindow{cap: n, idx: make(map[idKey]int32)}
}

// claim adds k; false when it is already in the window.
func (w *idWindow) claim(k idKey) bool {
	if _, ok := w.idx[k]; ok {
		return false
	}
	if len(w.ring) < w.cap {
		w.ring = append(w.ring, k)
		w.idx[k] = int32(len(w.ring) - 1)
		return true
	}
	slot := w.next
	old := w.ring[slot]
	if i, ok := w.idx[old]; ok && int(i) == slot {
		delete(w.idx, old)
		w.evicted++
	}
	w.ring[slot] = k
	w.idx[k] = int32(slot)
	w.next = (slot + 1) % w.cap
	return true
}

// release forgets k (its processing never happened); its ring slot is
// reused in turn.
func (w *idWindow) release(k idKey) { delete(w.idx, k) }

func (w *idWindow) len() int { return len(w.idx) }

// seqBits is one run's bitmap, in pages allocated on first use, with the
// run's own accounting for the ledger (see Sink's GET .../ledger).
type seqBits struct {
	pages map[uint64]*[bitPageWords]uint64
	n     int64 // bits set
	used  uint64
	// delivered and duplicates count the run's processed and repeated
	// messages; e2e is its latency histogram (intended -> processed, µs),
	// created on the first delivery.
	delivered, duplicates int64
	e2e                   *hdr.Histogram
	// stride and parts keep a sharded run's account per shard
	// (shardledger.go); stride is 0 for a run sent by one host.
	stride int
	parts  map[int]*shardPart
}

const (
	bitPageWords = 8192 // 64 KiB: 524,288 ids per page
	bitPageBits  = bitPageWords * 64
	seqBitsLow   = 40 // load.Generator's ids: base in the high bits, seq in the low 40
	seqMask      = uint64(1)<<seqBitsLow - 1
)

// numericSet is the exact per-run bitmaps with a fallback window. Not safe
// for concurrent use; callers lock.
type numericSet struct {
	lim      DedupLimits
	runs     map[uint64]*seqBits
	tick     uint64
	fallback *idWindow
	// runsEvicted and idsEvicted count dropped run bitmaps and the ids they held.
	runsEvicted, idsEvicted int64
}

func newNumericSet(lim DedupLimits) *numericSet {
	lim = lim.withDefaults()
	return &numericSet{lim: lim, runs: map[uint64]*seqBits{}, fallback: newIDWindow(lim.Window)}
}

// bit locates id's bit, creating its run (evicting the least recently used
// one) and page when create is set; nil when absent.
func (n *numericSet) bit(id uint64, create bool) (*[bitPageWords]uint64, *seqBits, int, uint64) {
	base, seq := id&^seqMask, id&seqMask
	r := n.runs[base]
	if r == nil {
		if !create {
			return nil, nil, 0, 0
		}
		if len(n.runs) >= n.lim.Runs {
			n.evictLRU()
		}
		r = &seqBits{pages: map[uint64]*[bitPageWords]uint64{}}
		n.runs[base] = r
	}
	n.tick++
	r.used = n.tick
	pg := r.pages[seq/bitPageBits]
	if pg == nil {
		if !create {
			return nil, r, 0, 0
		}
		pg = new([bitPageWords]uint64)
		r.pages[seq/bitPageBits] = pg
	}
	off := seq % bitPageBits
	return pg, r, int(off / 64), uint64(1) << (off % 64)
}

// run returns id's run if its bitmap is kept.
func (n *numericSet) run(id uint64) *seqBits {
	if id&seqMask >= n.lim.MaxSeq {
		return nil
	}
	return n.runs[id&^seqMask]
}

func (n *numericSet) evictLRU() {
	var victim uint64
	var oldest uint64 = ^uint64(0)
	for b, r := range n.runs {
		if r.used < oldest {
			victim, oldest = b, r.used
		}
	}
	n.idsEvicted += n.runs[victim].n
	n.runsEvicted++
	delete(n.runs, victim)
}

// claim marks id; false when already marked.
func (n *numericSet) claim(id uint64) bool {
	if id&seqMask >= n.lim.MaxSeq {
		return n.fallback.claim(numericKey(id))
	}
	pg, r, w, m := n.bit(id, true)
	if pg[w]&m != 0 {
		return false
	}
	pg[w] |= m
	r.n++
	return true
}

// release unmarks id.
func (n *numericSet) release(id uint64) {
	if id&seqMask >= n.lim.MaxSeq {
		n.fallback.release(numericKey(id))
		return
	}
	pg, r, w, m := n.bit(id, false)
	if pg == nil || pg[w]&m == 0 {
		return
	}
	pg[w] &^= m
	r.n--
}

// DedupStats describes a dedup memory's size and what it forgot.
type DedupStats struct {
	// Runs is the number of runs with a bitmap; IDs the ids held in total.
	Runs int
	IDs  int64
	// Bytes is the memory of the bitmaps and the window (approximate).
	Bytes int64
	// Evictions is ids forgotten because a bound was reached: ids of
	// dropped run bitmaps plus ids that left a window.
	Evictions int64
}

func (n *numericSet) stats() DedupStats {
	st := DedupStats{Runs: len(n.runs), Evictions: n.idsEvicted + n.fallback.evicted}
	for _, r := range n.runs {
		st.IDs += r.n
		st.Bytes += int64(len(r.pages)) * bitPageWords * 8
	}
	st.IDs += int64(n.fallback.len())
	st.Bytes += n.fallback.bytes()
	return st
}

// bytes approximates the window's memory: the ring plus the map's entries
// (key, value, and Go's per-entry overhead).
func (w *idWindow) bytes() int64 { return int64(cap(w.ring))*16 + int64(len(w.idx))*40 }

// foreignSet is the sink's own window for ids that are not evbench's,
// safe for concurrent use.
type foreignSet struct {
	mu sync.Mutex
	w  *idWindow
}

func (f *foreignSet) claim(k idKey) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.w.claim(k)
}

func (f *foreignSet) release(k idKey) {
	f.mu.Lock()
	f.w.release(k)
	f.mu.Unlock()
}

func (f *foreignSet) evicted() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.w.evicted
}
