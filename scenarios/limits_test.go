package scenarios_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/evbench/evbench/scenarios"
)

// TestHostileInputsBounded loads files built to exhaust memory or hang the
// loader and checks each is rejected quickly, with a positioned message,
// allocating little. Before the pre-scan a 64 KiB file of "[[[..." needed
// more than 4 GB; the 16 KiB case here took about 270 MB (and 2 MB took
// more than 11 GB). /dev/zero was read until memory ran out and a named
// pipe blocked forever.
func TestHostileInputsBounded(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	var subs strings.Builder
	subs.WriteString("load: {rate: 10/s}\nsystems: {webhook: {}}\nsubscribers:\n")
	for i := 0; subs.Len() < MaxFileBytes-64; i++ {
		fmt.Fprintf(&subs, "  - name: s%d\n", i)
	}
	var block strings.Builder
	for i := 0; block.Len() < MaxFileBytes-4096; i++ {
		block.WriteString(strings.Repeat(" ", i) + "a:\n")
	}
	cases := []struct {
		name string
		path string
		frag string
		// maxAlloc bounds the bytes allocated while loading (an upper
		// bound on the peak heap).
		maxAlloc uint64
	}{
		{"16 KiB of [", write("deep16k.yaml", "x: "+strings.Repeat("[", 16<<10)), "nesting deeper than 64 levels", 4 << 20},
		{"1 MiB of [", write("deep1m.yaml", strings.Repeat("[", MaxFileBytes)), "nesting deeper than 64 levels", 4 << 20},
		{"1 MiB of {", write("deepmap.yaml", strings.Repeat("{a: ", MaxFileBytes/4)), "nesting deeper than 64 levels", 4 << 20},
		{"deep block nesting", write("block.yaml", block.String()), "nesting deeper than 64 levels", 64 << 20},
		{"a flat list of half a million numbers", write("flat.yaml", "x: ["+strings.Repeat("1,", MaxFileBytes/2-8)+"1]\n"), "more than 100000 lines and values", 4 << 20},
		{"70,000 subscribers written out", write("subs.yaml", subs.String()), "declare many alike with count: N", 4 << 20},
		// The largest structure the pre-scan lets through: the parser's
		// share stays in the tens of MiB.
		{"a flat list just under the pre-scan limit", write("flat2.yaml", "x: ["+strings.Repeat("1,", MaxMarks-10)+"1]\n"), `unknown key "x"`, 256 << 20},
		{"11,000 subscribers", write("subs11k.yaml", subscribersYAML(11_000)), "subscribers[10000]: more than 10000 subscribers: this is entry 10001", 128 << 20},
		{"more than 1 MiB", write("big.yaml", strings.Repeat("#", MaxFileBytes+1)), "larger than 1048576 bytes", 4 << 20},
		{"/dev/zero", "/dev/zero", "not a regular file (a device)", 4 << 20},
		{"a named pipe", fifo, "not a regular file (a named pipe)", 4 << 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			runtime.GC()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			done := make(chan error, 1)
			go func() { _, err := LoadFile(tc.path); done <- err }()
			var err error
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("LoadFile did not return within 20s")
			}
			runtime.ReadMemStats(&m1)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v, want *Error", err, err)
			}
			if !strings.Contains(err.Error(), tc.frag) {
				t.Errorf("error lacks %q: %v", tc.frag, err)
			}
			if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > tc.maxAlloc {
				t.Errorf("allocated %d MiB (limit %d MiB)", alloc>>20, tc.maxAlloc>>20)
			} else {
				t.Logf("allocated %d KiB: %v", alloc>>10, err)
			}
		})
	}
}

func subscribersYAML(n int) string {
	var b strings.Builder
	b.WriteString("load: {rate: 10/s}\nsystems: {webhook: {}}\nsubscribers:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: s%d\n", i)
	}
	return b.String()
}
