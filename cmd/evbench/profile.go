package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"runtime/trace"
)

// Profiling of evbench itself (issue 15: where the real path's CPU and the
// pacer's lateness go). EVBENCH_CPUPROFILE=FILE writes a pprof CPU profile
// and EVBENCH_TRACE=FILE a runtime execution trace (go tool trace) of the
// whole command. Both are off unless set; they are for developers, so they
// are environment variables rather than flags every user sees.
const (
	envCPUProfile = "EVBENCH_CPUPROFILE"
	envTrace      = "EVBENCH_TRACE"
)

// startProfiling starts what the environment asks for and returns the
// function that stops it and flushes the files. A file that cannot be
// created is reported on stderr and that profile skipped: profiling never
// changes the command's outcome.
func startProfiling() (stop func()) {
	var stops []func()
	if path := os.Getenv(envCPUProfile); path != "" {
		if f, err := os.Create(path); err != nil {
			fmt.Fprintf(os.Stderr, "evbench: %s: %v\n", envCPUProfile, err)
		} else if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "evbench: %s: %v\n", envCPUProfile, err)
			_ = f.Close()
		} else {
			stops = append(stops, func() { pprof.StopCPUProfile(); _ = f.Close() })
		}
	}
	if path := os.Getenv(envTrace); path != "" {
		if f, err := os.Create(path); err != nil {
			fmt.Fprintf(os.Stderr, "evbench: %s: %v\n", envTrace, err)
		} else if err := trace.Start(f); err != nil {
			fmt.Fprintf(os.Stderr, "evbench: %s: %v\n", envTrace, err)
			_ = f.Close()
		} else {
			stops = append(stops, func() { trace.Stop(); _ = f.Close() })
		}
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}
}
