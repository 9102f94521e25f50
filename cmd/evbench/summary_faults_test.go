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

// TestSummaryEmulatedFaults: on the embedded broker the summary says which
// faults were applied for real (the child-process crashes) and which were
// emulated (broker faults), and words each crash as held / completed /
// lost, consistent with its fields.
func TestSummaryEmulatedFaults(t *testing.T) {
	kafka := results.Point{System: "kafka", Status: results.StatusComplete,
		FaultWindows: []results.FaultWindow{{Kind: "broker-kill", Target: "leader", Node: 2, StartS: 10, EndS: 20, Applied: true, Emulated: true,
			Method: "emulated on the embedded broker (kfake control hooks): ..."}}}
	webhook := results.Point{System: "webhook", Status: results.StatusComplete,
		SenderProcess: &results.ChildProcess{Restarts: 1, Crashes: []results.Crash{{Kind: "sender-crash", StartS: 10, EndS: 15, Held: 4, Recorded: 4, Completed: 4}}}}
	var b bytes.Buffer
	printSummary(&b, &results.Results{Status: results.StatusComplete, Points: []results.Point{kafka, webhook}})
	out := b.String()
	for _, want := range []string{
		"** faults applied for real: webhook sender-crash; emulated (no process stopped): kafka broker-kill; not applied: none **",
		"fault kafka: broker-kill of leader 10.0-20.0 s (embedded node 2, emulated on the embedded broker",
		"sender-crash webhook: killed at 10.00s, restarted at 15.00s; held 4 deliveries at the crash; 4 of them later completed by the receiver (attempts in flight at the kill); 0 lost",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}
