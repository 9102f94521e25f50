package bridge

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evbench/evbench/internal/brokertest"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/runners/webhook"
	"github.com/evbench/evbench/scenarios"
	"github.com/valyala/fasthttp"
)

type target struct{ name, brokers string }

// targets: the embedded broker always; the real broker when one is set
// (internal/brokertest decides).
func targets(t *testing.T) []target {
	t.Helper()
	var out []target
	for _, tg := range brokertest.Targets(t, kafka.Embedded) {
		out = append(out, target{tg.Name, tg.Brokers})
	}
	return out
}

// scenario is fully specified (no loader defaults).
func scenario(brokers, ack string, subs, members int) *scenarios.Scenario {
	sc := &scenarios.Scenario{
		Name: "bridge-test",
		Load: scenarios.Load{
			Arrival: scenarios.ArrivalConstant, Rate: 200,
			Duration: scenarios.Duration(2 * time.Second), Warmup: scenarios.Duration(300 * time.Millisecond),
			Drain: scenarios.Duration(15 * time.Second),
		},
		Event: scenarios.Event{Size: scenarios.Dist{Kind: scenarios.DistFixed, Value: 512}, Keys: 32, Seed: 3, Type: "order.created"},
		Systems: scenarios.NewSystems(map[string]scenarios.Block{
			"kafka": &kafka.Config{
				Brokers: brokers, Topic: scenarios.Topic{Partitions: 6, ReplicationFactor: 1, DeleteAfter: true},
				Producers: 1, Acks: kafka.AcksAll, Linger: scenarios.Duration(time.Millisecond), BatchMaxBytes: 1 << 20,
				Compression: "none", MaxBufferedRecords: 10000, Members: members,
				Commit: kafka.CommitAfterProcessing, CommitMode: kafka.CommitAsync, StartOffset: kafka.StartLatest,
			},
			"bridge": &BlockConfig{Ack: ack, Timeout: scenarios.Duration(5 * time.Second), MaxInFlight: 32},
		}),
	}
	for i := 0; i < subs; i++ {
		sc.Subscribers = append(sc.Subscribers, scenarios.Subscriber{
			Name: []string{"inventory", "shipping", "fraud"}[i%3], Count: 1, Ack: scenarios.AckAfterProcessing,
			Processing: scenarios.Dist{Kind: scenarios.DistFixed, Value: float64(time.Millisecond)},
		})
	}
	return sc
}

// forged sends requests the ingress must reject: unsigned, a signature made
// with another secret, and a tampered body. It returns the status codes.
func forged(t *testing.T, url string) []int {
	t.Helper()
	other, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"type":"order.created"}`)
	now := time.Now().Unix()
	cases := []map[string]string{
		{webhook.HeaderID: "msg_1"}, // unsigned
		{webhook.HeaderID: "msg_2", webhook.HeaderTimestamp: strconv.FormatInt(now, 10), webhook.HeaderSignature: other.Sign("msg_2", now, body)},
		{webhook.HeaderID: "msg_3", webhook.HeaderTimestamp: strconv.FormatInt(now, 10), webhook.HeaderSignature: "v1,bm90IGEgc2lnbmF0dXJl"},
	}
	var codes []int
	for _, h := range cases {
		req := fasthttp.AcquireRequest()
		resp := fasthttp.AcquireResponse()
		req.SetRequestURI(url)
		req.Header.SetMethod(fasthttp.MethodPost)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		req.Header.Set(webhook.HeaderIntended, strconv.FormatInt(load.Now(), 10))
		req.SetBody(body)
		if err := fasthttp.DoTimeout(req, resp, 5*time.Second); err != nil {
			t.Errorf("forged request: %v", err)
		}
		codes = append(codes, resp.StatusCode())
		fasthttp.ReleaseRequest(req)
		fasthttp.ReleaseResponse(resp)
	}
	return codes
}

func run(t *testing.T, r *Runner, sc *scenarios.Scenario) *results.Point {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := r.Run(ctx, &runners.Point{Scenario: sc, Params: map[string]float64{"rate_per_s": 200}, Logf: t.Logf})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Status != results.StatusComplete {
		t.Fatalf("status %s: %s", res.Status, res.Error)
	}
	return res
}

func TestBridgeDurableLosesNothingAndRejectsForgeries(t *testing.T) {
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			sc := scenario(tg.brokers, AckAfterProduce, 2, 2)
			var codes []int
			done := make(chan struct{})
			r := &Runner{OnIngress: func(in *Ingress, _ *kafka.Groups) {
				go func() {
					defer close(done)
					codes = forged(t, in.URL())
				}()
			}}
			res := run(t, r, sc)
			<-done
			for i, c := range codes {
				if c != fasthttp.StatusUnauthorized {
					t.Errorf("forged request %d: status %d, want 401", i, c)
				}
			}
			if res.PublishErrors == nil || res.PublishErrors.SignatureFailures != int64(len(codes)) {
				t.Errorf("publish errors %+v: want %d signature failures counted", res.PublishErrors, len(codes))
			}
			want := int64(float64(sc.Load.Rate) * sc.Load.Duration.D().Seconds())
			for _, s := range res.Subscribers {
				a := s.Accounting
				t.Logf("%s: %+v e2e p50 %dus p99 %dus", s.Name, a, s.E2E.LatencyUS.P50, s.E2E.LatencyUS.P99)
				if a.Sent < want-1 || a.Sent > want+1 {
					t.Errorf("%s: sent %d, want %d±1", s.Name, a.Sent, want)
				}
				if a.Lost != 0 || a.Delivered != a.Sent || a.Duplicates != 0 {
					t.Errorf("%s: durable bridge must lose nothing: %+v", s.Name, a)
				}
				if s.E2E.LatencyUS.P50 < 1000 {
					t.Errorf("%s: e2e p50 %dus is below the 1 ms processing time", s.Name, s.E2E.LatencyUS.P50)
				}
			}
			sent := res.Subscribers[0].Accounting.Sent
			if res.Ingress == nil || res.Ingress.LatencyUS.Count != sent {
				t.Errorf("ingress latency %+v: want one sample per measured event (%d)", res.Ingress, sent)
			}
			if res.Publish == nil || res.Publish.LatencyUS.Count != sent {
				t.Errorf("publish latency %+v: want one sample per measured event (%d)", res.Publish, sent)
			}
			// Durable: the webhook is answered after Kafka's ack, so the
			// ingress latency of an event includes its publish latency.
			if res.Ingress.LatencyUS.P50 < res.Publish.LatencyUS.P50 {
				t.Errorf("durable: ingress p50 %dus < publish p50 %dus", res.Ingress.LatencyUS.P50, res.Publish.LatencyUS.P50)
			}
			if k := res.BrokerKind; (tg.name == "real") != strings.HasPrefix(k, "Apache Kafka") || res.BrokerEmbedded != (tg.name == "embedded") {
				t.Errorf("broker kind %q (embedded %v) on %s", k, res.BrokerEmbedded, tg.name)
			}
		})
	}
}

func TestBridgeFastMode(t *testing.T) {
	sc := scenario(kafka.Embedded, AckBeforeProduce, 1, 1)
	res := run(t, &Runner{}, sc)
	a := res.Subscribers[0].Accounting
	t.Logf("fast: %+v ingress p50 %dus publish p50 %dus", a, res.Ingress.LatencyUS.P50, res.Publish.LatencyUS.P50)
	if err := a.Check(); err != nil {
		t.Fatal(err)
	}
	// Fast mode risks only what is in flight when the bridge dies; a
	// bridge that stays up delivers everything.
	if a.Lost != 0 {
		t.Errorf("fast mode, healthy bridge: lost %d", a.Lost)
	}
	if res.Ingress.LatencyUS.Count != a.Sent || res.Publish.LatencyUS.Count != a.Sent {
		t.Errorf("ingress %d / publish %d samples for %d events", res.Ingress.LatencyUS.Count, res.Publish.LatencyUS.Count, a.Sent)
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "fast") {
		t.Errorf("notes %q should say the bridge ran in fast mode", res.Notes)
	}
}

// countObs counts what the ingress reports.
type countObs struct {
	published, sig, other atomic.Int64
}

func (c *countObs) Published(int64, int64) { c.published.Add(1) }
func (c *countObs) PublishError(e measure.ErrClass) {
	if e == measure.ErrSignature {
		c.sig.Add(1)
		return
	}
	c.other.Add(1)
}
func (c *countObs) AddBytes(int) {}

func TestIngressVerification(t *testing.T) {
	cl, err := kafka.StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	set, err := kafka.Resolve(func() *kafka.Config {
		k := kafka.DefaultConfig()
		k.Brokers, k.Topic.Partitions = strings.Join(cl.ListenAddrs(), ","), 2
		return k
	}(), "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	env, err := kafka.Open(ctx, set, "ingress", "test", t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	secret, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	obs := &countObs{}
	in, err := StartIngress(IngressConfig{Secret: secret, Ack: AckAfterProduce, Settings: set, Topic: env.Topic, Conn: env.Conn, Keys: 4, Obs: obs})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()

	body := []byte(`{"type":"order.created","data":{}}`)
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	old := strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10)
	good := secret.Sign("msg_42", now.Unix(), body)
	for _, tc := range []struct {
		name   string
		hdr    map[string]string
		body   []byte
		status int
	}{
		{"valid", map[string]string{webhook.HeaderID: "msg_42", webhook.HeaderTimestamp: ts, webhook.HeaderSignature: good}, body, 200},
		{"unsigned", map[string]string{webhook.HeaderID: "msg_43"}, body, 401},
		{"tampered body", map[string]string{webhook.HeaderID: "msg_42", webhook.HeaderTimestamp: ts, webhook.HeaderSignature: good}, []byte(`{"type":"refund"}`), 401},
		{"other id", map[string]string{webhook.HeaderID: "msg_44", webhook.HeaderTimestamp: ts, webhook.HeaderSignature: good}, body, 401},
		{"replayed (10 min old)", map[string]string{webhook.HeaderID: "msg_45", webhook.HeaderTimestamp: old, webhook.HeaderSignature: secret.Sign("msg_45", now.Add(-10*time.Minute).Unix(), body)}, body, 401},
		{"second signature matches", map[string]string{webhook.HeaderID: "msg_42", webhook.HeaderTimestamp: ts, webhook.HeaderSignature: "v1,AAAA " + good}, body, 200},
	} {
		req := fasthttp.AcquireRequest()
		resp := fasthttp.AcquireResponse()
		req.SetRequestURI(in.URL())
		req.Header.SetMethod(fasthttp.MethodPost)
		for k, v := range tc.hdr {
			req.Header.Set(k, v)
		}
		req.Header.Set(webhook.HeaderIntended, strconv.FormatInt(load.Now(), 10))
		req.Header.Set(webhook.HeaderKey, "key-1")
		req.SetBody(tc.body)
		if err := fasthttp.DoTimeout(req, resp, 10*time.Second); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if resp.StatusCode() != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode(), tc.status)
		}
		fasthttp.ReleaseRequest(req)
		fasthttp.ReleaseResponse(resp)
	}
	if got := obs.sig.Load(); got != 4 || in.Rejected() != 4 {
		t.Errorf("signature failures counted %d (ingress says %d), want 4", got, in.Rejected())
	}
	if got := obs.published.Load(); got != 2 {
		t.Errorf("published %d, want the 2 valid requests", got)
	}
}
