package scenarios

import "time"

// Defaults filled in by the loader for keys a scenario leaves out. They are
// exported so the CLI and the docs can quote them; the resolved scenario in
// results.json always carries the values actually used.
const (
	DefaultArrival  = ArrivalConstant
	DefaultDuration = Duration(30 * time.Second)
	DefaultWarmup   = Duration(2 * time.Second)
	DefaultDrain    = Duration(10 * time.Second)

	DefaultEventSize = ByteSize(1 << 10)
	DefaultKeys      = 1000
	DefaultSeed      = 1
	DefaultEventType = "order.created"

	DefaultAck = AckAfterProcessing

	DefaultFaultStatus      = 503
	DefaultFaultProbability = 1.0

	DefaultWebhookTimeout   = Duration(5 * time.Second)
	DefaultMaxAttempts      = 5
	DefaultBackoff          = BackoffExponential
	DefaultBackoffInitial   = Duration(100 * time.Millisecond)
	DefaultBackoffMax       = Duration(10 * time.Second)
	DefaultJitter           = 0.2
	DefaultWebhookInFlight  = 64
	DefaultQueueLimit       = 100_000
	DefaultInFlightTotal    = 4096
	DefaultConnections      = ConnKeepalive
	DefaultBrokers          = "embedded"
	DefaultPartitions       = 12
	DefaultReplication      = 1
	DefaultProducers        = 1
	DefaultAcks             = AcksAll
	DefaultLinger           = Duration(5 * time.Millisecond)
	DefaultBatchMaxBytes    = ByteSize(1 << 20)
	DefaultCompression      = "none"
	DefaultMaxBuffered      = 100_000
	DefaultMembers          = 1
	DefaultCommit           = CommitAfterProcessing
	DefaultCommitMode       = CommitModeAsync
	DefaultStartOffset      = OffsetEarliest
	DefaultBridgeAck        = BridgeAckAfterProduce
	DefaultBridgeTimeout    = Duration(5 * time.Second)
	DefaultBridgeInFlight   = 256
	DefaultRepeats          = 1
	DefaultFindMaxTolerance = 0.05
)

// Kafka setting values.
const (
	AcksNone   = "0"
	AcksLeader = "1"
	AcksAll    = "all"

	CommitAuto            = "auto"
	CommitAfterProcessing = "after-processing"
	CommitModeSync        = "sync"
	CommitModeAsync       = "async"

	OffsetEarliest = "earliest"
	OffsetLatest   = "latest"
)

// Compression codecs accepted by systems.kafka.compression.
var Compressions = []string{"none", "gzip", "snappy", "lz4", "zstd"}

// SASL mechanisms accepted by systems.kafka.sasl.mechanism.
var SASLMechanisms = []string{"plain", "scram-sha-256", "scram-sha-512"}

// EmbeddedBrokers reports whether a brokers value means the in-process
// in-memory broker.
func EmbeddedBrokers(b string) bool { return b == "" || b == DefaultBrokers }

func ptrTrue() *bool { b := true; return &b }

func defaultLoad() Load {
	return Load{Arrival: DefaultArrival, Duration: DefaultDuration, Warmup: DefaultWarmup, Drain: DefaultDrain}
}

func defaultEvent() Event {
	return Event{Size: Dist{Kind: DistFixed, Value: float64(DefaultEventSize)}, Keys: DefaultKeys, Seed: DefaultSeed, Type: DefaultEventType}
}

func defaultSubscriber() Subscriber {
	return Subscriber{Processing: Dist{Kind: DistFixed}, Ack: DefaultAck, Count: 1}
}

// DefaultRetry is the webhook retry policy of a block that writes none
// (systems.webhook.retry and subscribers[].retry start from it).
func DefaultRetry() Retry {
	return Retry{MaxAttempts: DefaultMaxAttempts, Backoff: DefaultBackoff, Initial: DefaultBackoffInitial,
		Max: DefaultBackoffMax, Jitter: DefaultJitter, HonourRetryAfter: ptrTrue()}
}

// PtrTrue returns a new *bool holding true (a default of an optional
// boolean).
func PtrTrue() *bool { return ptrTrue() }
