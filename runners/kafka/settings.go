package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/evbench/evbench/internal/secretenv"
	"github.com/evbench/evbench/scenarios"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Embedded is the brokers value that selects the in-process kfake broker.
const Embedded = "embedded"

// Acks values.
const (
	Acks0   = "0"
	Acks1   = "1"
	AcksAll = "all"
)

// Commit policies.
const (
	CommitAuto            = "auto"
	CommitAfterProcessing = "after-processing"
	CommitSync            = "sync"
	CommitAsync           = "async"
)

// Start offsets for new consumer groups.
const (
	StartEarliest = "earliest"
	StartLatest   = "latest"
)

// Defaults of a systems.kafka block. They are the loader's
// (DefaultConfig), named here for tools that build settings
// without a scenario file; Resolve never applies them.
const (
	DefaultPartitions         = scenarios.DefaultPartitions
	DefaultReplicationFactor  = scenarios.DefaultReplication
	DefaultProducers          = scenarios.DefaultProducers
	DefaultLinger             = time.Duration(scenarios.DefaultLinger)
	DefaultBatchMaxBytes      = int(scenarios.DefaultBatchMaxBytes)
	DefaultMaxBufferedRecords = scenarios.DefaultMaxBuffered
	DefaultMembers            = scenarios.DefaultMembers
	// DefaultAutoCommitInterval is how often commit: auto commits the
	// offsets of processed records (Kafka's auto.commit.interval.ms).
	DefaultAutoCommitInterval = 5 * time.Second
)

// Settings is a systems.kafka block resolved: defaults filled in, values
// checked, brokers split. Credentials are not in it, only the names of the
// environment variables that hold them, so a Settings value is safe to log.
type Settings struct {
	// Brokers are host:port seeds; empty when Embedded is true.
	Brokers  []string
	Embedded bool
	TLS      *scenarios.KafkaTLS
	SASL     *scenarios.KafkaSASL

	// Topic is the scenario's topic name ("" = a fresh auto-named topic per point).
	Topic             string
	Partitions        int32
	ReplicationFactor int16
	TopicConfigs      map[string]string
	DeleteAfter       bool
	// MinInsyncReplicas is the topic's min.insync.replicas (0: the
	// cluster's default); UncleanLeaderElection its
	// unclean.leader.election.enable.
	MinInsyncReplicas     int
	UncleanLeaderElection bool

	Producers          int
	Acks               string
	Linger             time.Duration
	BatchMaxBytes      int32
	Compression        string
	Idempotent         bool
	MaxBufferedRecords int

	Members     int
	Commit      string
	CommitMode  string
	StartOffset string
}

// Resolve converts a systems.kafka block, as the scenario loader resolved
// it, and the --brokers override ("" keeps the scenario's) into Settings.
// Defaults and limits belong to the loader alone (DefaultConfig,
// scenarios' validation): nil means "no kafka block" and takes the loader's
// defaults; every other value is used as given, zeros included (linger: 0s
// is no linger). A value outside the loader's limits (only possible for a
// block built in Go) is an error naming the setting, never replaced.
func Resolve(k *Config, brokersOverride string) (Settings, error) {
	if k == nil {
		k = DefaultConfig()
	}
	in := *k
	s := Settings{
		TLS:                   in.TLS,
		SASL:                  in.SASL,
		Topic:                 in.Topic.Name,
		Partitions:            int32(in.Topic.Partitions),
		ReplicationFactor:     int16(in.Topic.ReplicationFactor),
		TopicConfigs:          in.Topic.Configs,
		DeleteAfter:           in.Topic.DeleteAfter,
		MinInsyncReplicas:     in.Topic.MinInsyncReplicas,
		UncleanLeaderElection: in.Topic.UncleanLeaderElection,
		Producers:             in.Producers,
		Acks:                  in.Acks,
		Linger:                in.Linger.D(),
		BatchMaxBytes:         int32(in.BatchMaxBytes),
		Compression:           in.Compression,
		MaxBufferedRecords:    in.MaxBufferedRecords,
		Members:               in.Members,
		Commit:                in.Commit,
		CommitMode:            in.CommitMode,
		StartOffset:           in.StartOffset,
	}
	brokers := strings.TrimSpace(in.Brokers)
	if o := strings.TrimSpace(brokersOverride); o != "" {
		brokers = o
	}
	if scenarios.EmbeddedBrokers(brokers) {
		s.Embedded = true
	} else {
		for _, b := range strings.Split(brokers, ",") {
			if b = strings.TrimSpace(b); b != "" {
				s.Brokers = append(s.Brokers, b)
			}
		}
		if len(s.Brokers) == 0 {
			return s, fmt.Errorf("kafka brokers %q: no host:port given", brokers)
		}
	}
	if s.Embedded && (s.TLS != nil || s.SASL != nil) {
		return s, fmt.Errorf("kafka tls/sasl need real brokers (brokers is %q)", Embedded)
	}
	type intSetting struct {
		key    string
		v, max int64
	}
	for _, c := range []intSetting{
		{"topic.partitions", int64(in.Topic.Partitions), scenarios.MaxPartitions},
		{"topic.replication_factor", int64(in.Topic.ReplicationFactor), scenarios.MaxReplication},
		{"producers", int64(in.Producers), scenarios.MaxClients},
		{"max_buffered_records", int64(in.MaxBufferedRecords), scenarios.MaxBufferedRecords},
		{"members", int64(in.Members), scenarios.MaxClients},
	} {
		if c.v < 1 || c.v > c.max {
			return s, fmt.Errorf("kafka %s %d: want 1..%d", c.key, c.v, c.max)
		}
	}
	if m := in.Topic.MinInsyncReplicas; m < 0 || m > in.Topic.ReplicationFactor {
		return s, fmt.Errorf("kafka topic.min_insync_replicas %d: want 1..replication_factor (%d), or 0 for the cluster's default", m, in.Topic.ReplicationFactor)
	}
	if in.Linger < 0 || in.Linger > scenarios.MaxLinger {
		return s, fmt.Errorf("kafka linger %s: want 0s..%s", in.Linger.D(), scenarios.MaxLinger.D())
	}
	if in.BatchMaxBytes < scenarios.MinBatchMaxBytes || in.BatchMaxBytes > scenarios.MaxBatchMaxBytes {
		return s, fmt.Errorf("kafka batch_max_bytes %v: want %v..%v", in.BatchMaxBytes, scenarios.MinBatchMaxBytes, scenarios.MaxBatchMaxBytes)
	}
	enum := func(key, v string, allowed ...string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return fmt.Errorf("kafka %s %q: want one of %s", key, v, strings.Join(allowed, ", "))
	}
	if err := errors.Join(
		enum("acks", s.Acks, Acks0, Acks1, AcksAll),
		enum("compression", s.Compression, scenarios.Compressions...),
		enum("commit", s.Commit, CommitAuto, CommitAfterProcessing),
		enum("start_offset", s.StartOffset, StartEarliest, StartLatest),
	); err != nil {
		return s, err
	}
	if s.Commit == CommitAfterProcessing {
		if err := enum("commit_mode", s.CommitMode, CommitSync, CommitAsync); err != nil {
			return s, err
		}
	}
	// The loader always sets idempotent; nil in a block built in Go means
	// what Config documents for an unset value: follow acks.
	if in.Idempotent == nil {
		s.Idempotent = s.Acks == AcksAll
	} else {
		s.Idempotent = *in.Idempotent
		if s.Idempotent && s.Acks != AcksAll {
			return s, fmt.Errorf("kafka idempotent: true needs acks: all (acks is %s)", s.Acks)
		}
	}
	return s, nil
}

// ConnOpts returns the client options that reach the brokers: seeds, TLS
// and SASL. SASL credentials are read from the named environment variables
// here and only live inside the returned options; they are never logged
// and never written to results. Embedded settings need the embedded
// cluster's addresses, so pass them as brokers (nil uses s.Brokers).
func (s Settings) ConnOpts(brokers []string) ([]kgo.Opt, error) {
	if brokers == nil {
		brokers = s.Brokers
	}
	if len(brokers) == 0 {
		return nil, fmt.Errorf("kafka: no brokers to connect to")
	}
	opts := []kgo.Opt{kgo.SeedBrokers(brokers...)}
	if s.TLS != nil {
		cfg, err := tlsConfig(s.TLS)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	if s.SASL != nil {
		m, err := saslMechanism(s.SASL)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}

func tlsConfig(t *scenarios.KafkaTLS) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // opt-in for test clusters
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kafka tls ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka tls ca_file %s: no PEM certificate in it", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, fmt.Errorf("kafka tls: cert_file and key_file go together (got cert_file %q, key_file %q)", t.CertFile, t.KeyFile)
	}
	if t.CertFile != "" {
		c, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("kafka tls client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	return cfg, nil
}

// SASL mechanisms.
const (
	SASLPlain       = "plain"
	SASLScramSHA256 = "scram-sha-256"
	SASLScramSHA512 = "scram-sha-512"
)

func saslMechanism(a *scenarios.KafkaSASL) (sasl.Mechanism, error) {
	user, pass := "", ""
	if a.UsernameEnv == "" || a.PasswordEnv == "" {
		return nil, fmt.Errorf("kafka sasl: username_env and password_env must name environment variables")
	}
	var err error
	if user, err = secretenv.Get(a.UsernameEnv, "sasl.username_env"); err != nil {
		return nil, fmt.Errorf("kafka sasl: %w", err)
	}
	if pass, err = secretenv.Get(a.PasswordEnv, "sasl.password_env"); err != nil {
		return nil, fmt.Errorf("kafka sasl: %w", err)
	}
	switch strings.ToLower(a.Mechanism) {
	case SASLPlain:
		return plain.Auth{User: user, Pass: pass}.AsMechanism(), nil
	case SASLScramSHA256:
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism(), nil
	case SASLScramSHA512:
		return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism(), nil
	default:
		return nil, fmt.Errorf("kafka sasl mechanism %q: want plain, scram-sha-256 or scram-sha-512", a.Mechanism)
	}
}
