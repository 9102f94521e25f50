package kafka

import (
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// recordPool hands franz-go the []kgo.Record slices it decodes each fetched
// batch into (kgo.WithPools), and takes them back once every record of the
// batch was recycled (kgo.Record.Recycle, called by worker.run after the
// records are processed and marked). Without it every batch allocates a
// fresh slice of ~160-byte records, which the consumer drops a moment
// later: at a million records a second that is most of what the garbage
// collector scans (kperf -cpuprofile).
//
// A slice too small for a batch is dropped and a larger one made, so the
// pooled slices follow the largest batches; sync.Pool empties itself at
// garbage collections, which bounds what it keeps. Records a worker does
// not recycle (abandoned in a crash or a revoke) keep their slice out of
// the pool, and the collector frees it.
type recordPool struct{ p sync.Pool }

// records is the one pool every consumer client in the process shares.
var records = &recordPool{}

// GetRecords implements kgo.PoolRecords.
func (p *recordPool) GetRecords(n int) []kgo.Record {
	if v, ok := p.p.Get().(*[]kgo.Record); ok && cap(*v) >= n {
		return (*v)[:n]
	}
	return make([]kgo.Record, n)
}

// PutRecords implements kgo.PoolRecords; franz-go zeroes the records first.
func (p *recordPool) PutRecords(rs []kgo.Record) { p.p.Put(&rs) }
