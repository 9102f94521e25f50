package kafka

import (
	"crypto/tls"
	"crypto/x509"
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

// Defaults applied when the scenario leaves a field zero. They mirror the
// documented defaults of scenarios.Kafka, so a scenario built in Go behaves
// like one loaded from YAML.
const (
	DefaultPartitions         = 12
	DefaultReplicationFactor  = 1
	DefaultProducers          = 1
	DefaultLinger             = 5 * time.Millisecond
	DefaultBatchMaxBytes      = 1 << 20
	DefaultMaxBufferedRecords = 100000
	DefaultMembers            = 1
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

// Resolve turns a systems.kafka block (nil means "all defaults") and the
// --brokers override ("" keeps the scenario's) into Settings.
func Resolve(k *scenarios.Kafka, brokersOverride string) (Settings, error) {
	var in scenarios.Kafka
	if k != nil {
		in = *k
	}
	s := Settings{
		TLS:                in.TLS,
		SASL:               in.SASL,
		Topic:              in.Topic.Name,
		TopicConfigs:       in.Topic.Configs,
		DeleteAfter:        in.Topic.DeleteAfter,
		Producers:          in.Producers,
		Acks:               strings.ToLower(in.Acks),
		Linger:             in.Linger.D(),
		Compression:        strings.ToLower(in.Compression),
		MaxBufferedRecords: in.MaxBufferedRecords,
		Members:            in.Members,
		Commit:             in.Commit,
		CommitMode:         in.CommitMode,
		StartOffset:        in.StartOffset,
	}
	brokers := strings.TrimSpace(in.Brokers)
	if o := strings.TrimSpace(brokersOverride); o != "" {
		brokers = o
	}
	if brokers == "" || strings.EqualFold(brokers, Embedded) {
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
	s.Partitions = int32(in.Topic.Partitions)
	if in.Topic.Partitions == 0 {
		s.Partitions = DefaultPartitions
	}
	if in.Topic.Partitions < 0 || in.Topic.Partitions > 100000 {
		return s, fmt.Errorf("kafka topic partitions %d: want 1..100000", in.Topic.Partitions)
	}
	s.ReplicationFactor = int16(in.Topic.ReplicationFactor)
	if in.Topic.ReplicationFactor == 0 {
		s.ReplicationFactor = DefaultReplicationFactor
	}
	if in.Topic.ReplicationFactor < 0 || in.Topic.ReplicationFactor > 32767 {
		return s, fmt.Errorf("kafka topic replication_factor %d: want >= 1", in.Topic.ReplicationFactor)
	}
	if s.Producers == 0 {
		s.Producers = DefaultProducers
	}
	if s.Producers < 0 {
		return s, fmt.Errorf("kafka producers %d: want >= 1", s.Producers)
	}
	switch s.Acks {
	case "":
		s.Acks = AcksAll
	case Acks0, Acks1, AcksAll:
	case "-1":
		s.Acks = AcksAll
	default:
		return s, fmt.Errorf("kafka acks %q: want 0, 1 or all", in.Acks)
	}
	if in.Linger == 0 {
		s.Linger = DefaultLinger
	}
	if s.Linger < 0 {
		return s, fmt.Errorf("kafka linger %s: want >= 0", s.Linger)
	}
	switch {
	case in.BatchMaxBytes == 0:
		s.BatchMaxBytes = DefaultBatchMaxBytes
	case in.BatchMaxBytes < 1 || in.BatchMaxBytes > 1<<30:
		return s, fmt.Errorf("kafka batch_max_bytes %d: want 1B..1GiB", in.BatchMaxBytes)
	default:
		s.BatchMaxBytes = int32(in.BatchMaxBytes)
	}
	switch s.Compression {
	case "":
		s.Compression = "none"
	case "none", "gzip", "snappy", "lz4", "zstd":
	default:
		return s, fmt.Errorf("kafka compression %q: want none, gzip, snappy, lz4 or zstd", in.Compression)
	}
	// The idempotent producer needs acks=all; its default follows acks so
	// that "acks: 1" alone is a valid scenario.
	if in.Idempotent == nil {
		s.Idempotent = s.Acks == AcksAll
	} else {
		s.Idempotent = *in.Idempotent
		if s.Idempotent && s.Acks != AcksAll {
			return s, fmt.Errorf("kafka idempotent: true needs acks: all (acks is %s)", s.Acks)
		}
	}
	if s.MaxBufferedRecords == 0 {
		s.MaxBufferedRecords = DefaultMaxBufferedRecords
	}
	if s.MaxBufferedRecords < 0 {
		return s, fmt.Errorf("kafka max_buffered_records %d: want >= 1", s.MaxBufferedRecords)
	}
	if s.Members == 0 {
		s.Members = DefaultMembers
	}
	if s.Members < 0 {
		return s, fmt.Errorf("kafka members %d: want >= 1", s.Members)
	}
	switch s.Commit {
	case "":
		s.Commit = CommitAfterProcessing
	case CommitAuto, CommitAfterProcessing:
	default:
		return s, fmt.Errorf("kafka commit %q: want auto or after-processing", in.Commit)
	}
	switch s.CommitMode {
	case "":
		s.CommitMode = CommitAsync
	case CommitSync, CommitAsync:
	default:
		return s, fmt.Errorf("kafka commit_mode %q: want sync or async", in.CommitMode)
	}
	switch s.StartOffset {
	case "":
		s.StartOffset = StartEarliest
	case StartEarliest, StartLatest:
	default:
		return s, fmt.Errorf("kafka start_offset %q: want earliest or latest", in.StartOffset)
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
