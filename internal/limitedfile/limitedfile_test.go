//go:build linux

package limitedfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Repeat("x", n)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		path  string
		limit int64
		n     int   // bytes expected when err is nil
		err   error // wrapped error expected
		frag  string
	}{
		{"empty", write("empty", 0), 10, 0, nil, ""},
		{"below the limit", write("small", 5), 10, 5, nil, ""},
		{"exactly the limit", write("exact", 10), 10, 10, nil, ""},
		{"one byte over", write("over", 11), 10, 0, ErrTooLarge, "at most 10"},
		{"missing", filepath.Join(dir, "nope"), 10, 0, fs.ErrNotExist, ""},
		{"directory", dir, 10, 0, ErrNotRegular, "a directory"},
		{"device /dev/zero", "/dev/zero", 10, 0, ErrNotRegular, "a device"},
		{"named pipe without a writer", fifo, 10, 0, ErrNotRegular, "a named pipe"},
		// procfs files report size 0 but have contents: read by content.
		{"procfs file over the limit", "/proc/self/status", 10, 0, ErrTooLarge, "more than 10 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan struct{})
			var b []byte
			var err error
			go func() { b, err = Read(tc.path, tc.limit); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Read did not return within 10s (blocked on the file?)")
			}
			if tc.err == nil {
				if err != nil || len(b) != tc.n {
					t.Fatalf("got %d bytes, %v; want %d bytes", len(b), err, tc.n)
				}
				return
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if !strings.Contains(err.Error(), tc.frag) {
				t.Errorf("error %q lacks %q", err, tc.frag)
			}
		})
	}
}

// TestReadBoundsMemory checks the bound holds for a file far larger than
// the limit: the allocation stays near the limit, not the file size.
func TestReadBoundsMemory(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(256 << 20); err != nil { // sparse: costs no disk
		t.Fatal(err)
	}
	f.Close()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	_, err = Read(p, 1<<20)
	runtime.ReadMemStats(&m1)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 2<<20 {
		t.Errorf("allocated %d bytes reading a 256 MiB file with a 1 MiB limit", alloc)
	}
}
