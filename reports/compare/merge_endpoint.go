package compare

import (
	"fmt"

	"github.com/evbench/evbench/reports/results"
)

// mergePhases adds two runs' attempt phases: histograms summed exactly,
// new connections added. A run without them (an older document) leaves
// the other's.
func mergePhases(a, b *results.AttemptPhases) (*results.AttemptPhases, error) {
	switch {
	case b == nil:
		return a, nil
	case a == nil:
		c := *b
		return &c, nil
	}
	if a.KeepAlive != b.KeepAlive {
		return a, fmt.Errorf("one run kept connections alive and the other did not")
	}
	m := *a
	m.NewConnections += b.NewConnections
	var err error
	for _, x := range []struct {
		dst  *results.Latency
		b    results.Latency
		name string
	}{{&m.Connect, b.Connect, "connect"}, {&m.TLS, b.TLS, "tls"}, {&m.TTFB, b.TTFB, "ttfb"}} {
		if *x.dst, err = mergeLatency(*x.dst, x.b); err != nil {
			return a, fmt.Errorf("%s: %w", x.name, err)
		}
	}
	return &m, nil
}

// mergeEndpoint combines two runs' descriptions of one url subscriber:
// insecure if either was, the ledger ids added, and the clock skew of the
// run whose estimate was furthest from 0 (with its bound), so a merged
// document never claims more agreement between the clocks than a run saw.
func mergeEndpoint(a, b *results.Endpoint) *results.Endpoint {
	switch {
	case b == nil:
		return a
	case a == nil:
		return cloneEndpoint(b)
	}
	m := cloneEndpoint(a)
	m.InsecureSkipVerify = a.InsecureSkipVerify || b.InsecureSkipVerify
	m.ClientCertificate = a.ClientCertificate && b.ClientCertificate
	if a.LedgerIDs != nil && b.LedgerIDs != nil {
		n := *a.LedgerIDs + *b.LedgerIDs
		m.LedgerIDs = &n
	}
	abs := func(v *int64) int64 {
		if v == nil {
			return -1
		}
		if *v < 0 {
			return -*v
		}
		return *v
	}
	if abs(b.ClockSkewUS) > abs(a.ClockSkewUS) {
		m.ClockSkewUS, m.ClockSkewBoundUS = clonePtr(b.ClockSkewUS), clonePtr(b.ClockSkewBoundUS)
	}
	return m
}

func cloneEndpoint(e *results.Endpoint) *results.Endpoint {
	if e == nil {
		return nil
	}
	c := *e
	c.ClockSkewUS, c.ClockSkewBoundUS, c.LedgerIDs = clonePtr(e.ClockSkewUS), clonePtr(e.ClockSkewBoundUS), clonePtr(e.LedgerIDs)
	return &c
}
