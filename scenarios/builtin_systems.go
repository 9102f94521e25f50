package scenarios

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"
)

// The kafka and bridge blocks, registered like any other system's
// (registry.go). They still live here until each moves to its system's
// package (issue 8 item 1).

func init() {
	RegisterSystem(SystemBlock{Name: "kafka", Order: 20, Keys: kafkaKeys, Decode: decodeKafka,
		Measures: []string{FamilyPublish}, Sweep: kafkaSweep,
		SweepNote: "the bridge reads its Kafka settings from systems.kafka"})
	RegisterSystem(SystemBlock{Name: "bridge", Order: 30, Keys: bridgeKeys, Decode: decodeBridge,
		Measures: []string{FamilyPublish}, Sweep: bridgeSweep})
}

// Kafka returns the kafka block, or nil.
func (s Systems) Kafka() *Kafka { k, _ := s.Get("kafka").(*Kafka); return k }

// Bridge returns the bridge block, or nil.
func (s Systems) Bridge() *Bridge { b, _ := s.Get("bridge").(*Bridge); return b }

var kafkaSweep = []SweepParam{
	{Path: "kafka.topic.partitions", Unit: "count", Doc: "topic partitions", Integer: true, Min: 1, Max: MaxPartitions,
		Apply: func(b Block, v float64) { b.(*Kafka).Topic.Partitions = int(v) }},
	{Path: "kafka.topic.replication_factor", Unit: "count", Doc: "topic replication factor", Integer: true, Min: 1, Max: MaxReplication,
		Apply: func(b Block, v float64) { b.(*Kafka).Topic.ReplicationFactor = int(v) }},
	{Path: "kafka.members", Unit: "count", Doc: "clients per consumer group", Integer: true, Min: 1, Max: MaxClients,
		Apply: func(b Block, v float64) { b.(*Kafka).Members = int(v) }},
	{Path: "kafka.producers", Unit: "count", Doc: "producer clients sharing the schedule", Integer: true, Min: 1, Max: MaxClients,
		Apply: func(b Block, v float64) { b.(*Kafka).Producers = int(v) }},
	{Path: "kafka.linger_ms", Unit: "ms", Doc: "producer linger", Min: 0, Max: float64(MaxLinger / Duration(time.Millisecond)),
		Apply: func(b Block, v float64) { b.(*Kafka).Linger = Ms(v) }},
	{Path: "kafka.batch_max_bytes", Unit: "bytes", Doc: "producer batch size limit", Integer: true, Min: float64(MinBatchMaxBytes), Max: float64(MaxBatchMaxBytes),
		Apply: func(b Block, v float64) { b.(*Kafka).BatchMaxBytes = ByteSize(v) }},
	{Path: "kafka.max_buffered_records", Unit: "count", Doc: "producer buffer bound", Integer: true, Min: 1, Max: MaxBufferedRecords,
		Apply: func(b Block, v float64) { b.(*Kafka).MaxBufferedRecords = int(v) }},
}

var bridgeSweep = []SweepParam{
	{Path: "bridge.max_in_flight", Unit: "count", Doc: "concurrent requests to the bridge ingress", Integer: true, Min: 1, Max: MaxInFlight,
		Apply: func(b Block, v float64) { b.(*Bridge).MaxInFlight = int(v) }},
	{Path: "bridge.timeout_ms", Unit: "ms", Doc: "sender timeout to the bridge ingress", Min: 0.001, Max: float64(MaxTimeout / Duration(time.Millisecond)),
		Apply: func(b Block, v float64) { b.(*Bridge).Timeout = Ms(v) }},
}

// CloneBlock implements Block.
func (k *Kafka) CloneBlock() Block {
	ck := *k
	if k.TLS != nil {
		t := *k.TLS
		ck.TLS = &t
	}
	if k.SASL != nil {
		sa := *k.SASL
		ck.SASL = &sa
	}
	ck.Topic.Configs = maps.Clone(k.Topic.Configs)
	ck.Idempotent = cloneBool(k.Idempotent)
	ck.Faults = cloneBrokerFaults(k.Faults)
	return &ck
}

// CheckBlock implements BlockChecker.
func (k *Kafka) CheckBlock(c *Checker, s *Scenario, p string) {
	c.kafka(p, k)
	c.BrokerFaults(p+".faults", s, k.Faults, k.Topic.Partitions)
	c.batchFits(s, k.BatchMaxBytes, p+".batch_max_bytes")
}

// batchFits checks that the largest event fits a producer batch of batch
// bytes; key is where a problem points.
func (c *Checker) batchFits(s *Scenario, batch ByteSize, key string) {
	if m := distMax(s.Event.Size); m > 0 && m+recordOverhead > float64(batch) {
		c.Add(key, fmt.Sprintf("events of up to %v do not fit in a producer batch of %v (a record also carries its key and headers; leave %v)", ByteSize(m), batch, ByteSize(recordOverhead)),
			fmt.Sprintf("batch_max_bytes >= %v", ByteSize(m+recordOverhead)))
	}
}

// RedactBlock implements BlockRedactor: free-form topic configs whose key
// names a credential.
func (k *Kafka) RedactBlock() {
	for key := range k.Topic.Configs {
		if secretish(key) {
			k.Topic.Configs[key] = redactedMark
		}
	}
}

// ScaleBlock implements BlockScaler.
func (k *Kafka) ScaleBlock(c func(*Duration), f float64) {
	for i := range k.Faults {
		c(&k.Faults[i].At)
		c(&k.Faults[i].For)
	}
	for _, key := range retentionKeys {
		v, ok := k.Topic.Configs[key]
		if !ok {
			continue
		}
		// -1 (keep forever) and values that are not numbers are left
		// for the broker to judge.
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
			k.Topic.Configs[key] = strconv.FormatInt(max(1, int64(math.Round(float64(ms)/f))), 10)
		}
	}
}

// Links implements BlockLinks.
func (k *Kafka) Links() []Link {
	return []Link{{"producer_network", k.ProducerNetwork}, {"consumer_network", k.ConsumerNetwork}}
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
	if s.Systems.Kafka() == nil { // else the kafka block checks its own batch size
		c.batchFits(s, DefaultBatchMaxBytes, "event.size")
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
