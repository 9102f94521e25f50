package kafka

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kversion"
)

// EmbeddedKind is the broker kind of the in-process broker. Reports
// recognise it by the point's broker_embedded field, not by this text.
const EmbeddedKind = "embedded in-memory broker (kfake; not disk-backed)"

// kfakeClusterID is the cluster id a kfake cluster reports unless told
// otherwise; BrokerKind uses it to recognise an embedded broker reached by
// address.
const kfakeClusterID = "kfake"

// embeddedSegmentBytes is the embedded broker's log segment size.
const embeddedSegmentBytes = 1 << 20

// StartEmbedded starts an in-process kfake cluster on 127.0.0.1 ephemeral
// ports: one broker (unless extra says kfake.NumBrokers), in memory, gone
// when closed. Every point gets its own.
func StartEmbedded(extra ...kfake.Opt) (*kfake.Cluster, error) {
	opts := append([]kfake.Opt{
		kfake.NumBrokers(1),
		kfake.ClusterID(kfakeClusterID),
		kfake.DefaultNumPartitions(DefaultPartitions),
		// Consumed records are deleted during a run (Groups'
		// TrimConsumed), but kfake frees memory only by whole segments:
		// small segments keep what a deletion frees close to what it
		// deletes (the default, 100 MiB per partition, would keep up to
		// that much per partition alive).
		kfake.BrokerConfigs(map[string]string{"log.segment.bytes": strconv.Itoa(embeddedSegmentBytes)}),
	}, extra...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start embedded kafka broker: %w", err)
	}
	return c, nil
}

// BrokerKind asks the cluster at brokers (a comma-separated host:port list,
// or "embedded") what it is: for a real cluster, the Apache Kafka release
// its ApiVersions match (patch versions are not visible on the wire), its
// finalized metadata.version feature level, cluster id and broker count. A
// cluster whose id is kfake's is reported as the embedded broker. opts adds
// connection options (TLS, SASL; see Settings.ConnOpts).
func BrokerKind(ctx context.Context, brokers string, opts ...kgo.Opt) (kind string, embedded bool, err error) {
	b := strings.TrimSpace(brokers)
	if b == "" || strings.EqualFold(b, Embedded) {
		return EmbeddedKind, true, nil
	}
	var seeds []string
	for _, s := range strings.Split(b, ",") {
		if s = strings.TrimSpace(s); s != "" {
			seeds = append(seeds, s)
		}
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(seeds...)}, opts...)...)
	if err != nil {
		return "", false, fmt.Errorf("broker kind: %w", err)
	}
	defer cl.Close()
	return brokerKind(ctx, kadm.NewClient(cl))
}

func brokerKind(ctx context.Context, adm *kadm.Client) (string, bool, error) {
	var meta kadm.Metadata
	err := retryStep(ctx, "broker metadata", func(ctx context.Context) error {
		var err error
		meta, err = adm.BrokerMetadata(ctx)
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("broker kind: %w", err)
	}
	if meta.Cluster == kfakeClusterID {
		return fmt.Sprintf("%s at %s", EmbeddedKind, hostPorts(meta.Brokers)), true, nil
	}
	var vs kadm.BrokersApiVersions
	err = retryStep(ctx, "api versions", func(ctx context.Context) error {
		var err error
		vs, err = adm.ApiVersions(ctx)
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("broker kind: %w", err)
	}
	guesses := map[string]bool{}
	level := int16(-1)
	var firstErr error
	vs.Each(func(v kadm.BrokerApiVersions) {
		if v.Err != nil {
			if firstErr == nil {
				firstErr = v.Err
			}
			return
		}
		kv := kversion.FromApiVersionsResponse(v.Raw())
		guesses[kv.VersionGuess()] = true
		kv.EachFinalizedFeature(func(name string, l int16) {
			if name == "metadata.version" && l > level {
				level = l
			}
		})
	})
	if len(guesses) == 0 {
		return "", false, fmt.Errorf("broker kind: no broker answered ApiVersions: %w", firstErr)
	}
	var gs []string
	for g := range guesses {
		gs = append(gs, g)
	}
	sort.Strings(gs)
	guess := strings.Join(gs, ", ")
	name := "Apache Kafka " + guess
	if len(gs) == 1 && !strings.HasPrefix(guess, "v") && !strings.HasPrefix(guess, "at least") {
		// Not a release's exact API set: say what is known, not a name.
		name = "Kafka-protocol broker (API versions: " + guess + ")"
	}
	var extra []string
	extra = append(extra, "version from ApiVersions")
	if level >= 0 {
		extra = append(extra, fmt.Sprintf("metadata.version level %d", level))
	}
	if meta.Cluster != "" {
		extra = append(extra, "cluster "+meta.Cluster)
	}
	n := len(meta.Brokers)
	plural := "s"
	if n == 1 {
		plural = ""
	}
	extra = append(extra, fmt.Sprintf("%d broker%s at %s", n, plural, hostPorts(meta.Brokers)))
	return fmt.Sprintf("%s (%s)", name, strings.Join(extra, "; ")), false, nil
}

// EmbeddedNodes is how many brokers the embedded cluster starts for the
// settings: as many as the replication factor and min.insync.replicas
// need (at least one), so a durability scenario runs on it. The nodes are
// in one process and share one in-memory log per partition: the topic's
// metadata names replicas and leaders on different nodes, and clients
// fail over between them, but nothing is copied between them and
// min.insync.replicas is not enforced (EmbeddedNodesNote says so).
func (s Settings) EmbeddedNodes() int {
	n := max(1, int(s.ReplicationFactor), s.MinInsyncReplicas)
	if v, ok := s.TopicConfigs["min.insync.replicas"]; ok {
		if m, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			n = max(n, m)
		}
	}
	return min(n, maxEmbeddedNodes)
}

// maxEmbeddedNodes bounds the embedded cluster (each node is a listener
// and goroutines, not memory for data): larger settings are refused by
// CheckClusterSize as on a real cluster.
const maxEmbeddedNodes = 9

// EmbeddedNodesNote tells results readers what a multi-node embedded
// cluster is and is not.
func EmbeddedNodesNote(n int) string {
	return fmt.Sprintf("kafka: the embedded broker ran %d in-process kfake nodes so the topic's replication factor fits: partition leaders and replicas are spread over them and clients fail over between them, but the nodes share one in-memory log (no replication traffic, no ISR changes, min.insync.replicas and acks not enforced by replication)", n)
}

// brokerCount is the number of brokers the cluster's metadata lists.
func brokerCount(ctx context.Context, adm *kadm.Client) (int, error) {
	var meta kadm.Metadata
	err := retryStep(ctx, "broker metadata", func(ctx context.Context) error {
		var err error
		meta, err = adm.BrokerMetadata(ctx)
		return err
	})
	if err != nil {
		return 0, err
	}
	return len(meta.Brokers), nil
}

func hostPorts(bs kadm.BrokerDetails) string {
	var out []string
	for _, b := range bs {
		out = append(out, fmt.Sprintf("%s:%d", b.Host, b.Port))
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}
