package results

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
)

// Shard says which part of a sharded run a point is: `evbench run --shard
// INDEX/COUNT` ran the events whose index in the full schedule is INDEX mod
// COUNT, at the same intended times as a single host would.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
	// StartAt is the wall-clock instant every shard was told to start at
	// (--start-at); zero when none was given.
	StartAt time.Time `json:"start_at,omitzero"`
	// StartLateUS is how late this shard reached its schedule's start
	// (0 when it was on time): its first events were late by as much, and
	// the generator lag shows it.
	StartLateUS int64 `json:"start_late_us"`
	// ClockOffsetUS estimates how far this shard's clock was ahead of
	// ClockReference's (negative: behind) at the end of the point, and
	// ClockOffsetBoundUS bounds the estimate's error (half the round trip
	// it was taken over). Intended times come from each shard's clock and
	// completion times from the receiver's, so offsets between hosts land
	// in e2e latency: `evbench merge` warns when they are large against
	// the latencies measured. Absent when nothing measured it.
	ClockOffsetUS      *int64 `json:"clock_offset_us,omitempty"`
	ClockOffsetBoundUS *int64 `json:"clock_offset_bound_us,omitempty"`
	// ClockReference names the clock compared with: "sink NAME" (a
	// standalone sink's ledger) or "kafka broker" (record timestamps).
	ClockReference string `json:"clock_reference,omitempty"`
}

// SetClockOffset records an offset estimate when it is the first or
// tighter (smaller bound) than the one recorded.
func (s *Shard) SetClockOffset(offset, bound time.Duration, ref string) {
	if s == nil || (s.ClockOffsetBoundUS != nil && *s.ClockOffsetBoundUS <= bound.Microseconds()) {
		return
	}
	o, b := offset.Microseconds(), bound.Microseconds()
	s.ClockOffsetUS, s.ClockOffsetBoundUS, s.ClockReference = &o, &b, ref
}

// IDs identifies the events a point sent, so `evbench merge` can count
// deliveries exactly over several documents (see IDSet for the encoding).
type IDs struct {
	// Base is the id of the event with index 0 in the full schedule, as a
	// decimal string (a uint64 does not survive every JSON reader). Shards
	// of one run share it; independent runs never do.
	Base string `json:"base"`
	// Stride is the number of shards of the run (1 for a single host): the
	// layout of the keys in every id set of the point.
	Stride int `json:"stride"`
	// Sent is the id set of the measured events this document sent.
	Sent string `json:"sent"`
}

// BaseID parses Base.
func (d *IDs) BaseID() (uint64, error) {
	v, err := strconv.ParseUint(d.Base, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("ids.base %q: %w", d.Base, err)
	}
	return v, nil
}

// MaxSeqBits is the width of an event's sequence number (its index in the
// full schedule): load.Generator leaves the low 40 bits of an id for it.
const MaxSeqBits = 40

// IDKey maps an event's index in the full schedule (seq) to its key in an
// id set of stride n: (seq mod n) << 40 | seq div n. Each shard's events
// are then one contiguous range of keys, which roaring stores as a run of a
// few bytes, where the plain index would leave every n-th bit set (about
// one bit per scheduled event per shard). With n = 1 the key is the index.
func IDKey(seq uint64, n int) uint64 {
	s := uint64(n)
	return (seq%s)<<MaxSeqBits | seq/s
}

// IDSet is a set of event keys (IDKey) as a 64-bit roaring bitmap
// (github.com/RoaringBitmap/roaring, portable 64-bit format), base64 in
// results. The empty string is the empty set.
type IDSet = roaring64.Bitmap

// NewIDSet returns an empty id set.
func NewIDSet() *IDSet { return roaring64.New() }

// EncodeIDSet run-optimizes s and returns its base64 serialization.
func EncodeIDSet(s *IDSet) (string, error) {
	if s.IsEmpty() {
		return "", nil
	}
	s.RunOptimize()
	b, err := s.ToBytes()
	if err != nil {
		return "", fmt.Errorf("encode id set: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// DecodeIDSet decodes an id set written by EncodeIDSet. The bucket count
// in the header is checked against the input's length before anything is
// allocated (the decoder would otherwise allocate what a crafted header
// asks for).
func DecodeIDSet(s string) (*IDSet, error) {
	out := NewIDSet()
	if s == "" {
		return out, nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("decode id set base64: %w", err)
	}
	if len(b) < 8 {
		return nil, fmt.Errorf("decode id set: %d bytes, too short", len(b))
	}
	// Every bucket takes a 4-byte key and a 32-bit bitmap of at least 8
	// bytes.
	if n := binary.LittleEndian.Uint64(b); n > uint64(len(b)-8)/12 {
		return nil, fmt.Errorf("decode id set: header claims %d buckets in %d bytes", n, len(b))
	}
	r := bytes.NewReader(b)
	if _, err := out.ReadFrom(r); err != nil {
		return nil, fmt.Errorf("decode id set: %w", err)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("decode id set: %d trailing bytes", r.Len())
	}
	// ReadFrom trusts the containers' contents; an unsorted or overlapping
	// container (a hostile or corrupt results.json) decodes, then panics
	// in RunOptimize or gives wrong counts (FuzzDecodeIDSet found one).
	if err := out.Validate(); err != nil {
		return nil, fmt.Errorf("decode id set: %w", err)
	}
	return out, nil
}
