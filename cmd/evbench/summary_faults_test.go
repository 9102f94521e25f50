package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/results"
)

// TestSummaryFaults: the summary names each fault window, the point's
// unavailability and recovery, and a loss line that adds up with the loss
// to a broker fault in it.
func TestSummaryFaults(t *testing.T) {
	rec := 3.25
	p := results.Point{System: "kafka", Status: results.StatusComplete,
		FaultWindows: []results.FaultWindow{{Kind: "broker-kill", Target: "leader", Node: 2, StartS: 10, EndS: 20, Applied: true, Method: "signal pid 7"}},
		Availability: &results.Availability{LongestPublishGapS: 8, LongestDeliveryGapS: 8.5, RecoveryS: &rec},
		Subscribers: []results.Subscriber{{Name: "a", Accounting: results.Accounting{Sent: 100, Delivered: 90, Lost: 10,
			LostBy: results.LossCauses{NotDelivered: 3, BrokerFault: 7}}}}}
	var b bytes.Buffer
	printSummary(&b, &results.Results{Status: results.StatusComplete, Points: []results.Point{p}})
	out := b.String()
	for _, want := range []string{
		"fault kafka: broker-kill of leader 10.0-20.0 s (node 2, signal pid 7)",
		"availability kafka: longest without a produce ack 8.0 s, without a delivery 8.5 s; recovery 3.2 s",
		"10 lost = 0 retries exhausted + 0 endpoint gone (410) + 0 queue overflow + 3 not delivered by end of drain + 7 never acknowledged by Kafka during a broker fault",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}
