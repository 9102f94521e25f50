package runners

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLineWriterConcurrent: lines from many goroutines arrive whole, once
// each, and Lines counts them once written.
func TestLineWriterConcurrent(t *testing.T) {
	var buf bytes.Buffer
	lw := NewLineWriter(&buf)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				if err := lw.WriteLine([]byte(fmt.Sprintf(`{"g":%d,"i":%d,"pad":"%s"}`, g, i, strings.Repeat("x", i%50)))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	seen := map[string]bool{}
	for _, l := range lines {
		if !strings.HasPrefix(l, `{"g":`) || !strings.HasSuffix(l, `"}`) || seen[l] {
			t.Fatalf("torn or repeated line %q", l)
		}
		seen[l] = true
	}
	if len(lines) != 8000 || lw.Lines() != 8000 || lw.Dropped() != 0 {
		t.Fatalf("%d lines in the file, Lines() %d, Dropped() %d; want 8000, 8000, 0", len(lines), lw.Lines(), lw.Dropped())
	}
	if err := lw.WriteLine([]byte("late")); err == nil || lw.Dropped() != 1 {
		t.Errorf("WriteLine after Close: err %v, dropped %d; want an error and 1 dropped", err, lw.Dropped())
	}
}

// failingWriter accepts ok bytes, then fails (a full disk).
type failingWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
	ok  int
}

var errDiskFull = errors.New("no space left on device")

func (w *failingWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	room := w.ok - w.buf.Len()
	if room >= len(b) {
		return w.buf.Write(b)
	}
	n, _ := w.buf.Write(b[:max(room, 0)])
	return n, errDiskFull
}

// TestLineWriterFails is issue 9 item 5: a failed write is reported, not
// ignored, and a line counts as written only when it is wholly written.
func TestLineWriterFails(t *testing.T) {
	w := &failingWriter{ok: 25} // two 10-byte lines and half of the third
	lw := NewLineWriter(w)
	for i := 0; i < 5; i++ {
		err := lw.WriteLine([]byte(fmt.Sprintf("line-%04d", i)))
		if (err != nil) != (i > 2) || (err != nil && !errors.Is(err, errDiskFull)) {
			t.Fatalf("WriteLine %d: %v; want nil up to the failing write, then the write error", i, err)
		}
		// One batch per line, so the failure lands mid-stream.
		if err := lw.Flush(); (err != nil) != (i >= 2) {
			t.Fatalf("Flush after line %d: %v", i, err)
		}
	}
	err := lw.Close()
	if !errors.Is(err, errDiskFull) || !errors.Is(lw.Err(), errDiskFull) {
		t.Fatalf("Close() = %v, Err() = %v; want the write error", err, lw.Err())
	}
	if lw.Lines() != 2 || lw.Dropped() != 3 {
		t.Errorf("Lines() %d, Dropped() %d; want 2 written (the third was cut short) and 3 dropped", lw.Lines(), lw.Dropped())
	}
	if err := lw.WriteLine([]byte("more")); err == nil {
		t.Error("WriteLine after a failed write succeeded")
	}
}

// blockedWriter blocks every write until release is closed.
type blockedWriter struct {
	release chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
}

func (w *blockedWriter) Write(b []byte) (int, error) {
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(b)
}

// TestLineWriterNeverBlocks is issue 9 item 5: dead letters are written
// while the generator paces events, so WriteLine must not wait for a slow
// disk; past the buffer bound lines are dropped and counted.
func TestLineWriterNeverBlocks(t *testing.T) {
	w := &blockedWriter{release: make(chan struct{})}
	lw := NewLineWriterSize(w, 1000)
	line := bytes.Repeat([]byte("d"), 99) // 100 bytes with the newline
	t0 := time.Now()
	var full int
	for i := 0; i < 100; i++ {
		if err := lw.WriteLine(line); errors.Is(err, ErrLineBufferFull) {
			full++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(t0); d > 500*time.Millisecond {
		t.Errorf("100 WriteLine calls on a blocked disk took %v: they waited for it", d)
	}
	close(w.release)
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	// At most one batch in the blocked write plus a full buffer (10 lines).
	if lw.Lines()+lw.Dropped() != 100 || lw.Dropped() != int64(full) || lw.Lines() > 20 || lw.Lines() < 10 {
		t.Errorf("Lines() %d + Dropped() %d (full %d): want 100 in all, 10..20 written", lw.Lines(), lw.Dropped(), full)
	}
	if got := int64(bytes.Count(w.buf.Bytes(), []byte{'\n'})); got != lw.Lines() {
		t.Errorf("%d lines reached the writer, Lines() says %d", got, lw.Lines())
	}
}

// TestLineWriterNil: a nil writer (no dead-letter file) accepts and
// counts nothing.
func TestLineWriterNil(t *testing.T) {
	var lw *LineWriter
	if lw.WriteLine([]byte("x")) != nil || lw.Flush() != nil || lw.Close() != nil || lw.Lines() != 0 || lw.Dropped() != 0 || lw.Err() != nil {
		t.Fatal("nil LineWriter is not inert")
	}
}

// BenchmarkDeadLetterLine is the cost on the caller (the pacer, for a
// full queue) of one ~200-byte dead-letter line to a file: queued in the
// LineWriter, against a direct unbuffered write as before issue 9 item 5.
func BenchmarkDeadLetterLine(b *testing.B) {
	line := bytes.Repeat([]byte("x"), 200)
	b.Run("linewriter", func(b *testing.B) {
		f, err := os.Create(filepath.Join(b.TempDir(), "dl.jsonl"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		lw := NewLineWriterSize(f, 1<<30) // measure the caller's cost, not drops
		for i := 0; i < b.N; i++ {
			_ = lw.WriteLine(line)
		}
		b.StopTimer()
		if err := lw.Close(); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("direct", func(b *testing.B) {
		f, err := os.Create(filepath.Join(b.TempDir(), "dl.jsonl"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		for i := 0; i < b.N; i++ {
			_, _ = f.Write(append(line, '\n'))
		}
	})
}
