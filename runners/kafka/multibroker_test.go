package kafka

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evbench/evbench/runners"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestSetupRetriesRetriableErrors is the regression test for issue 10
// item 1: on a 3-broker cluster the kafka system failed with
// NOT_LEADER_FOR_PARTITION / UNKNOWN_TOPIC_OR_PARTITION while listing start
// offsets right after topic creation. A 3-broker kfake cluster answers the
// first ListOffsets requests with NOT_LEADER_FOR_PARTITION for every
// partition and the first Metadata requests for the topic with
// UNKNOWN_TOPIC_OR_PARTITION, as a real cluster does while leadership
// settles; during the run every partition's leadership moves to another
// broker. The point must complete with nothing lost.
func TestSetupRetriesRetriableErrors(t *testing.T) {
	c, err := StartEmbedded(kfake.NumBrokers(3))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addrs := c.ListenAddrs()
	var listOffsets, metadata atomic.Int32
	c.ControlKey(int16(kmsg.ListOffsets), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if listOffsets.Add(1) > 4 {
			return nil, nil, false
		}
		req := kreq.(*kmsg.ListOffsetsRequest)
		resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewListOffsetsResponseTopic()
			st.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				sp := kmsg.NewListOffsetsResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = kerr.NotLeaderForPartition.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	c.ControlKey(int16(kmsg.Metadata), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kreq.(*kmsg.MetadataRequest)
		var named bool
		for _, rt := range req.Topics {
			if rt.Topic != nil && strings.HasPrefix(*rt.Topic, "evbench-") {
				named = true
			}
		}
		if !named || metadata.Add(1) > 4 {
			return nil, nil, false
		}
		resp := req.ResponseKind().(*kmsg.MetadataResponse)
		for i, a := range addrs {
			host, port, _ := net.SplitHostPort(a)
			p, _ := strconv.Atoi(port)
			b := kmsg.NewMetadataResponseBroker()
			b.NodeID, b.Host, b.Port = int32(i), host, int32(p)
			resp.Brokers = append(resp.Brokers, b)
		}
		resp.ControllerID = 0
		for _, rt := range req.Topics {
			st := kmsg.NewMetadataResponseTopic()
			st.Topic = rt.Topic
			st.ErrorCode = kerr.UnknownTopicOrPartition.Code
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})

	sc := testScenario("multibroker", Embedded, scOpts{
		rate: 300, warmup: 200 * time.Millisecond, duration: 3 * time.Second, drain: 20 * time.Second,
		subs: 2, members: 2, partitions: 6, acks: AcksAll, processing: time.Millisecond,
	})
	moved := make(chan error, 1)
	r := &Runner{OnGroups: func(gs *Groups) {
		time.AfterFunc(time.Second, func() {
			// Move every partition's leadership to the next broker mid-run.
			var err error
			for p := int32(0); p < gs.cfg.Settings.Partitions; p++ {
				if e := c.MoveTopicPartition(gs.cfg.Topic, p, (p+1)%3); e != nil && err == nil {
					err = e
				}
			}
			moved <- err
		})
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := r.Run(ctx, &runners.Point{Scenario: sc, Params: map[string]float64{"rate_per_s": 300}, Logf: t.Logf, Brokers: strings.Join(addrs, ",")})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if err := <-moved; err != nil {
		t.Fatalf("move partitions: %v", err)
	}
	if listOffsets.Load() < 4 || metadata.Load() < 4 {
		t.Errorf("injected %d ListOffsets and %d Metadata errors: want 4 each", min(listOffsets.Load(), 4), min(metadata.Load(), 4))
	}
	t.Logf("status %s; publish errors %+v", res.Status, res.PublishErrors)
	if res.Status != "complete" {
		t.Errorf("status %s (%s)", res.Status, res.Error)
	}
	for _, s := range res.Subscribers {
		a := s.Accounting
		t.Logf("%s: %+v", s.Name, a)
		if a.Sent == 0 || a.Lost != 0 || a.Delivered != a.Sent {
			t.Errorf("%s: %+v: a leadership move must not lose events", s.Name, a)
		}
	}
}

// TestSetupStepDeadlineNamesTheStep: a retriable error that never goes
// away ends the step at its deadline with an error naming the step.
func TestSetupStepDeadlineNamesTheStep(t *testing.T) {
	old := stepTimeout
	stepTimeout = 300 * time.Millisecond
	defer func() { stepTimeout = old }()
	var calls int
	err := retryStep(context.Background(), "list earliest offsets of t", func(context.Context) error {
		calls++
		return kerr.NotLeaderForPartition
	})
	if err == nil || !strings.Contains(err.Error(), `"list earliest offsets of t"`) || !strings.Contains(err.Error(), "NOT_LEADER") || calls < 2 {
		t.Errorf("err %v after %d calls: want the step named, the last error, and retries", err, calls)
	}
	calls = 0
	err = retryStep(context.Background(), "create topic t", func(context.Context) error {
		calls++
		return kerr.InvalidReplicationFactor
	})
	if err == nil || calls != 1 || !strings.Contains(err.Error(), "create topic t") {
		t.Errorf("err %v after %d calls: a non-retriable error fails at once, naming the step", err, calls)
	}
}
