package kafka

import (
	"encoding/binary"

	"github.com/evbench/evbench/runners/load"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Record headers. The event id and its intended time travel in headers, not
// in the payload, so the payload is exactly the scenario's event body (the
// same bytes a webhook carries) and a consumer can account for a record
// without parsing JSON.
//
// Both values are 8-byte big-endian binary: HeaderID is the event's uint64
// id, HeaderIntended is its intended send time as int64 Unix nanoseconds on
// load.Now()'s timeline. The record key is the event key string
// (load.KeyString: "key-<index>").
const (
	HeaderID       = "evbench-id"
	HeaderIntended = "evbench-intended"
)

// recordBox puts a record, its headers and their bytes in one allocation.
type recordBox struct {
	r kgo.Record
	h [2]kgo.RecordHeader
	b [16]byte
}

// NewRecord builds the record for one event. key is the wire form of the
// event key (load.KeyString(ev.Key) as bytes); payload is shared, not copied.
func NewRecord(id uint64, intended int64, key, payload []byte) *kgo.Record {
	bx := &recordBox{}
	binary.BigEndian.PutUint64(bx.b[0:8], id)
	binary.BigEndian.PutUint64(bx.b[8:16], uint64(intended))
	bx.h[0] = kgo.RecordHeader{Key: HeaderID, Value: bx.b[0:8]}
	bx.h[1] = kgo.RecordHeader{Key: HeaderIntended, Value: bx.b[8:16]}
	bx.r.Key = key
	bx.r.Value = payload
	bx.r.Headers = bx.h[:]
	return &bx.r
}

// EventRecord builds the record for a generated event.
func EventRecord(ev load.Event) *kgo.Record {
	return NewRecord(ev.ID, ev.Intended, []byte(load.KeyString(ev.Key)), ev.Payload)
}

// RecordMeta is what a consumer reads back from a record's headers and key.
type RecordMeta struct {
	ID       uint64
	Intended int64
	// Key is the key index parsed from "key-<index>" (-1 when the key has
	// another form: per-key order is then not checked for the record).
	Key int
}

// ParseRecord reads the evbench headers of r; ok is false for records that
// were not written by evbench.
func ParseRecord(r *kgo.Record) (m RecordMeta, ok bool) {
	var haveID, haveTS bool
	for _, h := range r.Headers {
		switch h.Key {
		case HeaderID:
			if len(h.Value) == 8 {
				m.ID, haveID = binary.BigEndian.Uint64(h.Value), true
			}
		case HeaderIntended:
			if len(h.Value) == 8 {
				m.Intended, haveTS = int64(binary.BigEndian.Uint64(h.Value)), true
			}
		}
	}
	m.Key = ParseKey(r.Key)
	return m, haveID && haveTS
}

// ParseKey returns the index of a "key-<index>" key, or -1.
func ParseKey(b []byte) int {
	const prefix = "key-"
	if len(b) <= len(prefix) || len(b) > len(prefix)+9 || string(b[:len(prefix)]) != prefix {
		return -1
	}
	n := 0
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// keyTable caches the wire form of every key index, so producing an event
// does not format its key.
type keyTable [][]byte

func newKeyTable(keys int) keyTable {
	if keys <= 0 {
		keys = 1
	}
	t := make(keyTable, keys)
	for i := range t {
		t[i] = []byte(load.KeyString(i))
	}
	return t
}

func (t keyTable) get(k int) []byte {
	if k >= 0 && k < len(t) {
		return t[k]
	}
	return []byte(load.KeyString(k))
}
