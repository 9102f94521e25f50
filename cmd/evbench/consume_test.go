package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// consumeScenario is the scenario of the consume tests: two subscribers
// (consumer groups) on topic (none: a fresh topic per run).
func consumeScenario(brokers, topic string) string {
	name := ""
	if topic != "" {
		name = fmt.Sprintf("name: %s, ", topic)
	}
	return fmt.Sprintf(`name: consume
load: {arrival: constant, rate: 300/s, duration: 3s, warmup: 1s, drain: 5s}
event: {size: 256B, keys: 20}
subscribers:
  - {name: fast, processing: 1ms}
  - {name: slow, processing: 3ms}
systems:
  kafka:
    brokers: %s
    topic: {%spartitions: 4}
`, brokers, name)
}

// startConsume starts `evbench consume` and waits until it prints "ready"
// (its members have partitions); the returned function waits for it to
// end and returns its output and error.
func startConsume(t *testing.T, bin string, args ...string) func() (string, error) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"consume"}, args...)...)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	pr, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ready := make(chan bool, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(pr)
		said := false
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if !said && strings.HasPrefix(sc.Text(), "ready: ") {
				said = true
				ready <- true
			}
		}
		_, _ = io.Copy(&out, pr)
		if !said {
			ready <- false
		}
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() }) // by PID; a no-op once it exited
	select {
	case ok := <-ready:
		if !ok {
			<-copied
			_ = cmd.Wait()
			t.Fatalf("consume %v ended before it was ready:\n%s\n%s", args, out.String(), errOut.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("consume %v not ready after 60s:\n%s", args, errOut.String())
	}
	return func() (string, error) {
		<-copied
		err := cmd.Wait()
		return out.String() + errOut.String(), err
	}
}

// deleteTopic deletes the test's topic on the real broker.
func deleteTopic(t *testing.T, brokers, topic string) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...))
	if err != nil {
		t.Logf("delete topic %s: %v", topic, err)
		return
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := kadm.NewClient(cl).DeleteTopics(ctx, topic); err != nil {
		t.Logf("delete topic %s: %v", topic, err)
	}
}

// TestConsumeBadInput: producers and consumers in separate processes that
// cannot meet are refused before anything runs, with exit 2.
func TestConsumeBadInput(t *testing.T) {
	dir := t.TempDir()
	named, embedded := filepath.Join(dir, "named.yaml"), filepath.Join(dir, "embedded.yaml")
	if err := os.WriteFile(named, []byte(consumeScenario("127.0.0.1:9", "orders")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(embedded, []byte(consumeScenario("embedded", "orders")), 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	out := filepath.Join(dir, "out")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"consume without start", []string{"consume", named, "--out", out}, "--start-at"},
		{"consume without out", []string{"consume", named, "--start-at", at}, "--out is required"},
		{"consume, bad shards", []string{"consume", named, "--start-at", at, "--out", out, "--shards", "0"}, "--shards 0"},
		{"consume, embedded broker", []string{"consume", embedded, "--start-at", at, "--out", out}, "embedded broker lives inside one process"},
		{"producers, embedded broker", []string{"run", embedded, "--start-at", at, "--external-consumers", "--out", out, "--quiet", "--no-report"}, "embedded broker lives inside one process"},
		{"producers without start", []string{"run", named, "--external-consumers", "--out", out}, "needs --start-at"},
	} {
		t.Run(c.name, func(t *testing.T) {
			stderr := captureStderr(t, func() {
				if code := run(c.args); code != exitBadInput {
					t.Errorf("exit %d, want %d", code, exitBadInput)
				}
			})
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr lacks %q:\n%s", c.want, stderr)
			}
		})
	}
}
