package results

// SenderMemory is the webhook sender's memory against its deliveries in
// flight and its open connections, sampled during one point
// (runners/webhook/memsample.go) so reports/cost can price memory from the
// run instead of the profile's assumption.
type SenderMemory struct {
	// PerInFlightBytes is the fitted memory per delivery in flight and
	// PerConnectionBytes per open connection (beyond the in-flight share);
	// absent when the fit was not meaningful (Unmeasured says why) or the
	// two could not be separated (Method says so, and PerInFlightBytes
	// then includes the connection each delivery holds).
	PerInFlightBytes   float64 `json:"per_inflight_bytes,omitempty"`
	PerConnectionBytes float64 `json:"per_connection_bytes,omitempty"`
	// Samples is the number of (memory, in flight, connections) samples
	// fitted, IntervalMS the sampling period.
	Samples    int     `json:"samples"`
	IntervalMS float64 `json:"interval_ms"`
	// BaselineBytes is the memory before the first event; PeakBytes the
	// most seen at a tick.
	BaselineBytes int64 `json:"baseline_bytes"`
	PeakBytes     int64 `json:"peak_bytes"`
	// PeakInFlight and PeakConnections are the most deliveries in flight
	// and connections open at a sampling tick (every IntervalMS; Samples
	// counts only the ticks a GC had completed before, which are fitted).
	PeakInFlight    int64 `json:"peak_inflight"`
	PeakConnections int64 `json:"peak_connections"`
	// R2 is the fit's coefficient of determination.
	R2 float64 `json:"r2,omitempty"`
	// Method says what was sampled and how the figures were fitted.
	Method string `json:"method"`
	// Scope is "sender_only" when no receiver ran in the harness's process,
	// or "upper_bound_includes_in_process_receivers": in-process sinks hold
	// memory per request too, so the figure is the sender's plus theirs.
	Scope string `json:"scope"`
	// Unmeasured says why no figure was recorded.
	Unmeasured string `json:"unmeasured,omitempty"`
}

// Memory scopes of SenderMemory.
const (
	MemorySenderOnly = "sender_only"
	MemoryUpperBound = "upper_bound_includes_in_process_receivers"
)
