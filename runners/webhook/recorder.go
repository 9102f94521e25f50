package webhook

import (
	"sync"
	"sync/atomic"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/measure"
)

// Recorder receives a sink's per-event accounting. *measure.Subscriber
// implements it (that is what a run uses); MemRecorder is the standalone
// implementation for a sink serving on its own.
type Recorder interface {
	// Claim marks id as being processed; false means a repeat (or an id the
	// recorder does not accept) that must not be processed again.
	Claim(id uint64) bool
	// Release undoes a Claim whose processing never happened.
	Release(id uint64)
	// Duplicate counts a repeated delivery.
	Duplicate(id uint64, intended int64)
	// Delivered records that processing of id finished at done.
	Delivered(id uint64, key int, intended, done int64)
	// Error counts one error of class c (the sink counts ErrSignature).
	Error(c measure.ErrClass)
}

var _ Recorder = (*measure.Subscriber)(nil)

// MemRecorder is a self-contained Recorder: idempotency by id in bounded
// memory (per-run bitmaps and a window, see DedupLimits) and an e2e latency
// histogram (microseconds, from the x-evbench-intended header when the
// sender supplies it). Safe for concurrent use.
type MemRecorder struct {
	mu         sync.Mutex
	claimed    *numericSet
	e2e        *hdr.Histogram
	delivered  atomic.Int64
	duplicates atomic.Int64
	// foreign and foreignDups count messages with ids that are not evbench's.
	foreign, foreignDups atomic.Int64
	errs                 [measure.ErrOther + 1]atomic.Int64
}

// NewMemRecorder returns an empty recorder with the default dedup bounds.
func NewMemRecorder() *MemRecorder { return NewMemRecorderLimits(DedupLimits{}) }

// NewMemRecorderLimits returns an empty recorder whose idempotency memory
// is bounded by lim (zero fields take the defaults).
func NewMemRecorderLimits(lim DedupLimits) *MemRecorder {
	return &MemRecorder{claimed: newNumericSet(lim), e2e: results.NewHistogram()}
}

// Claim implements Recorder.
func (m *MemRecorder) Claim(id uint64) bool {
	m.mu.Lock()
	first := m.claimed.claim(id)
	m.mu.Unlock()
	return first
}

// Release implements Recorder.
func (m *MemRecorder) Release(id uint64) {
	m.mu.Lock()
	m.claimed.release(id)
	m.mu.Unlock()
}

// DedupStats reports the idempotency memory: ids held, bytes, evictions.
func (m *MemRecorder) DedupStats() DedupStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.claimed.stats()
}

// Duplicate implements Recorder.
func (m *MemRecorder) Duplicate(id uint64, _ int64) {
	m.mu.Lock()
	if r := m.claimed.run(id); r != nil {
		r.duplicates++
		if p := r.part(id); p != nil {
			p.duplicates++
		}
	}
	m.mu.Unlock()
	m.duplicates.Add(1)
}

// Delivered implements Recorder. The latency also goes to the id's run,
// for the ledger.
func (m *MemRecorder) Delivered(id uint64, _ int, intended, done int64) {
	us := (done - intended) / 1000
	if us < 1 {
		us = 1
	}
	m.mu.Lock()
	_ = m.e2e.RecordValue(us)
	if r := m.claimed.run(id); r != nil {
		if r.e2e == nil {
			r.e2e = results.NewHistogram()
		}
		_ = r.e2e.RecordValue(us)
		r.delivered++
		if p := r.part(id); p != nil {
			if p.e2e == nil {
				p.e2e = results.NewHistogram()
			}
			_ = p.e2e.RecordValue(us)
			p.delivered++
		}
	}
	m.mu.Unlock()
	m.delivered.Add(1)
}

// DeliveredForeign implements ForeignRecorder: a message from another
// sender counts as delivered, with its e2e latency when it carried the
// x-evbench-intended header (else the latency is only the processing).
func (m *MemRecorder) DeliveredForeign(_ int, intended, done int64) {
	us := (done - intended) / 1000
	if us < 1 {
		us = 1
	}
	m.mu.Lock()
	_ = m.e2e.RecordValue(us)
	m.mu.Unlock()
	m.delivered.Add(1)
	m.foreign.Add(1)
}

// DuplicateForeign implements ForeignRecorder.
func (m *MemRecorder) DuplicateForeign(int64) {
	m.duplicates.Add(1)
	m.foreignDups.Add(1)
}

// Error implements Recorder.
func (m *MemRecorder) Error(c measure.ErrClass) {
	if c >= 0 && int(c) < len(m.errs) {
		m.errs[c].Add(1)
	}
}

// DeliveredCount is the number of events processed.
func (m *MemRecorder) DeliveredCount() int64 { return m.delivered.Load() }

// Duplicates is the number of repeated deliveries answered without processing.
func (m *MemRecorder) Duplicates() int64 { return m.duplicates.Load() }

// Errors returns the count of errors of class c.
func (m *MemRecorder) Errors(c measure.ErrClass) int64 {
	if c >= 0 && int(c) < len(m.errs) {
		return m.errs[c].Load()
	}
	return 0
}

// E2E returns a copy of the e2e latency histogram (microseconds).
func (m *MemRecorder) E2E() *hdr.Histogram {
	m.mu.Lock()
	defer m.mu.Unlock()
	return hdr.Import(m.e2e.Export())
}
