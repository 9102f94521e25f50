package results

// FaultWindow is one infrastructure fault as it happened during a point:
// what was done to which broker (or process), and when, in seconds since
// the start of the measured period.
type FaultWindow struct {
	// Kind is the fault kind, e.g. broker-kill, broker-stop, broker-pause.
	Kind string `json:"kind"`
	// Target is the target as the scenario wrote it ("node 2", "leader",
	// "leader of partition 3", "controller").
	Target string `json:"target"`
	// Node is the broker node.id the target resolved to when the fault
	// started (on the embedded broker the node's number counted from 1:
	// kfake's node Node-1); -1 when it was not resolved.
	Node int32 `json:"node"`
	// StartS is when the fault was applied; EndS when it was undone (the
	// broker started again or resumed), both since the measured start.
	StartS float64 `json:"start_s"`
	EndS   float64 `json:"end_s"`
	// Applied is false when the fault did not take effect: its window is
	// then only the scheduled one, and Method says why. (The embedded
	// broker's emulated faults are applied: Method says how.)
	Applied bool `json:"applied"`
	// Emulated is true when the fault was emulated rather than done to a
	// process (the embedded broker: kfake control hooks; Method says how).
	Emulated bool `json:"emulated,omitempty"`
	// Method says how: "signal pid N" (a cluster scripts/kafka.sh started),
	// "command" (the scenario's command), or "emulated on the embedded
	// broker ..." (kfake control hooks: no process was signalled).
	Method string `json:"method"`
}

// Availability summarises how a point's system lived through its faults.
// Gaps are measured over the measured period; a gap still open when the
// load ended (nothing acknowledged or delivered after the last event was
// sent) runs to the end of the drain.
type Availability struct {
	// LongestPublishGapS is the longest time without a successful produce
	// acknowledgement (kafka, bridge); 0 for a system without a broker.
	LongestPublishGapS float64 `json:"longest_publish_gap_s"`
	// LongestDeliveryGapS is the longest time without a delivery to any
	// subscriber.
	LongestDeliveryGapS float64 `json:"longest_delivery_gap_s"`
	// RecoveryS is the time from the end of the last fault window until the
	// consumer lag was back to its level before the first fault (the
	// highest per-second lag in the 5 s before it), at the per-second
	// series' resolution; -1 when it never came back by the end of the
	// drain. Absent when the series has no lag (webhook).
	RecoveryS *float64 `json:"recovery_s,omitempty"`
	// PreFaultLag is that pre-fault lag level in records.
	PreFaultLag int64 `json:"pre_fault_lag"`
}

// AllFaultWindows are the point's broker fault windows followed by the
// crashes of its child processes (sender-crash, bridge-crash: see
// ChildProcess) as fault windows, so reports show every infrastructure
// fault of a point the same way. A crash not restarted before the end
// lasts until the last per-second sample.
func (p *Point) AllFaultWindows() []FaultWindow {
	out := append([]FaultWindow(nil), p.FaultWindows...)
	for _, cp := range []struct {
		proc   *ChildProcess
		target string
	}{{p.SenderProcess, "the webhook sender process"}, {p.BridgeProcess, "the bridge process"}} {
		if cp.proc == nil {
			continue
		}
		for _, c := range cp.proc.Crashes {
			end := c.EndS
			if end <= 0 && len(p.Timeseries) > 0 {
				end = p.Timeseries[len(p.Timeseries)-1].TS
			}
			out = append(out, FaultWindow{Kind: c.Kind, Target: cp.target, Node: -1, StartS: c.StartS, EndS: max(end, c.StartS), Applied: true,
				Method: "SIGKILL of the child process; it " + cp.proc.CrashOutcome(c)})
		}
	}
	return out
}
