package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/webhook"
)

// binary builds the evbench binary once per test run: the CLI is tested as
// a user runs it, with real exit codes and signals.
func binary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "evbench")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func runBin(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("run %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

func TestCLI(t *testing.T) {
	bin := binary(t)

	t.Run("validate", func(t *testing.T) {
		tests := []struct {
			file     string
			code     int
			contains string
		}{
			{"testdata/tiny.yaml", 0, "valid"},
			{"quickstart", 0, "valid"},
			{"testdata/bad.yaml", 2, "bad.yaml:5:3"},
			{"testdata/missing.yaml", 2, "missing.yaml"},
			{"testdata/badcost.yaml", 2, `cost.profile: unknown cost profile "nope"`},
		}
		for _, tc := range tests {
			out, errOut, code := runBin(t, bin, "validate", tc.file)
			if code != tc.code || !strings.Contains(out+errOut, tc.contains) {
				t.Errorf("validate %s: exit %d (want %d), output %q (want it to contain %q)", tc.file, code, tc.code, out+errOut, tc.contains)
			}
		}
	})

	t.Run("usage errors exit 2", func(t *testing.T) {
		for _, args := range [][]string{{"run"}, {"nosuchcommand"}, {"run", "testdata/tiny.yaml", "--rate", "fast"}, {"run", "testdata/tiny.yaml", "--bogus"}} {
			if _, _, code := runBin(t, bin, args...); code != exitBadInput {
				t.Errorf("%v: exit %d, want %d", args, code, exitBadInput)
			}
		}
	})

	t.Run("run writes results that add up", func(t *testing.T) {
		out := t.TempDir()
		stdout, stderr, code := runBin(t, bin, "run", "testdata/tiny.yaml", "--out", out, "--quiet")
		if code != 0 {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		if stderr != "" {
			t.Errorf("--quiet printed to stderr: %q", stderr)
		}
		res, err := results.ReadFile(filepath.Join(out, "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != results.StatusComplete || len(res.Points) != 2 {
			t.Fatalf("status %s with %d points, want complete with 2", res.Status, len(res.Points))
		}
		if !res.Environment.Embedded || !strings.Contains(stdout, "in-memory") {
			t.Errorf("embedded broker not labelled: broker_kind %q, summary:\n%s", res.Environment.BrokerKind, stdout)
		}
		for _, p := range res.Points {
			if len(p.Subscribers) != 2 {
				t.Fatalf("%s: %d subscribers, want 2", p.System, len(p.Subscribers))
			}
			for _, s := range p.Subscribers {
				a := s.Accounting
				// 100/s for 2 s: 200 measured events, give or take one at the edges.
				if a.Sent < 195 || a.Sent > 205 || a.Delivered != a.Sent || a.Lost != 0 {
					t.Errorf("%s/%s accounting %+v, want ~200 sent, all delivered", p.System, s.Name, a)
				}
			}
			if p.Resources.CPUUserS <= 0 || p.Resources.MaxRSSBytes <= 0 {
				t.Errorf("%s: resources not recorded: %+v", p.System, p.Resources)
			}
		}
		for _, f := range []string{"report.html", "dead-letters.jsonl"} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Errorf("missing %s: %v", f, err)
			}
		}
	})

	t.Run("interrupt writes partial results and exits 130", func(t *testing.T) {
		out := t.TempDir()
		cmd := exec.Command(bin, "run", "testdata/long.yaml", "--out", out, "--no-report", "--metrics-addr", "127.0.0.1:0")
		var o bytes.Buffer
		cmd.Stdout = &o
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		// The live metrics URL is announced on stderr first.
		var errOut strings.Builder
		lines := bufio.NewScanner(stderr)
		url := ""
		for url == "" && lines.Scan() {
			errOut.WriteString(lines.Text() + "\n")
			if _, u, ok := strings.Cut(lines.Text(), "live metrics at "); ok {
				url = u
			}
		}
		go func() {
			for lines.Scan() {
			}
		}()
		time.Sleep(3 * time.Second)
		resp, err := http.Get(url)
		if err != nil {
			t.Fatalf("scrape %q: %v (stderr so far: %s)", url, err, errOut.String())
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{"evbench_offered_events_per_second ", `evbench_point_info{system="webhook"} 1`, "evbench_delivered_events "} {
			if !strings.Contains(string(body), want) {
				t.Errorf("metrics lack %q:\n%s", want, body)
			}
		}
		for _, line := range strings.Split(string(body), "\n") {
			if v, ok := strings.CutPrefix(line, "evbench_offered_events_per_second "); ok {
				if f, err := strconv.ParseFloat(v, 64); err != nil || f < 95 || f > 105 {
					t.Errorf("offered rate metric %q, want about 100", v)
				}
			}
		}
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
			t.Fatalf("exit %v, want %d", err, exitInterrupted)
		}
		if d := time.Since(start); d > 8*time.Second {
			t.Errorf("took %v after Ctrl-C, want a drain of at most 5 s", d)
		}
		res, err := results.ReadFile(filepath.Join(out, "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != results.StatusInterrupted {
			t.Fatalf("status %q, want interrupted", res.Status)
		}
		if len(res.Points) != 1 || res.Points[0].Subscribers[0].Accounting.Sent < 100 {
			t.Fatalf("partial results missing: %+v", res.Points)
		}
		// Rates are over the time actually run, not the planned 60 s.
		if p := res.Points[0]; p.AchievedPerS < 90 || p.AchievedPerS > 110 || p.DurationS > 10 {
			t.Errorf("interrupted point: achieved %.1f/s over %.1f s, want ~100/s over the ~3 s it ran", p.AchievedPerS, p.DurationS)
		}
	})
}

func TestSinkCommand(t *testing.T) {
	bin := binary(t)
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "sink", "--addr", addr, "--processing", "2ms", "--secret-env", "SINK_SECRET")
	cmd.Env = append(os.Environ(), "SINK_SECRET="+secret)
	var o bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &o
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	post := func(signed bool, id string) int {
		body := []byte(`{"type":"order.created"}`)
		req, _ := http.NewRequest("POST", "http://"+addr+"/webhook/sink", bytes.NewReader(body))
		ts := time.Now().Unix()
		req.Header.Set("webhook-id", id)
		req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
		if signed {
			sec, err := webhook.ParseSecret(secret)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("webhook-signature", sec.Sign(id, ts, body))
		} else {
			req.Header.Set("webhook-signature", "v1,Zm9yZ2VkIHNpZ25hdHVyZSBieSBhbiBhdHRhY2tlcg==")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return -1
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	deadline := time.Now().Add(10 * time.Second)
	for post(true, "msg_1") == -1 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := post(true, "msg_1"); got != 200 {
		t.Errorf("repeat of a processed id: status %d, want 200 (answered as a duplicate)", got)
	}
	if got := post(false, "msg_2"); got != 401 {
		t.Errorf("forged signature: status %d, want 401", got)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sink exit: %v\n%s", err, o.String())
	}
	if s := o.String(); !strings.Contains(s, "processed 1  duplicates 1  signature failures 1") {
		t.Errorf("sink counters wrong:\n%s", s)
	}
}

// TestRunRealBroker runs the tiny scenario against the real Apache Kafka
// broker that `make test` starts (EVBENCH_KAFKA_BROKERS), as a user would
// with --brokers, and checks the results name it and not the embedded one.
func TestRunRealBroker(t *testing.T) {
	brokers := os.Getenv("EVBENCH_KAFKA_BROKERS")
	if brokers == "" {
		if os.Getenv("EVBENCH_REQUIRE_KAFKA") == "1" {
			t.Fatal("EVBENCH_REQUIRE_KAFKA=1 but EVBENCH_KAFKA_BROKERS is not set")
		}
		t.Skip("EVBENCH_KAFKA_BROKERS not set: no real broker (make test starts one when Java and Maven are present)")
	}
	bin := binary(t)
	out := t.TempDir()
	stdout, stderr, code := runBin(t, bin, "run", "testdata/tiny.yaml", "--out", out, "--quiet", "--no-report", "--brokers", brokers)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	res, err := results.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Environment.BrokerKind, "Apache Kafka") || res.Environment.Embedded {
		t.Errorf("broker_kind %q (embedded %v), want Apache Kafka", res.Environment.BrokerKind, res.Environment.Embedded)
	}
	for _, p := range res.Points {
		for _, s := range p.Subscribers {
			if a := s.Accounting; a.Lost != 0 || a.Delivered != a.Sent || a.Sent < 195 {
				t.Errorf("%s/%s: %+v, want every event delivered", p.System, s.Name, a)
			}
		}
	}
}
