package cost

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/evbench/evbench/reports/results"
)

// measuredMemory sets u's memory per delivery in flight and per connection
// from the webhook points' sender_memory (runners/webhook/memsample.go):
// the mean over the points that recorded a figure, weighted by their
// samples. Points that separated connections from deliveries in flight
// and points that did not measure different things (the latter's
// in-flight figure includes the connection), so when any measured point
// could not separate them only those points' in-flight figures are used.
func measuredMemory(u *Usage, pts []*results.Point) {
	var (
		sepW, sepIF, sepConn float64 // separated: weights, sums
		oneW, oneIF          float64 // in flight alone
		measured             int
		upper                bool
		why                  string
	)
	for _, p := range pts {
		m := p.SenderMemory
		if m == nil {
			continue
		}
		if m.PerInFlightBytes <= 0 {
			if why == "" {
				why = m.Unmeasured
			}
			continue
		}
		measured++
		upper = upper || m.Scope != results.MemorySenderOnly
		w := float64(max(m.Samples, 1))
		if m.PerConnectionBytes > 0 {
			sepW += w
			sepIF += w * m.PerInFlightBytes
			sepConn += w * m.PerConnectionBytes
		} else {
			oneW += w
			oneIF += w * m.PerInFlightBytes
		}
	}
	if measured == 0 {
		if why == "" {
			why = "no point recorded sender_memory (the sender ran as a child process, or the results predate the measurement)"
		}
		u.MemFit = "not measured: " + why + "; profile assumptions used"
		return
	}
	scope := "sender only"
	if upper {
		scope = "an upper bound: includes the in-process receivers' share"
	}
	if oneW > 0 {
		u.MemPerInFlightBytes = oneIF / oneW
		u.MemFit = fmt.Sprintf("measured on %d of %d points (heap + stacks against deliveries in flight, each holding its connection; %s)", measured, len(pts), scope)
		return
	}
	u.MemPerInFlightBytes, u.MemPerConnectionBytes = sepIF/sepW, sepConn/sepW
	u.MemFit = fmt.Sprintf("measured on %d of %d points (heap + stacks against deliveries in flight and open connections; %s)", measured, len(pts), scope)
}

// MemoryMeasured reports whether system's memory per connection held open
// comes from the run (true) or the profile's assumptions.
func (m *Model) MemoryMeasured(system string) bool {
	return m.Usage[system].MemPerInFlightBytes > 0
}

// MemorySource says where system's memory per connection held open comes
// from, for the model paragraph and the cost lines.
func (m *Model) MemorySource(system string) string {
	u := m.Usage[system]
	kb := strconv.FormatFloat(m.MemoryPerConnectionBytes(system)/1e3, 'g', 3, 64)
	if m.MemoryMeasured(system) {
		return "measured: " + kb + " KB per connection held open, " + u.MemFit
	}
	return "assumption: " + kb + " KB per connection held open from the profile (memory_per_connection_kb + memory_per_inflight_kb)"
}

// MemoryLabel is MemorySource in short, for the connection-memory cost
// line.
func (m *Model) MemoryLabel(system string) string {
	u := m.Usage[system]
	kb := strconv.FormatFloat(m.MemoryPerConnectionBytes(system)/1e3, 'g', 3, 64) + " KB per connection"
	switch {
	case !m.MemoryMeasured(system):
		return "assumption: " + kb
	case strings.Contains(u.MemFit, "upper bound"):
		return "measured: " + kb + ", upper bound incl. in-process receivers"
	}
	return "measured: " + kb
}
