package kafka

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// TopicSpec is the topic set-up of a point.
type TopicSpec struct {
	Name              string
	Partitions        int32
	ReplicationFactor int16
	// Configs are topic configs (retention.ms, min.insync.replicas, ...).
	Configs map[string]string
}

// TopicMismatchError says that an existing topic differs from the scenario.
// Reusing it silently would measure something other than what the scenario
// describes, so the point fails instead.
type TopicMismatchError struct {
	Topic      string
	What       string // "partitions", "replication factor" or a config name
	Have, Want string
}

// Error names the topic, what differs and both values.
func (e *TopicMismatchError) Error() string {
	return fmt.Sprintf("kafka topic %q already exists with %s %s, but the scenario wants %s: "+
		"delete the topic, change systems.kafka.topic to match, or leave topic.name unset for a fresh topic per point",
		e.Topic, e.What, e.Have, e.Want)
}

// stepTimeout bounds the retries of one set-up step (describe, create,
// leader wait, start offsets, commits): long enough for a controller
// election or a leader move on a real cluster, short enough that a broken
// cluster is reported within a minute.
var stepTimeout = 30 * time.Second

// StepError is a set-up step that failed: it names the step, and whether
// it gave up after retrying retriable errors until its deadline.
type StepError struct {
	Step     string
	Attempts int
	TimedOut bool
	Err      error
}

// Error names the step and the last error.
func (e *StepError) Error() string {
	if e.TimedOut {
		return fmt.Sprintf("kafka set-up step %q still failing after %s (%d attempts, retriable errors retried): %v", e.Step, stepTimeout, e.Attempts, e.Err)
	}
	return fmt.Sprintf("kafka set-up step %q: %v", e.Step, e.Err)
}

// Unwrap returns the last error.
func (e *StepError) Unwrap() error { return e.Err }

// Retriable reports whether a set-up error may go away by itself: a
// retriable Kafka error (kerr.IsRetriable: NOT_LEADER_OR_FOLLOWER,
// UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, NOT_CONTROLLER,
// COORDINATOR_NOT_AVAILABLE, ...) or a failed connection (a broker
// restarting).
func Retriable(err error) bool {
	var ne net.Error
	return kerr.IsRetriable(err) || errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF)
}

// retryStep runs f until it succeeds, fails with an error that is not
// Retriable, ctx ends, or stepTimeout passes; the error is a *StepError
// naming step.
func retryStep(ctx context.Context, step string, f func(ctx context.Context) error) error {
	deadline := time.Now().Add(stepTimeout)
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := f(ctx)
		if err == nil {
			return nil
		}
		if !Retriable(err) {
			return &StepError{Step: step, Attempts: attempt, Err: err}
		}
		if time.Now().Add(backoff).After(deadline) {
			return &StepError{Step: step, Attempts: attempt, TimedOut: true, Err: err}
		}
		select {
		case <-ctx.Done():
			return &StepError{Step: step, Attempts: attempt, Err: fmt.Errorf("%w (last error: %v)", ctx.Err(), err)}
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// EnsureTopic creates the topic when it is missing and checks it when it
// exists: a different partition count, replication factor or any config
// named in spec is a *TopicMismatchError. created says whether this call
// created it. On return every partition has a leader.
func EnsureTopic(ctx context.Context, adm *kadm.Client, spec TopicSpec) (created bool, err error) {
	if spec.Name == "" {
		return false, fmt.Errorf("kafka topic: empty name")
	}
	var exists bool
	err = retryStep(ctx, "describe topic "+spec.Name, func(ctx context.Context) error {
		var err error
		exists, err = checkTopic(ctx, adm, spec)
		return err
	})
	if err != nil {
		return false, err
	}
	if !exists {
		cfgs := make(map[string]*string, len(spec.Configs))
		for k, v := range spec.Configs {
			cfgs[k] = &v
		}
		err = retryStep(ctx, "create topic "+spec.Name, func(ctx context.Context) error {
			resp, err := adm.CreateTopic(ctx, spec.Partitions, spec.ReplicationFactor, cfgs, spec.Name)
			switch {
			case err == nil && resp.Err == nil:
				created = true
				return nil
			case errors.Is(err, kerr.TopicAlreadyExists) || errors.Is(resp.Err, kerr.TopicAlreadyExists):
				// Created concurrently, or by an earlier attempt whose
				// answer was lost: check it like any existing topic.
				_, err := checkTopic(ctx, adm, spec)
				return err
			case err != nil:
				return err
			default:
				msg := ""
				if resp.ErrMessage != "" {
					msg = " (" + resp.ErrMessage + ")"
				}
				return fmt.Errorf("%d partitions, replication factor %d: %w%s", spec.Partitions, spec.ReplicationFactor, resp.Err, msg)
			}
		})
		if err != nil {
			return false, err
		}
	}
	return created, waitLeaders(ctx, adm, spec)
}

// checkTopic reports whether the topic exists and, when it does, whether it
// matches spec.
func checkTopic(ctx context.Context, adm *kadm.Client, spec TopicSpec) (bool, error) {
	tds, err := adm.ListTopics(ctx, spec.Name)
	if err != nil {
		return false, fmt.Errorf("describe kafka topic %q: %w", spec.Name, err)
	}
	td, ok := tds[spec.Name]
	if !ok || errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
		return false, nil
	}
	if td.Err != nil {
		return false, fmt.Errorf("describe kafka topic %q: %w", spec.Name, td.Err)
	}
	if n := int32(len(td.Partitions)); n != spec.Partitions {
		return true, &TopicMismatchError{Topic: spec.Name, What: "partitions", Have: fmt.Sprint(n), Want: fmt.Sprint(spec.Partitions)}
	}
	if rf := int16(td.Partitions.NumReplicas()); rf != spec.ReplicationFactor {
		return true, &TopicMismatchError{Topic: spec.Name, What: "replication factor", Have: fmt.Sprint(rf), Want: fmt.Sprint(spec.ReplicationFactor)}
	}
	if len(spec.Configs) == 0 {
		return true, nil
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, spec.Name)
	if err != nil {
		return true, fmt.Errorf("describe kafka topic %q configs: %w", spec.Name, err)
	}
	rc, err := rcs.On(spec.Name, nil)
	if err != nil {
		return true, fmt.Errorf("describe kafka topic %q configs: %w", spec.Name, err)
	}
	have := map[string]string{}
	for _, c := range rc.Configs {
		have[c.Key] = c.MaybeValue()
	}
	keys := make([]string, 0, len(spec.Configs))
	for k := range spec.Configs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if h, ok := have[k]; !ok || h != spec.Configs[k] {
			if !ok {
				h = "(unset)"
			}
			return true, &TopicMismatchError{Topic: spec.Name, What: "config " + k, Have: h, Want: spec.Configs[k]}
		}
	}
	return true, nil
}

// waitLeaders waits until every partition has a leader that answers: the
// metadata names a leader for each, and listing the start and end offsets
// succeeds for each (right after creation a multi-broker cluster can name
// a leader in metadata that does not yet know it leads:
// NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION).
func waitLeaders(ctx context.Context, adm *kadm.Client, spec TopicSpec) error {
	return retryStep(ctx, "wait for partition leaders of "+spec.Name, func(ctx context.Context) error {
		tds, err := adm.ListTopics(ctx, spec.Name)
		if err != nil {
			return err
		}
		td, ok := tds[spec.Name]
		switch {
		case !ok:
			return kerr.UnknownTopicOrPartition
		case td.Err != nil:
			return td.Err
		case int32(len(td.Partitions)) != spec.Partitions:
			return fmt.Errorf("metadata lists %d of %d partitions: %w", len(td.Partitions), spec.Partitions, kerr.LeaderNotAvailable)
		}
		for _, p := range td.Partitions {
			if p.Err != nil {
				return fmt.Errorf("partition %d: %w", p.Partition, p.Err)
			}
			if p.Leader < 0 {
				return fmt.Errorf("partition %d: %w", p.Partition, kerr.LeaderNotAvailable)
			}
		}
		if _, err := ListOffsets(ctx, adm, spec.Name, false, spec.Partitions); err != nil {
			return err
		}
		_, err = ListOffsets(ctx, adm, spec.Name, true, spec.Partitions)
		return err
	})
}

// ListOffsets lists the start (end false) or end offsets of every
// partition of topic once; any per-partition error, or a partition
// missing from the answer, is returned (wrapped, so Retriable sees it).
func ListOffsets(ctx context.Context, adm *kadm.Client, topic string, end bool, partitions int32) (kadm.ListedOffsets, error) {
	var listed kadm.ListedOffsets
	var err error
	if end {
		listed, err = adm.ListEndOffsets(ctx, topic)
	} else {
		listed, err = adm.ListStartOffsets(ctx, topic)
	}
	if err != nil {
		return nil, err
	}
	if err := listed.Error(); err != nil {
		return nil, err
	}
	if n := int32(len(listed[topic])); n != partitions {
		return nil, fmt.Errorf("offsets listed for %d of %d partitions: %w", n, partitions, kerr.UnknownTopicOrPartition)
	}
	return listed, nil
}

// DeleteTopic deletes a topic; a missing topic is not an error.
func DeleteTopic(ctx context.Context, adm *kadm.Client, name string) error {
	resp, err := adm.DeleteTopic(ctx, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.UnknownTopicOrPartition) {
		return fmt.Errorf("delete kafka topic %q: %w", name, err)
	}
	return nil
}

// AutoTopicName is the fresh topic name of one point:
// evbench-<scenario>-<system>-<nonce>, restricted to the characters Kafka
// allows in topic names.
func AutoTopicName(scenario, system string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := "evbench-" + sanitize(scenario) + "-" + sanitize(system) + "-" + hex.EncodeToString(b[:])
	if len(name) > 200 {
		name = name[:191] + "-" + hex.EncodeToString(b[:])
	}
	return name
}

func sanitize(s string) string {
	if s == "" {
		return "x"
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		default:
			return '_'
		}
	}, s)
}
