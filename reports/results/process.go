package results

import "fmt"

// ChildProcess describes a system component evbench ran as a child process
// so that it could be crashed for real (issue 10 item 4): the webhook
// sender (systems.webhook.faults sender-crash, durable_queue) or the
// bridge (systems.bridge.faults bridge-crash).
type ChildProcess struct {
	// DurableQueue: the sender kept its queue in an on-disk outbox.
	DurableQueue bool `json:"durable_queue,omitempty"`
	// Ack is the bridge's ack mode (before-produce or after-produce).
	Ack string `json:"ack,omitempty"`
	// Restarts is the number of times the process was started again after
	// a crash.
	Restarts int `json:"restarts"`
	// CPUUserS and CPUSysS are the CPU time of every incarnation of the
	// process (also added to resources, which otherwise counts only the
	// harness's own process).
	CPUUserS float64 `json:"cpu_user_s"`
	CPUSysS  float64 `json:"cpu_sys_s"`
	// OutboxCommits is the number of outbox transactions that accepted
	// events (one fsync each), OutboxBytes the bytes they wrote.
	OutboxCommits int64 `json:"outbox_commits,omitempty"`
	OutboxBytes   int64 `json:"outbox_bytes,omitempty"`
	// Crashes are the faults applied, in order.
	Crashes []Crash `json:"crashes,omitempty"`
}

// Crash is one SIGKILL of a child process and its restart.
type Crash struct {
	// Kind is sender-crash or bridge-crash.
	Kind string `json:"kind"`
	// StartS and EndS are the kill and the restart, in seconds from the
	// start of the measured period (EndS 0: not restarted before the end).
	StartS float64 `json:"start_s"`
	EndS   float64 `json:"end_s,omitempty"`
	// Held is the number of deliveries (event x endpoint) the process held
	// at the kill by its own last checkpoint: queued, waiting for a retry
	// or in flight (webhook), or acknowledged upstream and not yet produced
	// (bridge, ack-before-produce).
	Held int64 `json:"held"`
	// Recorded is how many of them were recorded as lost to the crash
	// when it happened: the measured ones (not warm-up, not already
	// dead-lettered) when the process kept them in memory, none with an
	// outbox (the restarted sender delivers them) or when the bridge had
	// not answered them yet (ack after produce: the upstream sender sends
	// them again). Some of those may still be completed: Completed and
	// Lost say what became of them by the end of the point.
	Recorded int64 `json:"recorded_lost"`
	// Completed is how many of the recorded ones were completed anyway:
	// for the webhook sender, deliveries in flight at the kill that the
	// receiver processed; for the bridge, records Kafka had stored before
	// the kill, which groups consumed. They count as delivered.
	Completed int64 `json:"completed"`
	// Lost is Recorded - Completed: what the crash took (for the bridge, in
	// records, each lost to every subscriber: lost_by.bridge_crash counts
	// deliveries).
	Lost int64 `json:"lost"`
}

// CrashOutcome says in words what crash c of this process did: what it
// held at the kill, what became of it and how many were lost. The summary,
// the report's durability table and fault windows all use it, so they say
// the same thing as the crash's fields in the results.
func (cp *ChildProcess) CrashOutcome(c Crash) string {
	bridge := c.Kind == "bridge-crash"
	unit := "deliveries"
	if bridge {
		unit = "records"
	}
	s := fmt.Sprintf("held %d %s at the crash", c.Held, unit)
	switch {
	case cp.DurableQueue:
		s += ", kept in its on-disk outbox for the restarted sender"
	case bridge && cp.Ack == "after-produce":
		s += ", not yet answered (ack after produce): the upstream sender sends them again"
	default:
		if n := c.Held - c.Recorded; n > 0 {
			s += fmt.Sprintf(" (%d of them warm-up or already dead-lettered: not counted)", n)
		}
		if bridge {
			s += fmt.Sprintf(", answered before they were produced; %d of them reached Kafka anyway and were delivered", c.Completed)
		} else {
			s += fmt.Sprintf("; %d of them later completed by the receiver (attempts in flight at the kill)", c.Completed)
		}
	}
	s += fmt.Sprintf("; %d lost", c.Lost)
	if bridge && c.Lost > 0 {
		s += " (to every subscriber)"
	}
	return s
}
