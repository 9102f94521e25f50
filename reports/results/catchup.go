package results

// CatchUp describes a consumer group that joined late (subscribers[].join_at
// under Kafka or the bridge): it starts from the earliest retained offset,
// replays the history it missed, and catches up.
//
// Definitions (every time is real seconds from the start of the measured
// period; multiply by TimeScale for scenario time):
//   - JoinS: when the group's members started joining (join_at).
//   - AssignedS: when every partition was first assigned to a member.
//   - Caught up: for every partition, the group processed a record whose
//     end-to-end latency (intended time -> processed) was at most
//     ThresholdUS; CaughtUpS is the latest of those per-partition moments,
//     i.e. the first time every partition was back to steady state.
//   - CatchUpS = CaughtUpS - JoinS (join -> lag back to steady state).
//   - ReplayPerS: records the group processed between AssignedS and
//     CaughtUpS, per second of that interval (replay throughput).
type CatchUp struct {
	JoinS     float64 `json:"join_s"`
	AssignedS float64 `json:"assigned_s,omitempty"`
	CaughtUp  bool    `json:"caught_up"`
	CaughtUpS float64 `json:"caught_up_s,omitempty"`
	CatchUpS  float64 `json:"catch_up_s,omitempty"`
	// CatchUpScenarioS is CatchUpS in scenario time (x TimeScale).
	CatchUpScenarioS float64 `json:"catch_up_scenario_s,omitempty"`
	TimeScale        float64 `json:"time_scale,omitempty"`
	ThresholdUS      int64   `json:"threshold_us"`
	// BacklogAtJoin is the records acknowledged by the broker before the
	// join (warm-up included): the history the group starts behind.
	BacklogAtJoin int64 `json:"backlog_at_join"`
	// Replayed counts measured events intended before the join that the
	// group processed: history it would have missed starting at the log end.
	Replayed int64 `json:"replayed"`
	// CatchUpRecords is the records processed between AssignedS and
	// CaughtUpS; ReplayPerS is CatchUpRecords over that interval.
	CatchUpRecords int64   `json:"catch_up_records"`
	ReplayPerS     float64 `json:"replay_per_s"`
	// Lag samples the group's lag over the run: records acknowledged by the
	// broker minus records the group processed (warm-up included).
	Lag []LagSample `json:"lag,omitempty"`
}

// LagSample is one sample of a group's lag.
type LagSample struct {
	// TS is real seconds from the start of the measured period (negative
	// during the warm-up).
	TS      float64 `json:"t_s"`
	Records int64   `json:"records"`
}
