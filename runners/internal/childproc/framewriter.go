package childproc

import (
	"bufio"
	"io"
	"sync"
)

// FrameWriter serialises a child's frames to its parent. Frames go into a
// 64 KiB buffer and a flusher goroutine writes them out promptly after
// each one, so bursts (one record reaching many groups, many deliveries
// ending together) cost one write to the pipe, and a child killed with
// SIGKILL loses at most the frames of its last moment. Both users
// (runners/webhook/child.go, runners/kafka/isolate_child.go) tolerate that
// loss in their accounting. A child whose frames must reach the parent
// before it acts on them (the bridge's checkpoint, runners/bridge/child.go)
// writes them through instead.
//
// After the first write error every frame is dropped; Sync reports the
// error.
type FrameWriter struct {
	mu   sync.Mutex
	w    *bufio.Writer
	kick chan struct{}
	err  error
}

// NewFrameWriter starts a FrameWriter on w. Its flusher goroutine lives as
// long as the process (a child has one writer, to its stdout).
func NewFrameWriter(w io.Writer) *FrameWriter {
	fw := &FrameWriter{w: bufio.NewWriterSize(w, 1<<16), kick: make(chan struct{}, 1)}
	go func() {
		for range fw.kick {
			fw.mu.Lock()
			if fw.err == nil {
				fw.err = fw.w.Flush()
			}
			fw.mu.Unlock()
		}
	}()
	return fw
}

// Write queues one frame, frame then extra (either may be empty), which
// frames written at the same time from other goroutines never split, and
// wakes the flusher.
func (fw *FrameWriter) Write(frame, extra []byte) {
	fw.mu.Lock()
	if fw.err == nil {
		_, fw.err = fw.w.Write(frame)
	}
	if fw.err == nil && len(extra) > 0 {
		_, fw.err = fw.w.Write(extra)
	}
	fw.mu.Unlock()
	select {
	case fw.kick <- struct{}{}:
	default:
	}
}

// Sync writes out every queued frame and returns the first write error.
func (fw *FrameWriter) Sync() error {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	if fw.err == nil {
		fw.err = fw.w.Flush()
	}
	return fw.err
}
