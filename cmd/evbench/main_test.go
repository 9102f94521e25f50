package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
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

	"github.com/evbench/evbench/internal/brokertest"
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
		for _, args := range [][]string{{"run"}, {"nosuchcommand"}, {"run", "testdata/tiny.yaml", "--rate", "fast"}, {"run", "testdata/tiny.yaml", "--bogus"}, {"run", "testdata/tiny.yaml", "--brokers", "localhost"}} {
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

	// Issue 9 item 3: with every event lost the e2e histogram is empty; a
	// latency threshold on it fails as "no data" instead of passing on 0.
	t.Run("latency threshold on no data fails", func(t *testing.T) {
		dir := t.TempDir()
		sc := filepath.Join(dir, "alllost.yaml")
		if err := os.WriteFile(sc, []byte(`name: alllost
load: {arrival: constant, rate: 100/s, duration: 1s, warmup: 200ms, drain: 1s}
subscribers:
  - name: gone
    processing: 1ms
    faults: [{kind: down}]
systems:
  webhook: {retry: {max_attempts: 1}}
thresholds:
  - "e2e.p99 < 100ms"
`), 0o644); err != nil {
			t.Fatal(err)
		}
		stdout, stderr, code := runBin(t, bin, "run", sc, "--out", filepath.Join(dir, "out"), "--quiet", "--no-report")
		if code == exitOK {
			t.Fatalf("exit 0 with every event lost and a latency threshold\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
		}
		if !strings.Contains(stdout, "threshold FAIL webhook: e2e.p99 < 100ms (measured no data)") {
			t.Errorf("summary does not fail the threshold as no data:\n%s", stdout)
		}
		res, err := results.ReadFile(filepath.Join(dir, "out", "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		if th := res.Points[0].Thresholds; len(th) != 1 || th[0].Pass || !th[0].NoData {
			t.Errorf("thresholds %+v, want one failed with no_data", th)
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
		for _, want := range []string{`evbench_point_info{system="webhook"} 1`, `evbench_deliveries_total{subscriber="only",system="webhook"} `, "evbench_run_finished 0"} {
			if !strings.Contains(string(body), want) {
				t.Errorf("metrics lack %q:\n%s", want, body)
			}
		}
		for _, line := range strings.Split(string(body), "\n") {
			if v, ok := strings.CutPrefix(line, `evbench_scheduled_rate_events_per_second{system="webhook"} `); ok {
				if f, err := strconv.ParseFloat(v, 64); err != nil || f != 100 {
					t.Errorf("scheduled rate metric %q, want 100", v)
				}
			}
		}
		promtoolCheck(t, body)
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
	brokers := brokertest.RequireReal(t)
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

// TestRevisionNotFromCurrentDirectory builds evbench without VCS stamping
// or ldflags and runs it inside another git repository: the revision must
// be "unknown", never the other repository's HEAD (issue 9 item 14; before
// the fix the engine ran `git rev-parse` in the current directory).
func TestRevisionNotFromCurrentDirectory(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	bin := filepath.Join(t.TempDir(), "evbench")
	if out, err := exec.Command("go", "build", "-buildvcs=false", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	other := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Dir = other
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("commit", "-q", "--allow-empty", "-m", "another project")
	head := git("rev-parse", "HEAD")

	cmd := exec.Command(bin, "version")
	cmd.Dir = other
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("version: %v\n%s", err, out)
	}
	if strings.Contains(string(out), head[:7]) || !strings.Contains(string(out), "revision unknown") {
		t.Errorf("version in another repository (HEAD %s):\n%s\nwant revision unknown", head, out)
	}

	wd, _ := os.Getwd()
	resDir := t.TempDir()
	cmd = exec.Command(bin, "run", filepath.Join(wd, "testdata/tiny.yaml"), "--out", resDir, "--quiet", "--no-report", "--duration", "1s")
	cmd.Dir = other
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	res, err := results.ReadFile(filepath.Join(resDir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Environment.Revision != "unknown" {
		t.Errorf("results.json revision %q, want unknown (the other repository's HEAD is %s)", res.Environment.Revision, head)
	}
}

// TestExitCodesTyped runs every kind of usage error cobra can report and
// checks each exits 2 through a typed error, and that a run error whose
// text merely looks like one ("unknown command" in a path) exits 1 (issue 8
// item 9: exit codes used to be chosen by matching cobra's English text).
func TestExitCodesTyped(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	res := filepath.Join(dir, "results.json")
	if err := results.WriteFile(res, tinyResults(t)); err != nil {
		t.Fatal(err)
	}
	// A file where the report folder should be: the report cannot be
	// written, and the error message contains "unknown command".
	blocker := filepath.Join(dir, "unknown command")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"no arguments prints help", nil, exitOK, ""},
		{"unknown command", []string{"nosuchcommand"}, exitBadInput, `unknown command "nosuchcommand"`},
		{"unknown command with a suggestion", []string{"rn"}, exitBadInput, "did you mean run?"},
		{"missing argument (ExactArgs)", []string{"run"}, exitBadInput, "accepts 1 arg(s), received 0"},
		{"extra argument (ExactArgs)", []string{"validate", "a", "b"}, exitBadInput, "accepts 1 arg(s), received 2"},
		{"too few arguments (MinimumNArgs)", []string{"merge", "a.json"}, exitBadInput, "requires at least 2 arg(s)"},
		{"argument to a command taking none (NoArgs)", []string{"version", "x"}, exitBadInput, `unknown command "x" for "evbench version"`},
		{"cobra's completion command", []string{"completion", "bash", "x"}, exitBadInput, "unknown command"},
		{"unknown flag", []string{"run", "testdata/tiny.yaml", "--bogus"}, exitBadInput, "unknown flag: --bogus"},
		{"unknown shorthand", []string{"run", "testdata/tiny.yaml", "-z"}, exitBadInput, "unknown shorthand flag"},
		{"root flag", []string{"--bogus"}, exitBadInput, "unknown flag"},
		{"bad flag value", []string{"run", "testdata/tiny.yaml", "--quiet=maybe"}, exitBadInput, "invalid argument"},
		{"flag without its value", []string{"run", "testdata/tiny.yaml", "--out"}, exitBadInput, "flag needs an argument"},
		{"run error that reads like a usage error", []string{"report", res, "--out", filepath.Join(blocker, "x")}, exitRunError, "unknown command"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runBin(t, bin, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.contains) {
				t.Errorf("%v: exit %d (want %d), stderr %q (want it to contain %q)\nstdout: %s", tc.args, code, tc.code, stderr, tc.contains, stdout)
			}
		})
	}
}

// startRun starts `evbench run` with the given args and waits until its
// stderr announces the live metrics URL (so the run is under way).
func startRun(t *testing.T, bin string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"run"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(stderr)
	url := ""
	for url == "" && lines.Scan() {
		if _, u, ok := strings.Cut(lines.Text(), "live metrics at "); ok {
			url = u
		}
	}
	if url == "" {
		t.Fatal("run did not announce its metrics URL")
	}
	go func() {
		for lines.Scan() {
		}
	}()
	return cmd, url
}

// TestSIGHUPWritesResults: a hangup (terminal or SSH session closed) stops
// the run like Ctrl-C: drain, results with status interrupted, exit 130.
// Before the fix SIGHUP killed the process with nothing written (issue 9
// item 12).
func TestSIGHUPWritesResults(t *testing.T) {
	bin := binary(t)
	out := t.TempDir()
	cmd, _ := startRun(t, bin, "testdata/long.yaml", "--out", out, "--no-report", "--metrics-addr", "127.0.0.1:0")
	time.Sleep(2 * time.Second)
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit %v, want %d", err, exitInterrupted)
	}
	res, err := results.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != results.StatusInterrupted || len(res.Points) != 1 || res.Points[0].Subscribers[0].Accounting.Sent < 100 {
		t.Fatalf("status %q with %d points, want interrupted with the one point's partial counts", res.Status, len(res.Points))
	}
}

// TestKilledSweepKeepsFinishedPoints kills a sweep with SIGKILL (nothing
// can be handled) after some points have finished: results.json must hold
// those points, balanced, with status interrupted. Before the fix the
// document was written only at the end, so every point was lost (issue 9
// item 12).
func TestKilledSweepKeepsFinishedPoints(t *testing.T) {
	bin := binary(t)
	out := t.TempDir()
	cmd, _ := startRun(t, bin, "testdata/sweep-long.yaml", "--out", out, "--no-report", "--metrics-addr", "127.0.0.1:0")
	path := filepath.Join(out, "results.json")
	deadline := time.Now().Add(60 * time.Second)
	var res *results.Results
	for time.Now().Before(deadline) {
		if r, err := results.ReadFile(path); err == nil && len(r.Points) >= 2 {
			res = r
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if res == nil {
		t.Fatalf("no results.json with 2 finished points after 60 s")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// Read again after the kill: the file must be whole (atomic writes).
	res, err := results.ReadFile(path)
	if err != nil {
		t.Fatalf("results.json after SIGKILL: %v", err)
	}
	if res.Status != results.StatusInterrupted || !strings.Contains(res.Error, "unfinished") {
		t.Errorf("status %q error %q, want interrupted and unfinished", res.Status, res.Error)
	}
	if len(res.Points) < 2 || len(res.Points) >= 20 {
		t.Fatalf("%d points, want the 2 or more finished before the kill (of 20)", len(res.Points))
	}
	for i, p := range res.Points {
		a := p.Subscribers[0].Accounting
		if p.Status != results.StatusComplete || a.Sent < 45 || a.Delivered != a.Sent {
			t.Errorf("point %d: status %s accounting %+v, want a complete point with every event delivered", i, p.Status, a)
		}
	}
}

// TestRunChecksResourcesBeforeOutputs: a run refused for a busy metrics
// port or an unusable --out exits 2 without touching the previous run's
// files; a report that cannot be written after a run is a loud exit 1 with
// results.json kept (issue 9 item 13; before the fix the busy port exited 2
// after truncating dead-letters.jsonl, and a failed report exited 0).
func TestRunChecksResourcesBeforeOutputs(t *testing.T) {
	bin := binary(t)

	t.Run("metrics port in use", func(t *testing.T) {
		busy, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer busy.Close()
		out := t.TempDir()
		dl := filepath.Join(out, "dead-letters.jsonl")
		const previous = `{"system":"webhook","id":1}` + "\n"
		if err := os.WriteFile(dl, []byte(previous), 0o644); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := runBin(t, bin, "run", "testdata/tiny.yaml", "--out", out, "--quiet", "--metrics-addr", busy.Addr().String())
		if code != exitBadInput || !strings.Contains(stderr, "--metrics-addr") {
			t.Errorf("exit %d, stderr %q: want %d naming --metrics-addr", code, stderr, exitBadInput)
		}
		if b, _ := os.ReadFile(dl); string(b) != previous {
			t.Errorf("dead-letters.jsonl of the previous run changed to %q", b)
		}
		if _, err := os.Stat(filepath.Join(out, "results.json")); err == nil {
			t.Error("results.json written by a refused run")
		}
	})

	t.Run("--out is a file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "taken")
		if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, out := range []string{file, filepath.Join(file, "sub")} {
			_, stderr, code := runBin(t, bin, "run", "testdata/tiny.yaml", "--out", out, "--quiet")
			if code != exitBadInput || !strings.Contains(stderr, "--out") {
				t.Errorf("--out %s: exit %d, stderr %q: want %d naming --out", out, code, stderr, exitBadInput)
			}
		}
	})

	t.Run("report cannot be written", func(t *testing.T) {
		out := t.TempDir()
		// A folder where report.html should go.
		if err := os.MkdirAll(filepath.Join(out, "report.html", "x"), 0o755); err != nil {
			t.Fatal(err)
		}
		stdout, stderr, code := runBin(t, bin, "run", "testdata/tiny.yaml", "--out", out, "--quiet", "--duration", "1s")
		if code != exitRunError || !strings.Contains(stderr, "write report") || !strings.Contains(stderr, "evbench report") {
			t.Errorf("exit %d, stderr %q: want %d with a 'write report' error saying how to retry\nstdout: %s", code, stderr, exitRunError, stdout)
		}
		if res, err := results.ReadFile(filepath.Join(out, "results.json")); err != nil || res.Status != results.StatusComplete {
			t.Errorf("results.json not kept after a failed report: %v", err)
		}
	})
}

// promtoolCheck runs `promtool check metrics` (Prometheus' own linter for
// the exposition format and naming conventions) on a scrape. Without
// promtool the check is skipped, unless EVBENCH_REQUIRE_PROMTOOL=1 (CI),
// where a missing promtool fails the test.
func promtoolCheck(t *testing.T, body []byte) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("EVBENCH_REQUIRE_PROMTOOL") == "1" {
			t.Fatal("EVBENCH_REQUIRE_PROMTOOL=1 but promtool is not installed (Debian: apt-get install prometheus)")
		}
		t.Log("promtool not installed: exposition not linted (set EVBENCH_REQUIRE_PROMTOOL=1 to require it)")
		return
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s\nscraped:\n%s", err, out, body)
	}
}

// scrapeValues parses a Prometheus text exposition into "name{labels}" ->
// value (labels as written, which client_golang sorts by name).
func scrapeValues(t *testing.T, body []byte) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// TestMetricsEndpoint checks the Prometheus endpoint against Prometheus'
// conventions and against results.json (issue 9 item 15): counts are
// counters named *_total, labelled by system and subscriber, retries are
// counted, promtool accepts the exposition, and the endpoint keeps serving
// after the run (--metrics-linger) with exactly the final counts of
// results.json. A signal during the linger ends it at once, exit 0.
func TestMetricsEndpoint(t *testing.T) {
	bin := binary(t)
	out := t.TempDir()
	cmd := exec.Command(bin, "run", "testdata/retries.yaml", "--out", out, "--quiet", "--no-report",
		"--metrics-addr", "127.0.0.1:0", "--metrics-linger", "2m")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(stderr)
	url, lingering := "", false
	for lines.Scan() {
		if _, u, ok := strings.Cut(lines.Text(), "live metrics at "); ok {
			url = u
		}
		if strings.Contains(lines.Text(), "serving the final metrics") {
			lingering = true
			break
		}
	}
	go func() {
		for lines.Scan() {
		}
	}()
	if url == "" || !lingering {
		t.Fatalf("run did not announce its metrics URL and the linger (url %q)", url)
	}
	res, err := results.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape after the run: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	promtoolCheck(t, body)
	got := scrapeValues(t, body)
	if got["evbench_run_finished"] != 1 {
		t.Errorf("evbench_run_finished %v, want 1 after the run", got["evbench_run_finished"])
	}
	retries := 0.0
	for _, p := range res.Points {
		want := map[string]float64{
			fmt.Sprintf(`evbench_events_sent_total{system=%q}`, p.System):                float64(p.Subscribers[0].Accounting.Sent),
			fmt.Sprintf(`evbench_points_total{status=%q,system=%q}`, p.Status, p.System): 1,
		}
		for _, s := range p.Subscribers {
			a := s.Accounting
			want[fmt.Sprintf(`evbench_deliveries_total{subscriber=%q,system=%q}`, s.Name, p.System)] = float64(a.Delivered)
			want[fmt.Sprintf(`evbench_dead_lettered_total{subscriber=%q,system=%q}`, s.Name, p.System)] = float64(a.DeadLettered)
			want[fmt.Sprintf(`evbench_retries_total{subscriber=%q,system=%q}`, s.Name, p.System)] = float64(a.Retries)
			retries += float64(a.Retries)
		}
		for k, v := range want {
			if g, ok := got[k]; !ok || g != v {
				t.Errorf("%s = %v (present %v), results.json says %v", k, g, ok, v)
			}
		}
	}
	if retries == 0 {
		t.Error("no retries in a run with a 30% error fault: the scenario does not exercise the retries counter")
	}
	for _, gauge := range []string{"evbench_offered_events_per_second", "evbench_sent_events ", "evbench_delivered_events "} {
		if strings.Contains(string(body), gauge) {
			t.Errorf("old gauge %s still exposed", gauge)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = cmd.Wait()
	if err != nil {
		t.Errorf("exit after Ctrl-C during the linger: %v, want 0 (the run itself was complete)", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to exit after Ctrl-C during the linger", d)
	}
}
