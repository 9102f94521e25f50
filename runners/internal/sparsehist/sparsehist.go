// Package sparsehist is an HdrHistogram recorder that stays small while it
// holds few distinct values. A full-range latency histogram (1 µs to 1 h at
// 3 significant digits, reports/results.NewHistogram) is a dense array of
// about 184 KiB; a webhook subscriber keeps five of them, so 1,000
// subscribers at a low rate used about 900 MB on arrays that were almost
// all zeros (issue 15 item 5). A Hist keeps exact values in a map until the
// map would cost about half of the dense array, then switches to the dense
// histogram for good. Histogram materializes the very HdrHistogram the
// dense recorder would have built (same geometry, counts, min, max, total),
// so results keep their precision and their HdrHistogram encoding.
package sparsehist

import (
	"fmt"
	"math/bits"
	"slices"
	"sync"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// The equivalent-value arithmetic below is HdrHistogram's for a lowest
// trackable value of 1 (unit magnitude 0) and 3 significant digits: 2,048
// sub-buckets per bucket (half count magnitude 10). New refuses other
// geometries rather than compute them wrong.
const (
	digits            = 3
	subBucketHalfMag  = 10
	subBucketHalf     = 1 << subBucketHalfMag
	subBucketCount    = 2 * subBucketHalf
	subBucketMask     = subBucketCount - 1
	bytesPerMapEntry  = 32 // a map[int64]int64 entry with Go's map overhead, roughly
	bytesPerDenseSlot = 8
)

// Hist records int64 values like an hdr.Histogram of the same geometry.
// It is not safe for concurrent use (callers hold their own locks, as they
// did around the dense histogram).
type Hist struct {
	highest int64
	slots   int // length of the dense counts array (valid indices)
	limit   int // distinct values at which the map switches to dense
	sparse  map[int64]int64
	total   int64 // values recorded while sparse
	dense   *hdr.Histogram
}

var slotsByHighest sync.Map // highest -> int (dense counts length)

func denseSlots(highest int64) int {
	if v, ok := slotsByHighest.Load(highest); ok {
		return v.(int)
	}
	n := len(hdr.New(1, highest, digits).Export().Counts)
	slotsByHighest.Store(highest, n)
	return n
}

// New returns an empty recorder with the geometry hdr.New(lowest, highest,
// sigfigs); only lowest 1 and 3 significant digits are supported.
func New(lowest, highest int64, sigfigs int) *Hist {
	if lowest != 1 || sigfigs != digits || highest < 2 {
		panic(fmt.Sprintf("sparsehist: unsupported geometry %d..%d at %d digits", lowest, highest, sigfigs))
	}
	slots := denseSlots(highest)
	return &Hist{highest: highest, slots: slots, limit: max(16, slots*bytesPerDenseSlot/2/bytesPerMapEntry)}
}

func bucketOf(v int64) (bucket int32, sub int32) {
	bucket = int32(64-bits.LeadingZeros64(uint64(v|subBucketMask))) - (subBucketHalfMag + 1)
	return bucket, int32(v >> uint(bucket))
}

// countsIndex is HdrHistogram's flat counts index of v.
func countsIndex(v int64) int {
	b, s := bucketOf(v)
	return int((b+1)<<subBucketHalfMag + s - subBucketHalf)
}

// lowestEquivalent and highestEquivalent are the bounds of v's bucket.
func lowestEquivalent(v int64) int64 {
	b, s := bucketOf(v)
	return int64(s) << uint(b)
}

func highestEquivalent(v int64) int64 {
	b, s := bucketOf(v)
	size := int64(1) << uint(b)
	if s >= subBucketCount {
		size <<= 1
	}
	return int64(s)<<uint(b) + size - 1
}

// RecordValue records v once; like hdr.Histogram it refuses a value outside
// the trackable range with an error and records nothing.
func (h *Hist) RecordValue(v int64) error { return h.RecordValues(v, 1) }

// RecordValues records v n times.
func (h *Hist) RecordValues(v, n int64) error {
	if h.dense != nil {
		return h.dense.RecordValues(v, n)
	}
	if v < 0 {
		return fmt.Errorf("value %d is too small to be recorded", v)
	}
	if idx := countsIndex(v); idx < 0 || idx >= h.slots {
		return fmt.Errorf("value %d is too large to be recorded", v)
	}
	if h.sparse == nil {
		h.sparse = make(map[int64]int64, 8)
	}
	if _, seen := h.sparse[v]; !seen && len(h.sparse) >= h.limit {
		h.dense = h.Histogram()
		h.sparse, h.total = nil, 0
		return h.dense.RecordValues(v, n)
	}
	h.sparse[v] += n
	h.total += n
	return nil
}

// Dense reports whether the recorder has switched to the dense array.
func (h *Hist) Dense() bool { return h.dense != nil }

// TotalCount is the number of values recorded.
func (h *Hist) TotalCount() int64 {
	if h.dense != nil {
		return h.dense.TotalCount()
	}
	return h.total
}

// ValueAtQuantile is hdr.Histogram's ValueAtQuantile (q in percent), computed
// without building the dense array.
func (h *Hist) ValueAtQuantile(q float64) int64 {
	if h.dense != nil {
		return h.dense.ValueAtQuantile(q)
	}
	if h.total == 0 {
		return 0
	}
	q = min(max(q, 0), 100)
	rank := int64(1)
	if r := (q/100)*float64(h.total) + 0.5; r >= float64(h.total) {
		rank = h.total
	} else if r >= 1 {
		rank = int64(r)
	}
	vals := make([]int64, 0, len(h.sparse))
	for v := range h.sparse {
		vals = append(vals, v)
	}
	slices.Sort(vals)
	var cum int64
	for _, v := range vals {
		cum += h.sparse[v]
		if cum >= rank {
			if q == 0 {
				return lowestEquivalent(v)
			}
			return highestEquivalent(v)
		}
	}
	return 0
}

// Histogram returns the HdrHistogram holding what was recorded: the dense
// one itself once switched (callers must not keep recording into it behind
// the Hist's back), otherwise a new one built from the exact values.
func (h *Hist) Histogram() *hdr.Histogram {
	if h.dense != nil {
		return h.dense
	}
	d := hdr.New(1, h.highest, digits)
	h.fill(d)
	return d
}

func (h *Hist) fill(d *hdr.Histogram) {
	for v, n := range h.sparse {
		_ = d.RecordValues(v, n) // checked when recorded
	}
}

var scratch sync.Map // highest -> *sync.Pool of *hdr.Histogram

// Use calls fn with the HdrHistogram holding what was recorded, which fn
// must not keep or change: while sparse it is a pooled scratch histogram,
// so building the results of 1,000 subscribers does not allocate 5,000
// dense arrays at once.
func (h *Hist) Use(fn func(*hdr.Histogram) error) error {
	if h.dense != nil {
		return fn(h.dense)
	}
	pv, _ := scratch.LoadOrStore(h.highest, &sync.Pool{})
	pool := pv.(*sync.Pool)
	d, _ := pool.Get().(*hdr.Histogram)
	if d == nil {
		d = hdr.New(1, h.highest, digits)
	}
	h.fill(d)
	err := fn(d)
	d.Reset()
	pool.Put(d)
	return err
}
