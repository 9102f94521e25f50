package scenarios

import (
	"fmt"
	"slices"
	"time"
)

// The bridge block, registered like any other system's
// (registry.go). They still live here until each moves to its system's
// package (issue 8 item 1).

func init() {
	RegisterSystem(SystemBlock{Name: "bridge", Order: 30, Keys: bridgeKeys, Decode: decodeBridge,
		Measures: []string{FamilyPublish}, Sweep: bridgeSweep})
}

// Bridge returns the bridge block, or nil.
func (s Systems) Bridge() *Bridge { b, _ := s.Get("bridge").(*Bridge); return b }

var bridgeSweep = []SweepParam{
	{Path: "bridge.max_in_flight", Unit: "count", Doc: "concurrent requests to the bridge ingress", Integer: true, Min: 1, Max: MaxInFlight,
		Apply: func(b Block, v float64) { b.(*Bridge).MaxInFlight = int(v) }},
	{Path: "bridge.timeout_ms", Unit: "ms", Doc: "sender timeout to the bridge ingress", Min: 0.001, Max: float64(MaxTimeout / Duration(time.Millisecond)),
		Apply: func(b Block, v float64) { b.(*Bridge).Timeout = Ms(v) }},
}

// CloneBlock implements Block.
func (b *Bridge) CloneBlock() Block {
	cb := *b
	cb.Signing.Enabled = cloneBool(b.Signing.Enabled)
	cb.Faults = slices.Clone(b.Faults)
	return &cb
}

// CheckBlock implements BlockChecker.
func (b *Bridge) CheckBlock(c *Checker, s *Scenario, p string) {
	c.Enum(p+".ack", b.Ack, BridgeAckAfterProduce, BridgeAckBeforeProduce)
	c.DurRange(p+".timeout", b.Timeout, true, MaxTimeout)
	c.IntRange(p+".max_in_flight", b.MaxInFlight, 1, MaxInFlight, "concurrent requests to the ingress")
	c.Signing(p+".signing", b.Signing)
	c.InfraFaults(p+".faults", b.Faults, s.Load.Duration+s.Load.Drain, FaultBridgeCrash)
	if mean := s.Event.Size.MeanValue(); mean > 0 && len(s.Subscribers) > 0 {
		c.InFlight(p+".max_in_flight", mean, 1, b.MaxInFlight)
	}
	if !s.Systems.Has("kafka") { // else the kafka block checks its own batch size
		c.BatchFits(s, DefaultBatchMaxBytes, "event.size")
	}
}

// ScaleBlock implements BlockScaler.
func (b *Bridge) ScaleBlock(c func(*Duration), _ float64) {
	for i := range b.Faults {
		c(&b.Faults[i].At)
		c(&b.Faults[i].For)
	}
}

// Links implements BlockLinks.
func (b *Bridge) Links() []Link { return []Link{{"ingress_network", b.IngressNetwork}} }

// BatchFits checks that the largest event fits a producer batch of batch
// bytes; key is where a problem points.
func (c *Checker) BatchFits(s *Scenario, batch ByteSize, key string) {
	if m := distMax(s.Event.Size); m > 0 && m+recordOverhead > float64(batch) {
		c.Add(key, fmt.Sprintf("events of up to %v do not fit in a producer batch of %v (a record also carries its key and headers; leave %v)", ByteSize(m), batch, ByteSize(recordOverhead)),
			fmt.Sprintf("batch_max_bytes >= %v", ByteSize(m+recordOverhead)))
	}
}
