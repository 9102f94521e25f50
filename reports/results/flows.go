package results

import "fmt"

// Flow is one multi-hop flow's results (scenario flows[]): every hop's
// ledger and latency, and per route and for the whole flow the end-to-end
// latency from each event's first intended time, the loss anywhere on the
// path and the critical path.
type Flow struct {
	Name string `json:"name"`
	// Entry is the service the generated events entered.
	Entry string `json:"entry"`
	// Status is complete | interrupted | failed; Error explains failed.
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// Events is the measured events that entered the flow.
	Events int64 `json:"events"`
	// Hops are the flow's hops in scenario order.
	Hops []FlowHop `json:"hops"`
	// Whole is the flow as one route ending at every leaf service.
	Whole FlowRoute `json:"whole"`
	// Routes are the scenario's routes (default one per leaf).
	Routes []FlowRoute `json:"routes"`
	// Notes are honesty labels (embedded broker, compression, ...).
	Notes []string `json:"notes,omitempty"`
}

// FlowHop is one hop's measurements; its ledger counts (event, target)
// deliveries: a hop with three targets sends each event three times.
type FlowHop struct {
	Name string   `json:"name"`
	From string   `json:"from"`
	To   []string `json:"to"`
	Via  string   `json:"via"`
	// Sent, Delivered (unique, processed by the target), Lost (sent -
	// delivered after the drain), Duplicates (repeat deliveries), and
	// DeadLettered (webhook: the sender gave up).
	Sent         int64 `json:"sent"`
	Delivered    int64 `json:"delivered"`
	Lost         int64 `json:"lost"`
	Duplicates   int64 `json:"duplicates"`
	DeadLettered int64 `json:"dead_lettered"`
	Retries      int64 `json:"retries"`
	// Latency is the hop alone: the sender finished with the event (after
	// its processing and delay) -> the target finished processing it.
	Latency Latency `json:"latency"`
	// SinceIntended is the first intended time -> the target finished
	// processing: the cumulative latency at the end of this hop.
	SinceIntended Latency `json:"since_intended"`
}

// FlowRoute is a route's (or the whole flow's) end-to-end figures.
type FlowRoute struct {
	Name string   `json:"name"`
	To   []string `json:"to"`
	// Hops are the names of the hops on the route.
	Hops []string `json:"hops"`
	// Completed is events that reached every end service; Lost the
	// measured events that did not (lost on any hop of the route).
	Completed int64 `json:"completed"`
	Lost      int64 `json:"lost"`
	// E2E is first intended time -> the last end service finished
	// processing, over completed events.
	E2E Latency `json:"e2e"`
	// CriticalEnd is the end service that finished last most often,
	// CriticalPath the hops to it, CriticalShare the fraction of completed
	// events it was last.
	CriticalEnd   string   `json:"critical_end"`
	CriticalPath  []string `json:"critical_path"`
	CriticalShare float64  `json:"critical_share"`
}

// validateFlows checks the flows' ledgers and histograms.
func (r *Results) validateFlows() error {
	for i := range r.Flows {
		f := &r.Flows[i]
		for _, h := range f.Hops {
			if h.Sent < 0 || h.Delivered < 0 || h.Lost < 0 || h.Duplicates < 0 || h.DeadLettered < 0 || h.Retries < 0 {
				return fmt.Errorf("flow %s hop %s: negative count", f.Name, h.Name)
			}
			if h.Sent != h.Delivered+h.Lost {
				return fmt.Errorf("flow %s hop %s: sent %d != delivered %d + lost %d", f.Name, h.Name, h.Sent, h.Delivered, h.Lost)
			}
			for _, l := range []*Latency{&h.Latency, &h.SinceIntended} {
				if err := checkLatency(l); err != nil {
					return fmt.Errorf("flow %s hop %s: %w", f.Name, h.Name, err)
				}
			}
		}
		for _, rt := range append([]FlowRoute{f.Whole}, f.Routes...) {
			if rt.Completed < 0 || rt.Lost < 0 || rt.Completed+rt.Lost != f.Events {
				return fmt.Errorf("flow %s route %s: completed %d + lost %d != events %d", f.Name, rt.Name, rt.Completed, rt.Lost, f.Events)
			}
			if err := checkLatency(&rt.E2E); err != nil {
				return fmt.Errorf("flow %s route %s: %w", f.Name, rt.Name, err)
			}
		}
	}
	return nil
}
