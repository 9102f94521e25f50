package bridge

import (
	"bufio"
	"bytes"
	"slices"
	"testing"

	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/runners/measure"
)

// failedRecorder is a kafka.Observer that also records unacknowledged ids,
// as *measure.Point does.
type failedRecorder struct{ failed []uint64 }

func (*failedRecorder) Published(int64, int64)        {}
func (*failedRecorder) PublishError(measure.ErrClass) {}
func (*failedRecorder) AddBytes(int)                  {}
func (f *failedRecorder) PublishFailed(id uint64)     { f.failed = append(f.failed, id) }

// TestChildReportsUnackedRecords: a record the bridge child process never
// got acknowledged by Kafka reaches the parent's observer, so a loss to a
// broker fault is attributed to lost_by.broker_fault (not not_delivered)
// when the bridge runs as a child process. Failed before the 'F' frame:
// the child's observer dropped the id.
func TestChildReportsUnackedRecords(t *testing.T) {
	var out bytes.Buffer
	fo := &frameOut{w: bufio.NewWriter(&out)}
	for _, id := range []uint64{7, 1 << 33} {
		r := kafka.NewRecord(id, 12345, []byte("k"), make([]byte, 64))
		kafka.MarkUnacked(frameObs{fo}, r)
	}
	fo.frame('P', 1, 2) // other frames still parse around it
	if fo.err != nil {
		t.Fatal(fo.err)
	}
	rec := &failedRecorder{}
	p := &bridgeProc{obs: rec, held: map[uint64]int64{}}
	c := &bridgeChild{readerDone: make(chan struct{})}
	p.read(c, &out)
	if p.err != nil {
		t.Fatal(p.err)
	}
	if want := []uint64{7, 1 << 33}; !slices.Equal(rec.failed, want) {
		t.Fatalf("parent recorded unacked ids %v, want %v", rec.failed, want)
	}
}
