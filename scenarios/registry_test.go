package scenarios_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/evbench/evbench/runners/bridge"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/runners/webhook"
	"github.com/evbench/evbench/scenarios"
)

// TestSystemRegistry: the systems register their blocks from their own
// packages; the loader decodes systems: through the registry, in its
// order, and refuses an unregistered name listing the registered ones.
func TestSystemRegistry(t *testing.T) {
	if got, want := scenarios.SystemNames(), []string{"webhook", "kafka", "bridge"}; !slices.Equal(got, want) {
		t.Fatalf("registered %v, want %v", got, want)
	}
	const head = "load: {rate: 1/s}\nsubscribers: [{name: a}]\n"
	sc, err := scenarios.LoadBytes("r.yaml", []byte(head+"systems: {bridge: {}, kafka: {topic: {configs: {x: 'a&b<c>'}}}, webhook: {}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.Systems.Names(); !slices.Equal(got, []string{"webhook", "kafka", "bridge"}) {
		t.Errorf("Names() = %v, want registry order whatever the file's order", got)
	}
	if webhook.ConfigOf(sc) == nil || kafka.ConfigOf(sc) == nil || bridge.ConfigOf(sc) == nil {
		t.Fatal("an accessor returns nil for an enabled system")
	}
	b, err := sc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Systems json.RawMessage `json:"systems"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	text := string(doc.Systems)
	iw, ik, ib := strings.Index(text, `"webhook"`), strings.Index(text, `"kafka"`), strings.Index(text, `"bridge"`)
	if !(iw >= 0 && iw < ik && ik < ib) {
		t.Errorf("systems written out of registry order:\n%s", text)
	}
	if !strings.Contains(text, `"x": "a&b<c>"`) {
		t.Errorf("a block's strings are HTML-escaped in the scenario JSON (results.json keeps them as written):\n%s", text)
	}

	// Clone is deep, and a typed nil disables a system.
	c := sc.Clone()
	kafka.ConfigOf(c).Topic.Configs["x"] = "changed"
	if kafka.ConfigOf(sc).Topic.Configs["x"] != "a&b<c>" {
		t.Error("Clone shares the kafka block's topic configs")
	}
	c.Systems.Set("bridge", (*bridge.BlockConfig)(nil))
	if c.Systems.Has("bridge") || !sc.Systems.Has("bridge") {
		t.Error("Set with a typed nil must disable the system on the copy only")
	}
	// A scenario copied by assignment does not share which systems run.
	v := *sc
	v.Systems.Set("webhook", nil)
	if !sc.Systems.Has("webhook") || v.Systems.Has("webhook") {
		t.Error("Set on a copy made by assignment changed the original's systems")
	}

	_, err = scenarios.LoadBytes("r.yaml", []byte(head+"systems: {nats: {}}\n"))
	if err == nil || !strings.HasSuffix(err.Error(), `systems.nats: unknown key "nats" (allowed: webhook, kafka, bridge)`) {
		t.Errorf("unknown system: %v", err)
	}
	_, err = scenarios.LoadBytes("r.yaml", []byte(head+"systems: {}\n"))
	if err == nil || !strings.Contains(err.Error(), "no systems: enable at least one of webhook, kafka, bridge") {
		t.Errorf("no systems: %v", err)
	}
}

// TestRegisterSystemRefusesDuplicates: a second block under a name, or a
// sweep parameter outside the system's own prefix, is a programming error.
func TestRegisterSystemRefusesDuplicates(t *testing.T) {
	decode := func(*scenarios.Object) scenarios.Block { return nil }
	for name, b := range map[string]scenarios.SystemBlock{
		"duplicate":     {Name: "webhook", Decode: decode},
		"no decode":     {Name: "zz1"},
		"bad name":      {Name: "Bad Name", Decode: decode},
		"foreign sweep": {Name: "zz2", Decode: decode, Sweep: []scenarios.SweepParam{{Path: "kafka.members", Apply: func(scenarios.Block, float64) {}}}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: RegisterSystem did not panic", name)
				}
			}()
			scenarios.RegisterSystem(b)
		}()
	}
	if got := scenarios.SystemNames(); len(got) != 3 {
		t.Errorf("a refused registration was kept: %v", got)
	}
}
