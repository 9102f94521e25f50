package results

// Endpoint modes: how a url subscriber was accounted for.
const (
	// EndpointAck: a plain receiver; delivered means answered 2xx, and e2e
	// is intended time -> 2xx received.
	EndpointAck = "acknowledgement"
	// EndpointSinkLedger: an `evbench sink` whose ledger was read at the
	// end; delivered means processed, e2e is intended -> processing done.
	EndpointSinkLedger = "sink-ledger"
)

// Endpoint describes a subscriber that is a real receiver (subscribers[].url).
type Endpoint struct {
	// URL is the receiver (its query redacted).
	URL string `json:"url"`
	// Mode is EndpointAck or EndpointSinkLedger.
	Mode string `json:"mode"`
	// InsecureSkipVerify is true when the receiver's certificate was not
	// verified: the figures hold, but nothing proves who answered.
	InsecureSkipVerify bool `json:"insecure_skip_verify,omitempty"`
	// ClientCertificate is true when a client certificate was presented.
	ClientCertificate bool `json:"client_certificate,omitempty"`
	// Headers is the number of extra headers sent (their values are never
	// written to results).
	Headers int `json:"headers,omitempty"`
	// ClockSkewUS is how far the sink's clock is ahead of the sender's
	// (negative: behind), estimated around the ledger request (sink-ledger
	// only); the estimate is within ClockSkewBoundUS (half the request's
	// round trip).
	ClockSkewUS      *int64 `json:"clock_skew_us,omitempty"`
	ClockSkewBoundUS *int64 `json:"clock_skew_bound_us,omitempty"`
	// LedgerIDs is the number of this point's ids in the sink's ledger,
	// warm-up included (sink-ledger only).
	LedgerIDs *int64 `json:"ledger_ids,omitempty"`
}

// AttemptPhases splits per-attempt latency into connect (TCP), the TLS
// handshake and time to first byte (request written -> first byte of the
// answer), one value per attempt that got an answer: an attempt on a reused
// connection records 0 for connect and TLS, so the means add up to about
// the mean attempt.
type AttemptPhases struct {
	// KeepAlive is false when every attempt opened its own connection.
	KeepAlive bool `json:"keep_alive"`
	// NewConnections is the measured attempts that opened a connection.
	NewConnections int64   `json:"new_connections"`
	Connect        Latency `json:"connect"`
	TLS            Latency `json:"tls"`
	TTFB           Latency `json:"ttfb"`
}
