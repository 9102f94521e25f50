package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/results"
)

// TestCostCommand runs evbench cost on a sweep document: the cost lines
// are attributed to sides with the common part apart, the sensitivity
// names what the verdict hinges on, --charts writes the tornado,
// composition and map charts, and a bad --vary is bad input (exit 2).
func TestCostCommand(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "results.json")
	if err := results.WriteFile(path, bigSweep(t, 36)); err != nil {
		t.Fatal(err)
	}
	charts := filepath.Join(dir, "charts")
	out, errOut, code := runBin(t, bin, "cost", path, "--profile", "aws-list", "--vary", "kafka.broker_month=50..300",
		"--vary", "webhook.added_latency_s=0..5", "--charts", charts)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Cost lines at 10k/h and 3 subscribers", "transport", "sender", "subscriber (common)",
		"differs between designs (break-even) [family log]", "common to every design (not in break-even)",
		"Sensitivity of webhook vs kafka", "kafka.broker_month", "webhook.added_latency_s", "The verdict hinges most on"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, name := range []string{"cost-tornado-aws-list.png", "cost-composition-aws-list.png", "cost-breakeven-map-aws-list.png", "cost-curves-aws-list.png"} {
		if st, err := os.Stat(filepath.Join(charts, name)); err != nil || st.Size() < 1000 {
			t.Errorf("chart %s: %v", name, err)
		}
	}
	// The lines table at another point.
	out, errOut, code = runBin(t, bin, "cost", path, "--profile", "aws-list", "--at-rate", "1.8e6", "--at-subscribers", "1")
	if code != 0 || !strings.Contains(out, "Cost lines at 1.8M/h and 1 subscribers") || !strings.Contains(out, "webhook vs kafka at 1 subscribers") {
		t.Errorf("--at-rate/--at-subscribers: exit %d, %s", code, errOut)
	}
	if _, _, code := runBin(t, bin, "cost", path, "--at-rate", "5"); code != 2 {
		t.Errorf("--at-rate 5: exit %d, want 2", code)
	}
	for _, bad := range []string{"kafka.broker_month", "nope=1..2", "compute.utilization=0..1"} {
		if _, errOut, code := runBin(t, bin, "cost", path, "--vary", bad); code != 2 || !strings.Contains(errOut, "--vary") {
			t.Errorf("--vary %s: exit %d (%s), want 2", bad, code, errOut)
		}
	}
}
