// Package deploy_test checks docker-compose.yml and deploy/Dockerfile
// without a Docker engine: the compose file is loaded by the Compose
// project's own loader (github.com/compose-spec/compose-go/v2, the code
// `docker compose` runs), which validates it against the Compose schema;
// the tests then check what would otherwise only fail on a user's machine:
// health-gated start order, a valid KRaft cluster id and quorum, and that
// every advertised Kafka listener resolves for the service that uses it.
package deploy_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/scenarios"
)

const composeFile = "../docker-compose.yml"

// load parses compose YAML as `docker compose --profile run` would, with
// schema validation on and an empty environment (defaults apply).
func load(t *testing.T, yaml []byte) (*types.Project, error) {
	t.Helper()
	wd, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  wd,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(wd, "docker-compose.yml"), Content: yaml}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) {
		o.SetProjectName("evbench", true)
		o.Profiles = []string{"run"}
	})
}

func env(s types.ServiceConfig, key string) string {
	if v := s.Environment[key]; v != nil {
		return *v
	}
	return ""
}

// listenerMap parses "NAME://host:port,..." into name -> host:port.
func listenerMap(v string) (map[string]string, error) {
	out := map[string]string{}
	for _, l := range strings.Split(v, ",") {
		name, addr, ok := strings.Cut(strings.TrimSpace(l), "://")
		if !ok || name == "" {
			return nil, fmt.Errorf("listener %q is not NAME://host:port", l)
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("listener %q: %w", l, err)
		}
		out[name] = addr
	}
	return out, nil
}

// names are the DNS names a service answers to on its networks.
func names(s types.ServiceConfig) []string {
	n := []string{s.Name}
	if s.Hostname != "" {
		n = append(n, s.Hostname)
	}
	if s.ContainerName != "" {
		n = append(n, s.ContainerName)
	}
	for _, c := range s.Networks {
		if c != nil {
			n = append(n, c.Aliases...)
		}
	}
	return n
}

func networks(s types.ServiceConfig) []string {
	if len(s.Networks) == 0 {
		return []string{"default"}
	}
	var out []string
	for k := range s.Networks {
		out = append(out, k)
	}
	return out
}

// resolves reports whether from can reach addr (host:port) served by
// broker on listener port: a name broker answers to on a network both are
// on, or, for a host-side address, a port published on 127.0.0.1.
func resolves(from *types.ServiceConfig, broker types.ServiceConfig, addr string, listenPort string) error {
	host, port, _ := net.SplitHostPort(addr)
	if port != listenPort {
		return fmt.Errorf("advertised %s but the listener is on port %s", addr, listenPort)
	}
	if host == "127.0.0.1" || host == "localhost" {
		if from != nil {
			return fmt.Errorf("%s is a host address: service %s cannot reach it", addr, from.Name)
		}
		for _, p := range broker.Ports {
			if strconv.Itoa(int(p.Target)) == port && p.Published == port && (p.HostIP == "" || p.HostIP == "127.0.0.1") {
				return nil
			}
		}
		return fmt.Errorf("%s: port %s is not published on the host as %s", addr, port, port)
	}
	if from == nil {
		return fmt.Errorf("%s: %s resolves only inside the compose network, not on the host", addr, host)
	}
	if !slices.Contains(names(broker), host) {
		return fmt.Errorf("%s: %s is not a name of service %s (%v)", addr, host, broker.Name, names(broker))
	}
	for _, n := range networks(*from) {
		if slices.Contains(networks(broker), n) {
			return nil
		}
	}
	return fmt.Errorf("%s: services %s and %s share no network", addr, from.Name, broker.Name)
}

// brokersArg is the --brokers value of a service's command.
func brokersArg(s types.ServiceConfig) string {
	for i, a := range s.Command {
		if a == "--brokers" && i+1 < len(s.Command) {
			return s.Command[i+1]
		}
		if v, ok := strings.CutPrefix(a, "--brokers="); ok {
			return v
		}
	}
	return ""
}

var clusterID = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// check returns every problem with a loaded compose project.
func check(p *types.Project) []error {
	var errs []error
	fail := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	// Health-gated start: whatever waits for service_healthy waits for a
	// service that has a health check.
	for _, s := range p.Services {
		for dep, d := range s.DependsOn {
			if d.Condition != types.ServiceConditionHealthy {
				fail("%s depends on %s with condition %q, want service_healthy (otherwise it only waits for the container to start)", s.Name, dep, d.Condition)
				continue
			}
			ds, ok := p.Services[dep]
			if !ok {
				fail("%s depends on unknown service %s", s.Name, dep)
				continue
			}
			if ds.HealthCheck == nil || ds.HealthCheck.Disable || len(ds.HealthCheck.Test) < 2 || ds.HealthCheck.Test[0] == "NONE" {
				fail("%s waits for %s to be healthy, but %s has no health check", s.Name, dep, dep)
			}
		}
	}

	brokers := map[string]types.ServiceConfig{}
	internal := map[string]string{} // INTERNAL advertised address -> broker service
	ids := map[string]string{}
	var cid string
	for _, s := range p.Services {
		if !strings.Contains(s.Image, "kafka") {
			continue
		}
		brokers[s.Name] = s
		if s.HealthCheck == nil {
			fail("%s: no health check", s.Name)
		}
		c := env(s, "CLUSTER_ID")
		if raw, err := base64.RawURLEncoding.DecodeString(c); !clusterID.MatchString(c) || err != nil || len(raw) != 16 {
			fail("%s: CLUSTER_ID %q is not a KRaft cluster id (16 bytes, URL-safe base64 without padding)", s.Name, c)
		}
		if cid != "" && c != cid {
			fail("%s: CLUSTER_ID %q differs from another node's %q", s.Name, c, cid)
		}
		cid = c
		id := env(s, "KAFKA_NODE_ID")
		if prev, dup := ids[id]; dup || id == "" {
			fail("%s: KAFKA_NODE_ID %q missing or shared with %s", s.Name, id, prev)
		}
		ids[id] = s.Name

		listeners, err := listenerMap(env(s, "KAFKA_LISTENERS"))
		if err != nil {
			fail("%s: KAFKA_LISTENERS: %v", s.Name, err)
			continue
		}
		adv, err := listenerMap(env(s, "KAFKA_ADVERTISED_LISTENERS"))
		if err != nil {
			fail("%s: KAFKA_ADVERTISED_LISTENERS: %v", s.Name, err)
			continue
		}
		proto := env(s, "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP")
		for name := range listeners {
			if !strings.Contains(","+proto, ","+name+":") {
				fail("%s: listener %s has no security protocol in KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", s.Name, name)
			}
		}
		ibl := env(s, "KAFKA_INTER_BROKER_LISTENER_NAME")
		if _, ok := adv[ibl]; !ok {
			fail("%s: the inter-broker listener %q is not advertised", s.Name, ibl)
		}
		for name, addr := range adv {
			l, ok := listeners[name]
			if !ok {
				fail("%s: advertised listener %s is not in KAFKA_LISTENERS", s.Name, name)
				continue
			}
			_, port, _ := net.SplitHostPort(l)
			if name == ibl {
				// The other brokers replicate through it.
				internal[addr] = s.Name
				for _, o := range p.Services {
					if o.Name != s.Name && strings.Contains(o.Image, "kafka") {
						if err := resolves(&o, s, addr, port); err != nil {
							fail("%s: listener %s for %s: %v", s.Name, name, o.Name, err)
						}
					}
				}
				continue
			}
			used := false
			for _, o := range p.Services {
				if slices.Contains(strings.Split(brokersArg(o), ","), addr) {
					used = true
					if err := resolves(&o, s, addr, port); err != nil {
						fail("%s: listener %s for %s: %v", s.Name, name, o.Name, err)
					}
				}
			}
			// A listener no service uses is for the host.
			if !used {
				if err := resolves(nil, s, addr, port); err != nil {
					fail("%s: listener %s (for the host): %v", s.Name, name, err)
				}
			}
		}
	}
	if len(brokers) < 3 {
		fail("%d Kafka services, want 3", len(brokers))
	}

	// The quorum: every voter is a broker service by node id, reachable by
	// the others on its CONTROLLER listener.
	for _, s := range brokers {
		for _, v := range strings.Split(env(s, "KAFKA_CONTROLLER_QUORUM_VOTERS"), ",") {
			id, addr, _ := strings.Cut(v, "@")
			vs, ok := brokers[ids[id]]
			if !ok {
				fail("%s: voter %q names no node", s.Name, v)
				continue
			}
			listeners, _ := listenerMap(env(vs, "KAFKA_LISTENERS"))
			_, port, _ := net.SplitHostPort(listeners[env(vs, "KAFKA_CONTROLLER_LISTENER_NAMES")])
			if vs.Name != s.Name {
				if err := resolves(&s, vs, addr, port); err != nil {
					fail("%s: voter %s: %v", s.Name, v, err)
				}
			}
		}
	}

	// Clients: every --brokers address is a broker's inter-broker listener
	// that resolves for the client, and the client waits for it healthy.
	for _, s := range p.Services {
		b := brokersArg(s)
		if b == "" {
			continue
		}
		for _, addr := range strings.Split(b, ",") {
			name, ok := internal[addr]
			if !ok {
				fail("%s: --brokers %s is no broker's advertised internal listener", s.Name, addr)
				continue
			}
			b := brokers[name]
			listeners, _ := listenerMap(env(b, "KAFKA_LISTENERS"))
			_, port, _ := net.SplitHostPort(listeners[env(b, "KAFKA_INTER_BROKER_LISTENER_NAME")])
			if err := resolves(&s, b, addr, port); err != nil {
				fail("%s: --brokers %s: %v", s.Name, addr, err)
			}
			if d, ok := s.DependsOn[name]; !ok || d.Condition != types.ServiceConditionHealthy {
				fail("%s uses %s but does not wait for %s to be healthy", s.Name, addr, name)
			}
		}
	}
	return errs
}

// TestComposeFile loads docker-compose.yml and checks it.
func TestComposeFile(t *testing.T) {
	data, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := load(t, data)
	if err != nil {
		t.Fatalf("docker compose would reject %s: %v", composeFile, err)
	}
	for _, err := range check(p) {
		t.Error(err)
	}
	ev, ok := p.Services["evbench"]
	if !ok {
		t.Fatal("no evbench service")
	}
	if b := brokersArg(ev); strings.Count(b, ",") != 2 {
		t.Errorf("evbench --brokers %q, want the three brokers", b)
	}
	if ev.User == "" || ev.User == "root" || strings.HasPrefix(ev.User, "0:") || ev.User == "0" {
		t.Errorf("evbench service user %q, want non-root", ev.User)
	}

	// The scenario the evbench service runs exists in the mounted folder,
	// validates, and is durable: replication factor 3, min.insync.replicas
	// 2, acks all.
	var file string
	for _, a := range ev.Command {
		if strings.HasSuffix(a, ".yaml") {
			file = a
		}
	}
	var local string
	for _, v := range ev.Volumes {
		if rel, ok := strings.CutPrefix(file, v.Target+"/"); ok && v.Type == types.VolumeTypeBind {
			local = filepath.Join(v.Source, rel)
		}
	}
	if local == "" {
		t.Fatalf("evbench command's scenario %q is not in a bind-mounted folder", file)
	}
	sc, err := scenarios.LoadFile(local)
	if err != nil {
		t.Fatalf("evbench service scenario: %v", err)
	}
	k := kafka.ConfigOf(sc)
	if k == nil || k.Topic.ReplicationFactor != 3 || k.Topic.Configs["min.insync.replicas"] != "2" || k.Acks != scenarios.AcksAll {
		t.Errorf("%s: kafka %+v, want replication factor 3, min.insync.replicas 2, acks all", local, k)
	}
	if k != nil && k.Brokers != brokersArg(ev) {
		t.Errorf("%s: brokers %q, the service passes --brokers %q", local, k.Brokers, brokersArg(ev))
	}
}

// TestComposeCheckCatches: the checks fail on each defect the compose file
// had or could easily get back, so TestComposeFile cannot pass vacuously.
func TestComposeCheckCatches(t *testing.T) {
	good, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, old, new, want string
	}{
		{"depends_on without health", "kafka-1: {condition: service_healthy}", "kafka-1: {condition: service_started}", "want service_healthy"},
		{"no health check", "  healthcheck:\n", "  x-no-healthcheck:\n", "has no health check"},
		{"bad cluster id", "CLUSTER_ID: 1jm4embkQaSGh9-2bQcEmA", "CLUSTER_ID: evbench-compose-cluster-01", "not a KRaft cluster id"},
		{"internal listener only on localhost", "INTERNAL://kafka-2:9092", "INTERNAL://localhost:9092", "cannot reach it"},
		{"advertised name of another service", "INTERNAL://kafka-3:9092", "INTERNAL://kafka-9:9092", "is not a name of service kafka-3"},
		{"external port not published", `ports: ["127.0.0.1:29092:29092"]`, `ports: ["127.0.0.1:29092:9092"]`, "is not published on the host"},
		{"external listener inside the network", "EXTERNAL://127.0.0.1:39092", "EXTERNAL://kafka-3:39092", "only inside the compose network"},
		{"voter port", "2@kafka-2:9093", "2@kafka-2:9094", "listener is on port 9093"},
		{"client of an unknown address", "kafka-1:9092,kafka-2:9092,kafka-3:9092\", \"--out\"", "kafka-1:9092,kafka-2:9092,kafka-4:9092\", \"--out\"", "no broker's advertised internal listener"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(string(good), tc.old) {
				t.Fatalf("compose file lacks %q", tc.old)
			}
			p, err := load(t, []byte(strings.Replace(string(good), tc.old, tc.new, 1)))
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			var all []string
			for _, e := range check(p) {
				all = append(all, e.Error())
			}
			if !strings.Contains(strings.Join(all, "\n"), tc.want) {
				t.Errorf("check did not report %q; got:\n%s", tc.want, strings.Join(all, "\n"))
			}
		})
	}
	// The schema check is the loader's: an unknown key is refused.
	if _, err := load(t, []byte(strings.Replace(string(good), "    hostname: kafka-1\n", "    hostname: kafka-1\n    hostnam: kafka-1\n", 1))); err == nil {
		t.Error("the loader accepted an unknown service key")
	}
}

// TestDockerfile checks deploy/Dockerfile's final stage: a working
// directory, a non-root user, version and revision stamped by ldflags, and
// a .dockerignore that keeps .git and results out of the build context.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	final := df[strings.LastIndex(df, "\nFROM "):]
	for _, want := range []string{"\nWORKDIR /", "\nUSER "} {
		if !strings.Contains(final, want) {
			t.Errorf("final stage lacks %q", strings.TrimSpace(want))
		}
	}
	if m := regexp.MustCompile(`\nUSER (\S+)`).FindStringSubmatch(final); m != nil && (m[1] == "root" || strings.HasPrefix(m[1], "0")) {
		t.Errorf("USER %s is root", m[1])
	}
	for _, want := range []string{"runners/engine.Version=${VERSION}", "runners/engine.Revision=${REVISION}", "ARG VERSION", "ARG REVISION"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	ign, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".git", "evbench-results/", "bin/"} {
		if !slices.Contains(strings.Split(string(ign), "\n"), want) {
			t.Errorf(".dockerignore lacks %q", want)
		}
	}
}
