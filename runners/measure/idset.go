package measure

import (
	"math/bits"
	"strconv"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
)

// The bitmaps stay the hand-written bitset while the point runs: set and
// has are a shift and a mask under the subscriber's lock on every
// delivery, and the dense sequence numbers of one run fill the words. At
// Finish they are converted to roaring id sets (results.IDSet), which is
// what travels in results and what merge combines.

// measuredRange is the range of full-schedule indices [lo, hi) of this
// point's measured events: the generator's shard emitted its k-th event
// with index sh.Global(k), warm-up events first.
func measuredRange(gen *load.Generator, sent int64) (lo, hi uint64) {
	sh := gen.Shard()
	warm := uint64(gen.Sent() - sent)
	lo = sh.Global(warm)
	if sent <= 0 {
		return lo, lo
	}
	return lo, sh.Global(warm+uint64(sent)-1) + 1
}

// pointIDs builds the point's id block: its id base, the shard count as
// the key stride and the set of measured events sent (the shard's events
// warm..warm+sent-1, one run of keys).
func pointIDs(gen *load.Generator, sent int64) (*results.IDs, error) {
	sh := gen.Shard()
	n := max(sh.Count, 1)
	warm := uint64(gen.Sent() - sent)
	set := results.NewIDSet()
	if sent > 0 {
		k0 := results.IDKey(sh.Global(warm), n)
		set.AddRange(k0, k0+uint64(sent))
	}
	enc, err := results.EncodeIDSet(set)
	if err != nil {
		return nil, err
	}
	return &results.IDs{Base: strconv.FormatUint(gen.IDBase(), 10), Stride: n, Sent: enc}, nil
}

// deliveredIDs encodes the measured events in [lo, hi) the subscriber
// processed, keyed for stride n.
func (s *Subscriber) deliveredIDs(lo, hi uint64, n int) (string, error) {
	set := results.NewIDSet()
	s.mu.Lock()
	s.done.each(lo, hi, func(q uint64) { set.Add(results.IDKey(q, n)) })
	s.mu.Unlock()
	return results.EncodeIDSet(set)
}

// each calls f for every set bit in [lo, hi), in order.
func (b *bitmap) each(lo, hi uint64, f func(uint64)) {
	hi = min(hi, uint64(len(b.w))*64)
	for wi := lo >> 6; wi<<6 < hi; wi++ {
		w := b.w[wi]
		for w != 0 {
			i := wi<<6 | uint64(bits.TrailingZeros64(w))
			w &= w - 1
			if i >= lo && i < hi {
				f(i)
			}
		}
	}
}
