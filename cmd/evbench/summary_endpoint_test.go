package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/results"
)

// TestSummaryLabelsEndpoints: the terminal summary says how a url
// subscriber was accounted and shouts when its certificate was not verified.
func TestSummaryLabelsEndpoints(t *testing.T) {
	res := &results.Results{Status: results.StatusComplete, Points: []results.Point{{System: "webhook", Status: results.StatusComplete,
		Subscribers: []results.Subscriber{
			{Name: "partner", Endpoint: &results.Endpoint{URL: "https://h/x", Mode: results.EndpointAck, InsecureSkipVerify: true}},
			{Name: "remote", Endpoint: &results.Endpoint{URL: "http://h/webhook/remote", Mode: results.EndpointSinkLedger}},
			{Name: "local"},
		}}}}
	var b bytes.Buffer
	printSummary(&b, res)
	out := b.String()
	for _, w := range []string{
		"note: webhook subscriber partner is a real receiver (delivered counts 2xx acknowledgements, e2e is intended -> 2xx)",
		"** INSECURE webhook subscriber partner: its TLS certificate was not verified (insecure_skip_verify) **",
		"note: webhook subscriber remote is a real receiver (an evbench sink accounted from its ledger",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("summary lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "subscriber local is") || strings.Contains(out, "INSECURE webhook subscriber remote") {
		t.Errorf("summary labels the wrong subscribers:\n%s", out)
	}
}
