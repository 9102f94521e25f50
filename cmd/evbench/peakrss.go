package main

import (
	"encoding/json"
	"runtime"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/measure"
)

// setPeakRSS records the process's peak resident set in res
// (peak_rss_bytes) just before results.json is written. The document is
// encoded once first, and the encoding kept until the reading, so the
// figure covers encoding it too: with 1,000 subscribers the results are a
// large document, and the points' figures, read before the teardown and
// the encoding, were lower than the process's true peak (issue 15 item 5).
// Writing it encodes it again, at about the same cost.
func setPeakRSS(res *results.Results) {
	if res == nil {
		return
	}
	b, _ := json.MarshalIndent(res, "", "  ") // an error shows when writing
	peak := measure.PeakRSS()
	runtime.KeepAlive(b)
	// The high-water mark never goes down, so this only matters where
	// getrusage failed (0).
	for _, p := range res.Points {
		peak = max(peak, p.Resources.MaxRSSBytes)
	}
	res.PeakRSSBytes = peak
}
