package scenarios_test

import (
	"strings"
	"testing"
	"time"

	. "github.com/evbench/evbench/scenarios"
)

const flowHead = `load: {rate: 10/s, duration: 5s}
subscribers: [{name: a}]
systems: {webhook: {}}
`

// TestFlowsLoad: a valid flow resolves with its defaults (entry = first
// service, fixed zero processing and delay) and the tree helpers agree.
func TestFlowsLoad(t *testing.T) {
	s, err := LoadBytes("f.yaml", []byte(flowHead+`flows:
  - name: f
    services: [{name: order, processing: 2ms}, {name: inv}, {name: pay, delay: 1s}, {name: paid}]
    hops:
      - {name: created, from: order, to: [inv, pay], via: kafka}
      - {name: back, from: pay, to: paid, via: bridge}
`))
	if err != nil {
		t.Fatal(err)
	}
	f := &s.Flows[0]
	if f.Entry != "order" || f.Services[1].Processing.Kind != DistFixed || f.Services[2].Delay.Value != float64(time.Second) {
		t.Errorf("resolved flow: %+v", f)
	}
	if got := f.Leaves(); strings.Join(got, ",") != "inv,paid" {
		t.Errorf("leaves %v", got)
	}
	if got := f.PathTo("paid"); len(got) != 2 || got[0] != 0 || got[1] != 1 {
		t.Errorf("path to paid %v", got)
	}
	if r := f.ResolvedRoutes(); len(r) != 2 || r[1].Name != "paid" {
		t.Errorf("default routes %+v", r)
	}
	c := s.Clone()
	c.Flows[0].Hops[0].To[0] = "changed"
	if s.Flows[0].Hops[0].To[0] != "inv" {
		t.Error("Clone shares the flows' slices")
	}
}

// TestFlowsErrors: every flow mistake is reported at its line and column
// with what is allowed.
func TestFlowsErrors(t *testing.T) {
	svc := "    services: [{name: o}, {name: b}, {name: c}]\n"
	cases := []struct {
		name, body, want string
	}{
		{"unknown key", "  - name: f\n    services: [{name: o}, {name: b}]\n    hops: [{name: h, from: o, to: b, via: kafka}]\n    entri: o\n",
			`f.yaml:8:5: flows[0].entri: unknown key "entri" (did you mean "entry"?)`},
		{"bad via", "  - name: f\n" + svc + "    hops: [{name: h, from: o, to: [b, c], via: sqs}]\n",
			`f.yaml:7:48: flows[0].hops[0].via: "sqs" is not allowed (allowed: webhook, kafka, bridge)`},
		{"unknown target", "  - name: f\n" + svc + "    hops: [{name: h, from: o, to: [b, x], via: kafka}]\n",
			`f.yaml:7:39: flows[0].hops[0].to[1]: "x" is not a service of this flow (allowed: b, c, o)`},
		{"back to entry", "  - name: f\n" + svc + "    hops: [{name: h, from: o, to: [b, c], via: kafka}, {name: k, from: c, to: o, via: webhook}]\n",
			`flows[0].hops[1].to[0]: "o" is the flow's entry`},
		{"two parents", "  - name: f\n" + svc + "    hops: [{name: h, from: o, to: [b, c], via: kafka}, {name: k, from: b, to: c, via: webhook}]\n",
			`flows[0].hops[1].to[0]: "c" already receives from hop "h"`},
		{"unreachable", "  - name: f\n" + svc + "    hops: [{name: h, from: o, to: b, via: kafka}]\n",
			`f.yaml:6:45: flows[0].services[2].name: service "c" is not reached from the entry "o"`},
		{"one service", "  - name: f\n    services: [{name: o}]\n    hops: [{name: h, from: o, to: o, via: kafka}]\n",
			`flows[0].services: 1 services: a flow needs an entry and at least one service it sends to`},
		{"duplicate hop", "  - name: f\n" + svc + "    hops: [{name: h, from: o, to: b, via: kafka}, {name: h, from: o, to: c, via: kafka}]\n",
			`flows[0].hops[1].name: hop name "h" is already used by flows[0].hops[0]`},
		{"bad fault", "  - name: f\n" + svc + "    hops: [{name: h, from: o, to: [b, c], via: kafka, faults: [{kind: errors, probability: 2}]}]\n",
			`flows[0].hops[0].faults[0].probability: 2 is outside (0, 1]`},
		{"fault after the end", "  - name: f\n" + svc + "    hops: [{name: h, from: o, to: [b, c], via: kafka, faults: [{kind: down, at: 1h}]}]\n",
			`flows[0].hops[0].faults[0].at: 1h0m0s is at or after the end of the run`},
		{"partition", "  - name: f\n" + svc + "    hops: [{name: h, from: o, to: [b, c], via: kafka, faults: [{kind: partition, for: 1s}]}]\n",
			`flows[0].hops[0].faults[0].kind: a partition black-holes an emulated network link`},
		{"route to entry", "  - name: f\n" + svc + "    hops: [{name: h, from: o, to: [b, c], via: kafka}]\n    routes: [{name: r, to: [o]}]\n",
			`flows[0].routes[0].to[0]: "o" is not a service of this flow other than its entry`},
		{"missing hops", "  - name: f\n" + svc,
			`flows[0].hops: missing; every flow needs a name, services and hops`},
		{"negative delay", "  - name: f\n    services: [{name: o, delay: -1s}, {name: b}]\n    hops: [{name: h, from: o, to: b, via: kafka}]\n",
			`flows[0].services[0].delay`},
		{"with sweep", "  - name: f\n" + svc + "    hops: [{name: h, from: o, to: [b, c], via: kafka}]\nsweep: {rate: [1/s, 2/s]}\n",
			`flows: flows run once with the scenario's load; they cannot be combined with a sweep`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadBytes("f.yaml", []byte(flowHead+"flows:\n"+c.body))
			if err == nil {
				t.Fatalf("loaded; want an error containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error\n  %v\nwant it to contain\n  %s", err, c.want)
			}
			if !strings.HasPrefix(err.Error(), "f.yaml:") || strings.HasPrefix(err.Error(), "f.yaml:1:1:") && !strings.Contains(c.want, "1:1") {
				t.Errorf("error without a useful position: %v", err)
			}
		})
	}
}

// TestFlowsTimeScale: delays and hop fault windows are on the timeline,
// processing is not.
func TestFlowsTimeScale(t *testing.T) {
	s, err := LoadBytes("f.yaml", []byte(`time_scale: 3600
load: {rate: 10/s, duration: 5h}
subscribers: [{name: a}]
systems: {webhook: {}}
flows:
  - name: f
    services: [{name: o, processing: 2ms}, {name: b, delay: {dist: uniform, min: 1h, max: 2h}}, {name: c}]
    hops:
      - {name: h, from: o, to: b, via: webhook, faults: [{kind: down, at: 1h, for: 30m}]}
      - {name: k, from: b, to: c, via: kafka}
`))
	if err != nil {
		t.Fatal(err)
	}
	f := s.Flows[0]
	if f.Services[0].Processing.Value != float64(2*time.Millisecond) {
		t.Errorf("processing was compressed: %v", f.Services[0].Processing)
	}
	if d := f.Services[1].Delay; d.Min != float64(time.Second) || d.Max != float64(2*time.Second) {
		t.Errorf("delay not compressed: %+v", d)
	}
	if ft := f.Hops[0].Faults[0]; ft.At.D() != time.Second || ft.For.D() != 500*time.Millisecond {
		t.Errorf("fault window not compressed: %+v", ft)
	}
}

// TestFlowsMemoryBound: a flow whose times would not fit the bound is
// refused at load.
func TestFlowsMemoryBound(t *testing.T) {
	_, err := LoadBytes("f.yaml", []byte(`load: {rate: 100000/s, duration: 1m}
subscribers: [{name: a}]
systems: {webhook: {}}
flows:
  - name: f
    services: [{name: o}, {name: b}]
    hops: [{name: h, from: o, to: b, via: kafka}]
`))
	if err == nil || !strings.Contains(err.Error(), "f.yaml:6:5: flows[0].services: about 6000000 events x (2 x 2 services + 1)") {
		t.Fatalf("err %v", err)
	}
}
