package scenarios_test

import (
	"strings"
	"testing"

	"github.com/evbench/evbench/runners/kafka"
	. "github.com/evbench/evbench/scenarios"
)

// TestBrokerFaults loads systems.kafka.faults and checks what a user would
// get wrong is refused with the key and a useful message.
func TestBrokerFaults(t *testing.T) {
	base := "load: {rate: 100/s, duration: 20s, drain: 5s}\nsubscribers: [{name: a}]\nsystems:\n  kafka:\n    topic: {partitions: 4}\n    faults:\n"
	for _, tc := range []struct {
		name, faults string
		err          string // "" = valid
		check        func(t *testing.T, s *Scenario)
	}{
		{"kill node", "      - {kind: broker-kill, at: 10s, for: 10s, target: node 2}\n", "", func(t *testing.T, s *Scenario) {
			f := kafka.ConfigOf(s).Faults[0]
			if f.Kind != FaultBrokerKill || f.At.D().Seconds() != 10 || f.For.D().Seconds() != 10 || f.ParsedTarget() != (BrokerTarget{Kind: TargetNode, Node: 2}) {
				t.Errorf("got %+v", f)
			}
		}},
		{"leader of partition", "      - {kind: broker-pause, at: 1s, for: 5s, target: leader of  Partition 3}\n", "", func(t *testing.T, s *Scenario) {
			if got := kafka.ConfigOf(s).Faults[0].ParsedTarget(); got != (BrokerTarget{Kind: TargetLeader, Partition: 3}) || got.String() != "leader of partition 3" {
				t.Errorf("got %+v", got)
			}
		}},
		{"controller with command", "      - {kind: broker-stop, at: 1s, target: controller, command: {start: 'systemctl stop kafka', end: 'systemctl start kafka'}}\n", "", func(t *testing.T, s *Scenario) {
			f := kafka.ConfigOf(s).Faults[0]
			if f.Command == nil || f.Command.Timeout != DefaultFaultCommandTimeout || f.ParsedTarget().Kind != TargetController {
				t.Errorf("got %+v", f)
			}
			c := s.Clone()
			kafka.ConfigOf(c).Faults[0].Command.Start = "x"
			if f.Command.Start == "x" {
				t.Error("Clone shares the fault command")
			}
		}},
		{"unknown kind", "      - {kind: broker-explode, target: node 1}\n", "broker-explode", nil},
		{"no target", "      - {kind: broker-kill, at: 1s}\n", "needs a kind and a target", nil},
		{"bad target", "      - {kind: broker-kill, target: broker 1}\n", "is not a broker target", nil},
		{"partition out of range", "      - {kind: broker-kill, target: leader of partition 4}\n", "partition 4 does not exist", nil},
		{"after the end", "      - {kind: broker-kill, at: 25s, target: node 1}\n", "at or after the end of the run", nil},
		{"overlap", "      - {kind: broker-kill, at: 1s, for: 5s, target: node 1}\n      - {kind: broker-pause, at: 4s, for: 1s, target: node 2}\n", "overlaps faults[0]", nil},
		{"until the end then another", "      - {kind: broker-kill, at: 1s, target: node 1}\n      - {kind: broker-pause, at: 4s, for: 1s, target: node 2}\n", "overlaps faults[0]", nil},
		{"empty command", "      - {kind: broker-kill, target: node 1, command: {start: ' ', end: x}}\n", "empty command", nil},
		{"command without end", "      - {kind: broker-kill, target: node 1, command: {start: x}}\n", "needs the command that starts the fault and the one that ends it", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := LoadBytes("bf.yaml", []byte(base+tc.faults))
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				tc.check(t, s)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one containing %q", err, tc.err)
			}
			if !strings.Contains(err.Error(), "systems.kafka.faults") {
				t.Errorf("error %v does not name systems.kafka.faults", err)
			}
		})
	}
}

// TestBrokerFaultsTimeScale: time_scale compresses fault windows like
// subscriber faults.
func TestBrokerFaultsTimeScale(t *testing.T) {
	s, err := LoadBytes("bf.yaml", []byte("time_scale: 10\nload: {rate: 100/s, duration: 20s, drain: 5s}\nsubscribers: [{name: a}]\nsystems:\n  kafka:\n    faults: [{kind: broker-kill, at: 10s, for: 5s, target: node 1}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f := kafka.ConfigOf(s).Faults[0]; f.At.D().Seconds() != 1 || f.For.D().Seconds() != 0.5 {
		t.Errorf("at %v for %v, want 1s and 500ms", f.At, f.For)
	}
}
