package results

import "testing"

// TestCrashOutcome: the words every report uses for a crash say what was
// held, what became of it and what was lost, and agree with the fields.
func TestCrashOutcome(t *testing.T) {
	for _, tc := range []struct {
		name string
		cp   ChildProcess
		c    Crash
		want string
	}{
		{"in-flight completed", ChildProcess{}, Crash{Kind: "sender-crash", Held: 4, Recorded: 4, Completed: 4},
			"held 4 deliveries at the crash; 4 of them later completed by the receiver (attempts in flight at the kill); 0 lost"},
		{"queue lost", ChildProcess{}, Crash{Kind: "sender-crash", Held: 52, Recorded: 50, Completed: 1, Lost: 49},
			"held 52 deliveries at the crash (2 of them warm-up or already dead-lettered: not counted); 1 of them later completed by the receiver (attempts in flight at the kill); 49 lost"},
		{"durable", ChildProcess{DurableQueue: true}, Crash{Kind: "sender-crash", Held: 50},
			"held 50 deliveries at the crash, kept in its on-disk outbox for the restarted sender; 0 lost"},
		{"bridge before produce", ChildProcess{}, Crash{Kind: "bridge-crash", Held: 100, Recorded: 100, Completed: 3, Lost: 97},
			"held 100 records at the crash, answered before they were produced; 3 of them reached Kafka anyway and were delivered; 97 lost (to every subscriber)"},
		{"bridge after produce", ChildProcess{Ack: "after-produce"}, Crash{Kind: "bridge-crash", Held: 16},
			"held 16 records at the crash, not yet answered (ack after produce): the upstream sender sends them again; 0 lost"},
		{"bridge after produce, none held", ChildProcess{Ack: "after-produce"}, Crash{Kind: "bridge-crash"},
			"held 0 records at the crash, not yet answered (ack after produce): the upstream sender sends them again; 0 lost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cp.CrashOutcome(tc.c); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}
