package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestProfilingFromEnv: EVBENCH_CPUPROFILE and EVBENCH_TRACE each write a
// non-empty file of their format once stopped; an uncreatable path is
// skipped (reported on stderr), never fatal.
func TestProfilingFromEnv(t *testing.T) {
	dir := t.TempDir()
	cpu, tr := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "run.trace")
	t.Setenv(envCPUProfile, cpu)
	t.Setenv(envTrace, tr)
	stop := startProfiling()
	x := 0
	for i := 0; i < 1_000_000; i++ {
		x += i
	}
	_ = x
	stop()
	c, err := os.ReadFile(cpu)
	if err != nil || len(c) == 0 {
		t.Fatalf("cpu profile: %d bytes, %v", len(c), err)
	}
	if !bytes.HasPrefix(c, []byte{0x1f, 0x8b}) { // pprof profiles are gzipped protobufs
		t.Errorf("cpu profile does not start with a gzip header: % x", c[:2])
	}
	b, err := os.ReadFile(tr)
	if err != nil || !bytes.HasPrefix(b, []byte("go 1.")) {
		t.Fatalf("trace: %d bytes, %v, want a Go execution trace header", len(b), err)
	}

	t.Setenv(envCPUProfile, filepath.Join(dir, "missing", "cpu.prof"))
	t.Setenv(envTrace, "")
	startProfiling()() // must not panic or exit
}
