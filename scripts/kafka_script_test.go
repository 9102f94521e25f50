// Package scripts_test runs scripts/kafka.sh against a fake JVM, so its
// process handling (start-up wait, PID files, restart keeping data, the
// cluster's per-node commands) is tested in seconds without starting Kafka.
package scripts_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeBrokerEnv makes the test binary act as a broker (see fakeBroker).
const fakeBrokerEnv = "EVBENCH_FAKE_BROKER"

func TestMain(m *testing.M) {
	if os.Getenv(fakeBrokerEnv) == "1" {
		os.Exit(fakeBroker(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeBroker is what the fake java runs for kafka.Kafka CONF: like the real
// broker it refuses unformatted storage, listens on the configured client
// and controller ports, logs "Kafka Server started" and exits on SIGTERM.
func fakeBroker(args []string) int {
	if len(args) != 2 || args[0] != "kafka.Kafka" {
		fmt.Fprintf(os.Stderr, "fake broker: want kafka.Kafka CONF, got %q\n", args)
		return 2
	}
	conf, err := os.ReadFile(args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake broker:", err)
		return 1
	}
	var listeners, logDirs string
	sc := bufio.NewScanner(strings.NewReader(string(conf)))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "listeners="); ok {
			listeners = v
		}
		if v, ok := strings.CutPrefix(sc.Text(), "log.dirs="); ok {
			logDirs = v
		}
	}
	if _, err := os.Stat(filepath.Join(logDirs, "meta.properties")); err != nil {
		fmt.Println("ERROR No readable meta.properties files found")
		return 1
	}
	if os.Getenv("EVB_FAIL") == "1" {
		fmt.Println("ERROR fake start-up failure (EVB_FAIL=1)")
		return 1
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	for _, l := range strings.Split(listeners, ",") {
		_, addr, _ := strings.Cut(l, "://")
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Println("ERROR", err)
			return 1
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
	}
	fmt.Println("INFO [KafkaRaftServer nodeId=1] Kafka Server started (kafka.server.KafkaRaftServer)")
	<-sigs
	return 0
}

// fakeJava stands in for java: -version, StorageTool (random-uuid, format:
// writes meta.properties into log.dirs) and kafka.Kafka, which first
// spends EVB_DELAY seconds in a process whose command line does not yet
// name the config (as a JVM that has not exec'd yet) and then becomes the
// fake broker.
const fakeJava = `#!/usr/bin/env bash
case " $* " in *" -version "*) echo 'openjdk version "17.0.9" 2023-10-17' >&2; exit 0 ;; esac
args=("$@") sub="" conf="" cfg=""
for ((i = 0; i < ${#args[@]}; i++)); do
	case "${args[$i]}" in
	kafka.tools.StorageTool) sub="${args[$((i + 1))]}" ;;
	kafka.Kafka) conf="${args[$((i + 1))]}" ;;
	-c) cfg="${args[$((i + 1))]}" ;;
	esac
done
if [[ "$sub" == random-uuid ]]; then echo AAAAAAAAAAAAAAAAAAAAAA; exit 0; fi
if [[ "$sub" == format ]]; then
	dir="$(sed -n 's/^log.dirs=//p' "$cfg")"
	mkdir -p "$dir" && echo "cluster.id=fake" >"$dir/meta.properties" && echo "Formatting $dir"
	exit $?
fi
if [[ -n "$conf" ]]; then
	export EVB_CONF="$conf"
	exec bash -c 'sleep "$EVB_DELAY"; EVBENCH_FAKE_BROKER=1 exec "$EVB_FAKE_BIN" kafka.Kafka "$EVB_CONF"'
fi
echo "fake java: unexpected arguments: $*" >&2
exit 1
`

// harness runs scripts/kafka.sh in its own home on free ports.
type harness struct {
	t     *testing.T
	home  string
	base  int
	env   []string
	delay string
}

func newHarness(t *testing.T, delay time.Duration) *harness {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not found")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	bin := filepath.Join(dir, "bin")
	for _, d := range []string{filepath.Join(home, "libs"), bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The jars are "fetched": the script never calls Maven.
	if err := os.WriteFile(filepath.Join(home, "libs", ".complete-4.1.1"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "java"), []byte(fakeJava), 0o755); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, home: home, base: freeBase(t)}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "EVBENCH_") || k == "PATH" {
			continue
		}
		h.env = append(h.env, kv)
	}
	h.env = append(h.env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"EVBENCH_KAFKA_HOME="+home, "EVBENCH_KAFKA_PORT="+strconv.Itoa(h.base),
		"EVBENCH_KAFKA_READY_TIMEOUT=20", "EVB_FAKE_BIN="+self,
		"EVB_DELAY="+strconv.FormatFloat(delay.Seconds(), 'f', 2, 64))
	t.Cleanup(h.killAll)
	return h
}

// freeBase picks a port base whose single-node and three cluster-node port
// pairs are all free (the script adds N*10000 for node N).
func freeBase(t *testing.T) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		base := 11000 + rand.IntN(4000)
		ok := true
		for n := 0; n <= 3 && ok; n++ {
			for _, p := range []int{base + n*10000, base + n*10000 + 1} {
				ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
				if err != nil {
					ok = false
					break
				}
				ln.Close()
			}
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free ports")
	return 0
}

// run runs the script; it returns the combined output and the exit code.
func (h *harness) run(args ...string) (string, int) {
	h.t.Helper()
	cmd := exec.Command("bash", append([]string{"kafka.sh"}, args...)...)
	cmd.Env = h.env
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			h.t.Fatalf("kafka.sh %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	h.t.Logf("$ kafka.sh %s  (exit %d)\n%s", strings.Join(args, " "), code, out)
	return string(out), code
}

func (h *harness) mustRun(args ...string) string {
	h.t.Helper()
	out, code := h.run(args...)
	if code != 0 {
		h.t.Fatalf("kafka.sh %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// nodeDir is the single node's home (0) or cluster node n's.
func (h *harness) nodeDir(n int) string {
	if n == 0 {
		return h.home
	}
	return filepath.Join(h.home, "cluster", "node-"+strconv.Itoa(n))
}

// pid reads node n's PID file; 0 when there is none.
func (h *harness) pid(n int) int {
	b, err := os.ReadFile(filepath.Join(h.nodeDir(n), "broker.pid"))
	if err != nil {
		return 0
	}
	p, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return p
}

// state is the process's /proc state letter ("" when gone or a zombie
// whose command line is empty).
func state(pid int) string {
	if pid <= 0 {
		return ""
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndex(s, ") ")
	if i < 0 || len(s) < i+3 || s[i+2] == 'Z' {
		return ""
	}
	return s[i+2 : i+3]
}

// broker checks node n's PID file names a live fake broker serving its config.
func (h *harness) broker(n int) int {
	h.t.Helper()
	pid := h.pid(n)
	if pid == 0 {
		h.t.Fatalf("node %d: no PID file", n)
	}
	cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	conf := filepath.Join(h.nodeDir(n), "server.properties")
	if err != nil || !strings.Contains(string(cmd), "kafka.Kafka\x00"+conf) {
		h.t.Fatalf("node %d: pid %d is not the broker for %s (cmdline %q, %v)", n, pid, conf, cmd, err)
	}
	return pid
}

func (h *harness) gone(n, pid int) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for state(pid) != "" {
		if time.Now().After(deadline) {
			h.t.Fatalf("node %d: pid %d still alive (state %s)", n, pid, state(pid))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// killAll ends whatever a failed test left running, by the PID files.
func (h *harness) killAll() {
	for n := 0; n <= 5; n++ {
		if p := h.pid(n); state(p) != "" {
			if cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p)); strings.Contains(string(cmd), h.home) {
				syscall.Kill(p, syscall.SIGCONT)
				syscall.Kill(p, syscall.SIGKILL)
			}
		}
	}
}

func marker(t *testing.T, dir string) string {
	t.Helper()
	f := filepath.Join(dir, "data", "evbench-marker")
	if err := os.WriteFile(f, []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func exists(f string) bool { _, err := os.Stat(f); return err == nil }

// TestUpWaitsForSlowJVM is the regression test for issue 9 item 18: the JVM
// takes 1.5 s to exec, so the command line of $! is not yet the broker's.
// The old script read /proc/$!/cmdline at once, said "the broker exited
// during start-up" and deleted the PID file of a broker that then ran
// untracked.
func TestUpWaitsForSlowJVM(t *testing.T) {
	h := newHarness(t, 1500*time.Millisecond)
	out := h.mustRun("up")
	if !strings.Contains(out, "up: Apache Kafka 4.1.1 on 127.0.0.1:"+strconv.Itoa(h.base)) {
		t.Errorf("up did not report the broker up:\n%s", out)
	}
	pid := h.broker(0)
	if out, code := h.run("status"); code != 0 || !strings.Contains(out, fmt.Sprintf("broker: up on 127.0.0.1:%d (pid %d)", h.base, pid)) {
		t.Errorf("status: exit %d\n%s", code, out)
	}
	h.mustRun("down")
	h.gone(0, pid)
	if h.pid(0) != 0 {
		t.Error("PID file left after down")
	}
	if out, code := h.run("status"); code != 1 || !strings.Contains(out, "broker: down") {
		t.Errorf("status after down: exit %d, want 1\n%s", code, out)
	}
}

// TestUpReportsRealExit: a broker that really exits during start-up is
// still reported, with exit 1 and no PID file, and unformatted storage is
// refused before anything starts.
func TestUpReportsRealExit(t *testing.T) {
	h := newHarness(t, 100*time.Millisecond)
	h.mustRun("up")
	h.mustRun("down")
	if err := os.RemoveAll(filepath.Join(h.home, "data")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(h.home, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, code := h.run("start")
	if code == 0 || !strings.Contains(out, "no formatted storage") {
		t.Errorf("start on unformatted storage: exit %d\n%s", code, out)
	}
	// Formatted, but the broker fails after its slow start.
	if err := os.WriteFile(filepath.Join(h.home, "data", "meta.properties"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	h.env = append(h.env, "EVB_DELAY=0.5", "EVB_FAIL=1")
	out, code = h.run("start")
	if code != 1 || !strings.Contains(out, "broker exited during start-up") {
		t.Errorf("a broker that exits: exit %d, want 1 and 'broker exited during start-up'\n%s", code, out)
	}
	if h.pid(0) != 0 {
		t.Error("PID file left for an exited broker")
	}
}

// TestRestartKeepsData: restart and stop-then-start keep the storage; up
// after down formats it afresh, as documented.
func TestRestartKeepsData(t *testing.T) {
	h := newHarness(t, 200*time.Millisecond)
	h.mustRun("up")
	pid := h.broker(0)
	f := marker(t, h.home)
	h.mustRun("restart")
	h.gone(0, pid)
	pid2 := h.broker(0)
	if pid2 == pid || !exists(f) {
		t.Fatalf("restart: pid %d -> %d, data kept %v", pid, pid2, exists(f))
	}
	h.mustRun("down", "--nodes", "1")
	h.gone(0, pid2)
	h.mustRun("start")
	h.broker(0)
	if !exists(f) {
		t.Fatal("down then start lost the data")
	}
	if out := h.mustRun("up"); !strings.Contains(out, "already up") {
		t.Errorf("up when up:\n%s", out)
	}
	h.mustRun("down")
	h.mustRun("up")
	if exists(f) {
		t.Error("up after down kept old data; it formats fresh storage")
	}
	h.mustRun("down")
}

// TestCluster drives the three-node cluster's commands: up prints the
// bootstrap list, each node is tracked by its own PID file, kill/start,
// pause/resume and stop/start act on one node by PID keeping its data,
// and down stops the cluster and the single node.
func TestCluster(t *testing.T) {
	h := newHarness(t, 200*time.Millisecond)
	out := h.mustRun("up", "--nodes", "3")
	want := fmt.Sprintf("bootstrap 127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d", h.base+10000, h.base+20000, h.base+30000)
	if !strings.Contains(out, want) {
		t.Errorf("up --nodes 3 does not print %q:\n%s", want, out)
	}
	if got := strings.TrimSpace(h.mustRun("brokers")); !strings.HasSuffix(got, strings.TrimPrefix(want, "bootstrap ")) {
		t.Errorf("brokers: %q", got)
	}
	pids := map[int]int{}
	for n := 1; n <= 3; n++ {
		pids[n] = h.broker(n)
		conf, err := os.ReadFile(filepath.Join(h.nodeDir(n), "server.properties"))
		if err != nil {
			t.Fatal(err)
		}
		voters := fmt.Sprintf("controller.quorum.voters=1@127.0.0.1:%d,2@127.0.0.1:%d,3@127.0.0.1:%d", h.base+10001, h.base+20001, h.base+30001)
		for _, line := range []string{"node.id=" + strconv.Itoa(n), voters, "offsets.topic.replication.factor=3", "transaction.state.log.min.isr=2"} {
			if !strings.Contains(string(conf), line+"\n") {
				t.Errorf("node %d config lacks %q", n, line)
			}
		}
	}
	f := marker(t, h.nodeDir(2))

	h.mustRun("kill", "2")
	h.gone(2, pids[2])
	if out, _ := h.run("status"); !strings.Contains(out, "node 2: down") || !strings.Contains(out, "node 1: up") {
		t.Errorf("status after kill 2:\n%s", out)
	}
	h.mustRun("start", "2")
	if p := h.broker(2); p == pids[2] || !exists(f) {
		t.Errorf("start 2: pid %d (was %d), data kept %v", p, pids[2], exists(f))
	}

	h.mustRun("pause", "3")
	if s := state(pids[3]); s != "T" {
		t.Errorf("pause 3: state %q, want T", s)
	}
	if out, _ := h.run("status"); !strings.Contains(out, "node 3: paused") {
		t.Errorf("status after pause 3:\n%s", out)
	}
	h.mustRun("resume", "3")
	if s := state(pids[3]); s == "T" || s == "" {
		t.Errorf("resume 3: state %q", s)
	}

	h.mustRun("stop", "1")
	h.gone(1, pids[1])
	h.mustRun("restart", "1")
	h.broker(1)

	if _, code := h.run("kill", "4"); code == 0 {
		t.Error("kill 4 on a 3-node cluster succeeded")
	}

	// down --nodes 3 leaves the single node alone; down stops everything,
	// a paused node included.
	h.mustRun("up")
	single := h.broker(0)
	h.mustRun("pause", "2")
	cluster := []int{h.pid(1), h.pid(2), h.pid(3)}
	h.mustRun("down", "--nodes", "3")
	for i, p := range cluster {
		h.gone(i+1, p)
	}
	if h.broker(0) != single {
		t.Fatal("down --nodes 3 touched the single node")
	}
	h.mustRun("up", "--nodes", "3")
	cluster = []int{h.broker(1), h.broker(2), h.broker(3)}
	h.mustRun("down")
	h.gone(0, single)
	for i, p := range cluster {
		h.gone(i+1, p)
	}
	if out, code := h.run("status"); code != 1 || strings.Count(out, ": down") != 4 {
		t.Errorf("status after down: exit %d\n%s", code, out)
	}
}
