package results

// ChildProcess describes a system component evbench ran as a child process
// so that it could be crashed for real (issue 10 item 4): the webhook
// sender (systems.webhook.faults sender-crash, durable_queue) or the
// bridge (systems.bridge.faults bridge-crash).
type ChildProcess struct {
	// DurableQueue: the sender kept its queue in an on-disk outbox.
	DurableQueue bool `json:"durable_queue,omitempty"`
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
	// Recorded is how many of them were recorded as lost to the crash: all
	// of them when the process kept them in memory, none with an outbox
	// (they are delivered after the restart). Results count one processed
	// anyway (an attempt in flight that completed) as delivered.
	Recorded int64 `json:"recorded_lost"`
}
