package html

import (
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/internal/fixture"
	"github.com/evbench/evbench/reports/plot"
	"github.com/evbench/evbench/reports/results"
)

// TestDurabilityTable: a run with broker faults opens with the durability
// table (system x fault -> lost, duplicates, unavailability, recovery),
// and its time charts shade the fault windows; a run without faults has
// neither.
func TestDurabilityTable(t *testing.T) {
	r := fixture.Realistic()
	if page, _, err := Render(r); err != nil || strings.Contains(string(page), `id="durability"`) {
		t.Fatalf("a run without faults has a durability table (err %v)", err)
	}
	rec, never := 2.5, -1.0
	for i := range r.Points {
		p := &r.Points[i]
		if p.System != "kafka" && p.System != "bridge" {
			continue
		}
		p.FaultWindows = []results.FaultWindow{{Kind: "broker-kill", Target: "node 2", Node: 2, StartS: 1, EndS: 3, Applied: true, Method: "signal pid 42"}}
		p.Availability = &results.Availability{LongestPublishGapS: 6.25, LongestDeliveryGapS: 6.5, RecoveryS: &rec}
		if p.System == "bridge" {
			p.Availability.RecoveryS = &never
		}
		p.Subscribers[0].Accounting.LostBy.BrokerFault = 7
	}
	for i := range r.Points {
		if p := &r.Points[i]; p.System == "webhook" {
			p.SenderProcess = &results.ChildProcess{Crashes: []results.Crash{{Kind: "sender-crash", StartS: 1, EndS: 2, Held: 14, Recorded: 14, Completed: 2, Lost: 12}}}
			p.Subscribers[0].Accounting.LostBy.SenderCrash = 12
		}
	}
	page, _, err := Render(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	d, v := strings.Index(s, `id="durability"`), strings.Index(s, `id="verdict"`)
	if d < 0 || d > v {
		t.Fatalf("the durability table is missing or not first (at %d, verdict at %d)", d, v)
	}
	sec := section(s, "durability")
	for _, want := range []string{"broker-kill of node 2 at 1.0–3.0 s (node 2)", "6.2 s", "6.5 s", "2.5 s", "not back by the end", "<td>7</td>"} {
		if !strings.Contains(sec, want) {
			t.Errorf("the durability table does not show %q:\n%s", want, sec)
		}
	}
	for _, want := range []string{"sender-crash of the webhook sender process at 1.0–2.0 s — SIGKILL of the child process; it held 14 deliveries at the crash; 2 of them later completed by the receiver (attempts in flight at the kill); 12 lost", "<td>12</td>"} {
		if !strings.Contains(sec, want) {
			t.Errorf("the durability table does not show the sender crash (%q):\n%s", want, sec)
		}
	}
	ds, err := plot.Extract(r)
	if err != nil {
		t.Fatal(err)
	}
	shaded := 0
	for _, c := range ds {
		for _, a := range c.Areas {
			if !strings.HasPrefix(a.Label, "fault windows") {
				continue
			}
			shaded++
			// The webhook's crash (1-2 s) and the broker kill of kafka
			// and bridge (1-3 s, merged into one band).
			if len(a.Rects) != 2 || a.Rects[0][0] != 1 || a.Rects[1][0] != 1 || a.Rects[0][1]+a.Rects[1][1] != 5 {
				t.Errorf("%s: fault area %+v, want the windows 1-2 s and 1-3 s", c.Name, a)
			}
		}
	}
	if shaded < 3 {
		t.Errorf("%d charts shade the fault window, want every time chart (latency, throughput, lag at least)", shaded)
	}
}
