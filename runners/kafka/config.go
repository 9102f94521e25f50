package kafka

import (
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/evbench/evbench/scenarios"
)

// This file is the Kafka system's scenario block, systems.kafka: its
// settings, defaults, decoding and checks, sweepable settings, deep copy,
// redaction, time scaling and network links, registered with the scenario
// loader (scenarios/registry.go). The loader resolves it once; Resolve
// converts the resolved block and never defaults it again. The bridge
// reads the same block (or DefaultConfig) for its downstream Kafka.

func init() {
	scenarios.RegisterSystem(scenarios.SystemBlock{
		Name: System, Order: 20, Keys: configKeys, Decode: decodeConfig,
		Measures:  []string{scenarios.FamilyPublish},
		Sweep:     sweep,
		SweepNote: "the bridge reads its Kafka settings from systems.kafka",
	})
}

// Config configures the Kafka system (systems.kafka), and the bridge's
// downstream Kafka. Its JSON form is the block results.json echoes.
type Config struct {
	// Brokers is "embedded" (default: an in-process kfake cluster) or a
	// comma-separated host:port list.
	Brokers string `yaml:"brokers,omitempty" json:"brokers"`
	// TLS and SASL configure connections to real clusters (relative TLS
	// file paths are relative to the scenario file); credentials
	// come from environment variables only.
	TLS  *scenarios.KafkaTLS  `yaml:"tls,omitempty" json:"tls,omitempty"`
	SASL *scenarios.KafkaSASL `yaml:"sasl,omitempty" json:"sasl,omitempty"`
	// Topic is the topic set-up.
	Topic scenarios.Topic `yaml:"topic,omitempty" json:"topic"`
	// Producers is the number of producer clients sharing the schedule (default 1).
	Producers int `yaml:"producers,omitempty" json:"producers"`
	// Acks is "0", "1" or "all" (default all).
	Acks string `yaml:"acks,omitempty" json:"acks"`
	// Linger is the producer linger (default 5ms).
	Linger scenarios.Duration `yaml:"linger,omitempty" json:"linger_ns"`
	// BatchMaxBytes is the producer batch size limit (default 1MiB).
	BatchMaxBytes scenarios.ByteSize `yaml:"batch_max_bytes,omitempty" json:"batch_max_bytes"`
	// Compression is none | gzip | snappy | lz4 | zstd (default none).
	Compression string `yaml:"compression,omitempty" json:"compression"`
	// Idempotent enables the idempotent producer (default true when acks is
	// all, else false; true requires acks all).
	Idempotent *bool `yaml:"idempotent,omitempty" json:"idempotent"`
	// MaxBufferedRecords bounds the producer buffer (default 100000).
	MaxBufferedRecords int `yaml:"max_buffered_records,omitempty" json:"max_buffered_records"`
	// Members is the number of clients per consumer group (default 1).
	Members int `yaml:"members,omitempty" json:"members"`
	// Commit is auto | after-processing (default after-processing).
	Commit string `yaml:"commit,omitempty" json:"commit"`
	// CommitMode is sync | async for after-processing commits (default async).
	CommitMode string `yaml:"commit_mode,omitempty" json:"commit_mode"`
	// StartOffset is earliest | latest for new groups (default earliest:
	// groups are created before the load starts, so earliest sees exactly
	// this run's records on a fresh topic).
	StartOffset string `yaml:"start_offset,omitempty" json:"start_offset"`
	// ProducerNetwork is the producers' link to the brokers;
	// ConsumerNetwork every consumer group's unless the subscriber has its
	// own network (scenarios/network.go).
	ProducerNetwork scenarios.Network `yaml:"producer_network,omitempty" json:"producer_network,omitzero"`
	ConsumerNetwork scenarios.Network `yaml:"consumer_network,omitempty" json:"consumer_network,omitzero"`
	// Faults are broker faults (scenarios/broker_faults.go), applied to kafka and
	// bridge points.
	Faults []scenarios.BrokerFault `yaml:"faults,omitempty" json:"faults,omitempty"`
}

// ConfigOf returns sc's systems.kafka block, or nil when the kafka system
// is not enabled.
func ConfigOf(sc *scenarios.Scenario) *Config {
	if sc == nil {
		return nil
	}
	c, _ := sc.Systems.Get(System).(*Config)
	return c
}

// DefaultConfig is the block the loader resolves for systems.kafka: {}
// (the bridge uses it when a scenario has no kafka block): every default
// filled in, idempotence following acks.
func DefaultConfig() *Config {
	k := defaultConfig()
	v := k.Acks == scenarios.AcksAll
	k.Idempotent = &v
	return k
}

func defaultConfig() *Config {
	return &Config{
		Brokers:            scenarios.DefaultBrokers,
		Topic:              scenarios.Topic{Partitions: scenarios.DefaultPartitions, ReplicationFactor: scenarios.DefaultReplication},
		Producers:          scenarios.DefaultProducers,
		Acks:               scenarios.DefaultAcks,
		Linger:             scenarios.DefaultLinger,
		BatchMaxBytes:      scenarios.DefaultBatchMaxBytes,
		Compression:        scenarios.DefaultCompression,
		MaxBufferedRecords: scenarios.DefaultMaxBuffered,
		Members:            scenarios.DefaultMembers,
		Commit:             scenarios.DefaultCommit,
		CommitMode:         scenarios.DefaultCommitMode,
		StartOffset:        scenarios.DefaultStartOffset,
	}
}

// ConsumerNetwork is the network of sub's consumer group <-> brokers link:
// the subscriber's consumer_network, else its network, else
// systems.kafka.consumer_network. consumer_network lets one scenario put a
// subscriber across the internet from the webhook sender while its Kafka
// consumer runs next to the brokers (scenarios/examples/internet.yaml).
func ConsumerNetwork(sc *scenarios.Scenario, sub scenarios.Subscriber) scenarios.Network {
	if !sub.ConsumerNetwork.IsZero() {
		return sub.ConsumerNetwork
	}
	if !sub.Network.IsZero() {
		return sub.Network
	}
	if k := ConfigOf(sc); k != nil {
		return k.ConsumerNetwork
	}
	return scenarios.Network{}
}

// ProducerNetwork is systems.kafka.producer_network (also the bridge's
// producer, which uses systems.kafka's settings).
func ProducerNetwork(sc *scenarios.Scenario) scenarios.Network {
	if k := ConfigOf(sc); k != nil {
		return k.ProducerNetwork
	}
	return scenarios.Network{}
}

var (
	configKeys = []string{"brokers", "tls", "sasl", "topic", "producers", "acks", "linger", "batch_max_bytes", "compression",
		"idempotent", "max_buffered_records", "members", "commit", "commit_mode", "start_offset", "producer_network", "consumer_network", "faults"}
	topicKeys = []string{"name", "partitions", "replication_factor", "min_insync_replicas", "unclean_leader_election", "configs", "delete_after"}
	tlsKeys   = []string{"ca_file", "cert_file", "key_file", "insecure_skip_verify"}
	saslKeys  = []string{"mechanism", "username_env", "password_env"}
)

const (
	anyLo, anyHi = scenarios.AnyIntLo, scenarios.AnyIntHi
)

func decodeConfig(o *scenarios.Object) scenarios.Block {
	file := o.File()
	k := defaultConfig()
	o.Str("brokers", &k.Brokers)
	o.Int("producers", &k.Producers, anyLo, anyHi)
	o.Enum("acks", &k.Acks, scenarios.AcksNone, scenarios.AcksLeader, scenarios.AcksAll)
	o.Duration("linger", &k.Linger)
	o.Size("batch_max_bytes", &k.BatchMaxBytes)
	o.Enum("compression", &k.Compression, scenarios.Compressions...)
	k.Idempotent = nil
	o.BoolPtr("idempotent", &k.Idempotent)
	if k.Idempotent == nil {
		v := k.Acks == scenarios.AcksAll
		k.Idempotent = &v
	}
	o.Int("max_buffered_records", &k.MaxBufferedRecords, anyLo, anyHi)
	o.Int("members", &k.Members, anyLo, anyHi)
	o.Enum("commit", &k.Commit, scenarios.CommitAuto, scenarios.CommitAfterProcessing)
	if k.Commit == scenarios.CommitAuto {
		o.NotFor([]string{"commit_mode"}, "not used with commit: auto (the client commits on its own timer)", "commit_mode applies to commit: after-processing")
		k.CommitMode = ""
	}
	o.Enum("commit_mode", &k.CommitMode, scenarios.CommitModeSync, scenarios.CommitModeAsync)
	o.Enum("start_offset", &k.StartOffset, scenarios.OffsetEarliest, scenarios.OffsetLatest)
	o.Network("producer_network", &k.ProducerNetwork)
	o.Network("consumer_network", &k.ConsumerNetwork)
	if o.Has("faults") && o.OK() {
		k.Faults = o.BrokerFaults("faults")
	}
	if o.Has("topic") && o.OK() {
		to := o.Object("topic", topicKeys)
		if to == nil {
			return nil
		}
		to.Str("name", &k.Topic.Name)
		to.Int("partitions", &k.Topic.Partitions, anyLo, anyHi)
		to.Int("replication_factor", &k.Topic.ReplicationFactor, anyLo, anyHi)
		to.Bool("delete_after", &k.Topic.DeleteAfter)
		to.Int("min_insync_replicas", &k.Topic.MinInsyncReplicas, anyLo, anyHi)
		to.Bool("unclean_leader_election", &k.Topic.UncleanLeaderElection)
		if to.Has("configs") && to.OK() {
			m, ok := to.StringMap("configs", "a mapping of Kafka topic configs, e.g. {retention.ms: 3600000}")
			if !ok {
				return nil
			}
			k.Topic.Configs = m
		}
	}
	if o.Has("tls") && o.OK() {
		to := o.Object("tls", tlsKeys)
		if to == nil {
			return nil
		}
		k.TLS = &scenarios.KafkaTLS{}
		to.Str("ca_file", &k.TLS.CAFile)
		to.Str("cert_file", &k.TLS.CertFile)
		to.Str("key_file", &k.TLS.KeyFile)
		to.Bool("insecure_skip_verify", &k.TLS.InsecureSkipVerify)
		if (k.TLS.CertFile == "") != (k.TLS.KeyFile == "") {
			missing := "key_file"
			if k.TLS.CertFile == "" {
				missing = "cert_file"
			}
			to.Fail(missing, "a client certificate needs both cert_file and key_file", "")
		}
		// Relative paths are relative to the scenario file, as in
		// docker-compose files.
		if dir := filepath.Dir(file); file != "" && dir != "." {
			for _, p := range []*string{&k.TLS.CAFile, &k.TLS.CertFile, &k.TLS.KeyFile} {
				if *p != "" && !filepath.IsAbs(*p) {
					*p = filepath.Join(dir, *p)
				}
			}
		}
	}
	if o.Has("sasl") && o.OK() {
		so := o.Object("sasl", saslKeys)
		if so == nil {
			return nil
		}
		so.Require("SASL needs a mechanism and the names of the environment variables holding the credentials", saslKeys...)
		k.SASL = &scenarios.KafkaSASL{}
		so.Enum("mechanism", &k.SASL.Mechanism, scenarios.SASLMechanisms...)
		so.Str("username_env", &k.SASL.UsernameEnv)
		so.Str("password_env", &k.SASL.PasswordEnv)
	}
	return k
}

var sweep = []scenarios.SweepParam{
	{Path: "kafka.topic.partitions", Unit: "count", Doc: "topic partitions", Integer: true, Min: 1, Max: scenarios.MaxPartitions,
		Apply: func(b scenarios.Block, v float64) { b.(*Config).Topic.Partitions = int(v) }},
	{Path: "kafka.topic.replication_factor", Unit: "count", Doc: "topic replication factor", Integer: true, Min: 1, Max: scenarios.MaxReplication,
		Apply: func(b scenarios.Block, v float64) { b.(*Config).Topic.ReplicationFactor = int(v) }},
	{Path: "kafka.members", Unit: "count", Doc: "clients per consumer group", Integer: true, Min: 1, Max: scenarios.MaxClients,
		Apply: func(b scenarios.Block, v float64) { b.(*Config).Members = int(v) }},
	{Path: "kafka.producers", Unit: "count", Doc: "producer clients sharing the schedule", Integer: true, Min: 1, Max: scenarios.MaxClients,
		Apply: func(b scenarios.Block, v float64) { b.(*Config).Producers = int(v) }},
	{Path: "kafka.linger_ms", Unit: "ms", Doc: "producer linger", Min: 0, Max: float64(scenarios.MaxLinger / scenarios.Duration(time.Millisecond)),
		Apply: func(b scenarios.Block, v float64) { b.(*Config).Linger = scenarios.Ms(v) }},
	{Path: "kafka.batch_max_bytes", Unit: "bytes", Doc: "producer batch size limit", Integer: true, Min: float64(scenarios.MinBatchMaxBytes), Max: float64(scenarios.MaxBatchMaxBytes),
		Apply: func(b scenarios.Block, v float64) { b.(*Config).BatchMaxBytes = scenarios.ByteSize(v) }},
	{Path: "kafka.max_buffered_records", Unit: "count", Doc: "producer buffer bound", Integer: true, Min: 1, Max: scenarios.MaxBufferedRecords,
		Apply: func(b scenarios.Block, v float64) { b.(*Config).MaxBufferedRecords = int(v) }},
}

// CloneBlock implements scenarios.Block.
func (k *Config) CloneBlock() scenarios.Block {
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
	if k.Idempotent != nil {
		v := *k.Idempotent
		ck.Idempotent = &v
	}
	ck.Faults = scenarios.CloneBrokerFaults(k.Faults)
	return &ck
}

var topicName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)

// CheckBlock implements scenarios.BlockChecker.
func (k *Config) CheckBlock(c *scenarios.Checker, s *scenarios.Scenario, p string) {
	if err := scenarios.CheckBrokers(k.Brokers); err != nil {
		e := err.(*scenarios.Error)
		c.Add(p+".brokers", e.Msg, e.Allowed)
	}
	embedded := scenarios.EmbeddedBrokers(k.Brokers)
	if k.TLS != nil && embedded {
		c.Add(p+".tls", "TLS applies to real clusters; the embedded broker is in-process", "set brokers to host:port")
	}
	if k.TLS != nil {
		c.TLSFiles(p+".tls", k.TLS)
	}
	if k.SASL != nil {
		if embedded {
			c.Add(p+".sasl", "SASL applies to real clusters; the embedded broker is in-process", "set brokers to host:port")
		}
		c.Enum(p+".sasl.mechanism", k.SASL.Mechanism, scenarios.SASLMechanisms...)
		for _, e := range []struct{ key, v string }{{"username_env", k.SASL.UsernameEnv}, {"password_env", k.SASL.PasswordEnv}} {
			if !scenarios.IsEnvName(e.v) {
				c.Add(p+".sasl."+e.key, scenarios.NotEnvName(e.v)+" (credentials never go in the file)", scenarios.AllowedEnvName+", such as KAFKA_PASSWORD")
			}
		}
	}
	t := k.Topic
	if t.Name != "" && (!topicName.MatchString(t.Name) || t.Name == "." || t.Name == "..") {
		c.Add(p+".topic.name", fmt.Sprintf("%q is not a valid Kafka topic name", t.Name), "1 to 249 of letters, digits, '.', '_', '-'")
	}
	c.IntRange(p+".topic.partitions", t.Partitions, 1, scenarios.MaxPartitions, "")
	c.IntRange(p+".topic.replication_factor", t.ReplicationFactor, 1, scenarios.MaxReplication, "")
	if t.MinInsyncReplicas != 0 {
		c.IntRange(p+".topic.min_insync_replicas", t.MinInsyncReplicas, 1, max(t.ReplicationFactor, 1), "at most replication_factor; leave it out for the cluster's default")
	}
	// The durability keys and topic.configs must not say it twice.
	for _, d := range []struct {
		key, config string
		set         bool
	}{
		{"min_insync_replicas", "min.insync.replicas", t.MinInsyncReplicas != 0},
		{"unclean_leader_election", "unclean.leader.election.enable", true},
	} {
		if _, ok := t.Configs[d.config]; ok && d.set {
			c.Add(p+".topic.configs."+d.config, fmt.Sprintf("%s is set by topic.%s", d.config, d.key), "set topic."+d.key+" only")
		}
	}
	c.IntRange(p+".producers", k.Producers, 1, scenarios.MaxClients, "producer clients sharing the schedule")
	c.Enum(p+".acks", k.Acks, scenarios.AcksNone, scenarios.AcksLeader, scenarios.AcksAll)
	c.DurRange(p+".linger", k.Linger, false, scenarios.MaxLinger)
	if k.BatchMaxBytes < scenarios.MinBatchMaxBytes || k.BatchMaxBytes > scenarios.MaxBatchMaxBytes {
		c.Add(p+".batch_max_bytes", fmt.Sprintf("%v is out of range", k.BatchMaxBytes), fmt.Sprintf("%v to %v", scenarios.MinBatchMaxBytes, scenarios.MaxBatchMaxBytes))
	}
	c.Enum(p+".compression", k.Compression, scenarios.Compressions...)
	if k.Idempotent != nil && *k.Idempotent && k.Acks != scenarios.AcksAll {
		c.Add(p+".idempotent", fmt.Sprintf("an idempotent producer requires acks: all (acks is %s)", k.Acks), "idempotent: false, or acks: all")
	}
	c.IntRange(p+".max_buffered_records", k.MaxBufferedRecords, 1, scenarios.MaxBufferedRecords, "")
	c.IntRange(p+".members", k.Members, 1, scenarios.MaxClients, "clients per consumer group")
	c.Enum(p+".commit", k.Commit, scenarios.CommitAuto, scenarios.CommitAfterProcessing)
	if k.Commit == scenarios.CommitAfterProcessing {
		c.Enum(p+".commit_mode", k.CommitMode, scenarios.CommitModeSync, scenarios.CommitModeAsync)
	}
	c.Enum(p+".start_offset", k.StartOffset, scenarios.OffsetEarliest, scenarios.OffsetLatest)
	c.BrokerFaults(p+".faults", s, k.Faults, k.Topic.Partitions)
	c.BatchFits(s, k.BatchMaxBytes, p+".batch_max_bytes")
}

// RedactBlock implements scenarios.BlockRedactor: free-form topic configs
// whose key names a credential.
func (k *Config) RedactBlock() {
	for key := range k.Topic.Configs {
		if scenarios.Secretish(key) {
			k.Topic.Configs[key] = scenarios.RedactedMark
		}
	}
}

// retentionKeys are topic configs holding a time in milliseconds that
// time_scale compresses with the rest of the scenario.
var retentionKeys = []string{"retention.ms"}

// ScaleBlock implements scenarios.BlockScaler.
func (k *Config) ScaleBlock(c func(*scenarios.Duration), f float64) {
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

// Links implements scenarios.BlockLinks.
func (k *Config) Links() []scenarios.Link {
	return []scenarios.Link{{Key: "producer_network", Network: k.ProducerNetwork}, {Key: "consumer_network", Network: k.ConsumerNetwork}}
}
