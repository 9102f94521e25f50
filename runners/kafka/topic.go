package kafka

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
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

// topicReadyTimeout bounds the wait for a new topic's partitions to have
// leaders (a real broker takes a moment after CreateTopics).
const topicReadyTimeout = 30 * time.Second

// EnsureTopic creates the topic when it is missing and checks it when it
// exists: a different partition count, replication factor or any config
// named in spec is a *TopicMismatchError. created says whether this call
// created it. On return every partition has a leader.
func EnsureTopic(ctx context.Context, adm *kadm.Client, spec TopicSpec) (created bool, err error) {
	if spec.Name == "" {
		return false, fmt.Errorf("kafka topic: empty name")
	}
	exists, err := checkTopic(ctx, adm, spec)
	if err != nil {
		return false, err
	}
	if !exists {
		cfgs := make(map[string]*string, len(spec.Configs))
		for k, v := range spec.Configs {
			cfgs[k] = &v
		}
		resp, err := adm.CreateTopic(ctx, spec.Partitions, spec.ReplicationFactor, cfgs, spec.Name)
		switch {
		case err == nil && resp.Err == nil:
			created = true
		case errors.Is(err, kerr.TopicAlreadyExists) || errors.Is(resp.Err, kerr.TopicAlreadyExists):
			// Created concurrently: check it like any existing topic.
			if _, err := checkTopic(ctx, adm, spec); err != nil {
				return false, err
			}
		case err != nil:
			return false, fmt.Errorf("create kafka topic %q: %w", spec.Name, err)
		default:
			msg := ""
			if resp.ErrMessage != "" {
				msg = " (" + resp.ErrMessage + ")"
			}
			return false, fmt.Errorf("create kafka topic %q with %d partitions, replication factor %d: %w%s",
				spec.Name, spec.Partitions, spec.ReplicationFactor, resp.Err, msg)
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

func waitLeaders(ctx context.Context, adm *kadm.Client, spec TopicSpec) error {
	deadline := time.Now().Add(topicReadyTimeout)
	for {
		tds, err := adm.ListTopics(ctx, spec.Name)
		if err == nil {
			if td, ok := tds[spec.Name]; ok && td.Err == nil && int32(len(td.Partitions)) == spec.Partitions {
				ready := true
				for _, p := range td.Partitions {
					if p.Err != nil || p.Leader < 0 {
						ready = false
						break
					}
				}
				if ready {
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kafka topic %q: partitions have no leader after %s (last error: %v)", spec.Name, topicReadyTimeout, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafka topic %q: %w", spec.Name, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
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
