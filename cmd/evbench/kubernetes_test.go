package main

// The Kubernetes manifests (deploy/kubernetes) are checked without a
// cluster: every overlay is built with kustomize's own library (krusty, the
// code behind kubectl kustomize) and every object, and every manifest file
// as written, is decoded strictly into the k8s.io/api types a v0.37 API
// server serves (an unknown or misspelt field fails). Then the wiring a
// cluster would only reveal at run time is checked: selectors against
// labels, $(VAR)s in args against the container's env and the ConfigMaps
// and Secrets they come from, the args against this CLI's own cobra
// commands, the shard count everywhere it appears, and that every path a
// command reads or writes is on a volume mounted in its container.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/runners/webhook"
	"github.com/evbench/evbench/scenarios"
)

const k8sDir = "../../deploy/kubernetes"

// k8sObjects is one built overlay, decoded.
type k8sObjects struct {
	jobs        map[string]*batchv1.Job
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	configMaps  map[string]*corev1.ConfigMap // by name without the hash suffix
	cmNames     map[string]string            // full name -> base name
	pvcs        map[string]*corev1.PersistentVolumeClaim
}

// strictDecode decodes one YAML document into the type its kind names,
// refusing unknown fields.
func strictDecode(t *testing.T, where string, doc []byte) (kind string, obj any) {
	t.Helper()
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	switch meta.APIVersion + " " + meta.Kind {
	case "batch/v1 Job":
		obj = &batchv1.Job{}
	case "apps/v1 Deployment":
		obj = &appsv1.Deployment{}
	case "v1 Service":
		obj = &corev1.Service{}
	case "v1 ConfigMap":
		obj = &corev1.ConfigMap{}
	case "v1 PersistentVolumeClaim":
		obj = &corev1.PersistentVolumeClaim{}
	default:
		t.Fatalf("%s: unexpected %s %s (add it to the test)", where, meta.APIVersion, meta.Kind)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		t.Fatalf("%s: %s: %v", where, meta.Kind, err)
	}
	return meta.Kind, obj
}

func splitYAML(b []byte) [][]byte {
	var out [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		if strings.TrimSpace(d) != "" {
			out = append(out, []byte(d))
		}
	}
	return out
}

func buildOverlay(t *testing.T, dir string) *k8sObjects {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	b, err := rm.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	o := &k8sObjects{jobs: map[string]*batchv1.Job{}, deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		configMaps: map[string]*corev1.ConfigMap{}, cmNames: map[string]string{}, pvcs: map[string]*corev1.PersistentVolumeClaim{}}
	for i, doc := range splitYAML(b) {
		kind, obj := strictDecode(t, fmt.Sprintf("%s (built) document %d", dir, i), doc)
		switch kind {
		case "Job":
			j := obj.(*batchv1.Job)
			o.jobs[j.Name] = j
		case "Deployment":
			d := obj.(*appsv1.Deployment)
			o.deployments[d.Name] = d
		case "Service":
			s := obj.(*corev1.Service)
			o.services[s.Name] = s
		case "ConfigMap":
			c := obj.(*corev1.ConfigMap)
			base := c.Name
			if i := strings.LastIndex(base, "-"); i > 0 {
				base = base[:i] // the generator's hash suffix
			}
			o.configMaps[base] = c
			o.cmNames[c.Name] = base
		case "PersistentVolumeClaim":
			p := obj.(*corev1.PersistentVolumeClaim)
			o.pvcs[p.Name] = p
		}
	}
	return o
}

// TestKubernetesManifestFilesDecodeStrictly decodes every manifest as
// written (base resources and overlay patches) into k8s.io/api types.
func TestKubernetesManifestFilesDecodeStrictly(t *testing.T) {
	err := filepath.WalkDir(k8sDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" || d.Name() == "kustomization.yaml" || d.Name() == "scenario.yaml" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, doc := range splitYAML(b) {
			strictDecode(t, fmt.Sprintf("%s document %d", path, i), doc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A misspelt field is refused, so the check above means something.
	bad := []byte("apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec: {completionMod: Indexed}\n")
	if err := yaml.UnmarshalStrict(bad, &batchv1.Job{}); err == nil || !strings.Contains(err.Error(), "completionMod") {
		t.Fatalf("strict decoding accepted a misspelt field: %v", err)
	}
}

var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// TestKubernetesOverlaysWiring builds every overlay and checks its wiring.
func TestKubernetesOverlaysWiring(t *testing.T) {
	overlays, err := os.ReadDir(filepath.Join(k8sDir, "overlays"))
	if err != nil {
		t.Fatal(err)
	}
	if len(overlays) < 3 {
		t.Fatalf("%d overlays, want quickstart, ecommerce and managed-kafka", len(overlays))
	}
	for _, ov := range overlays {
		t.Run(ov.Name(), func(t *testing.T) {
			o := buildOverlay(t, filepath.Join(k8sDir, "overlays", ov.Name()))
			checkOverlay(t, ov.Name(), o)
		})
	}
}

func checkOverlay(t *testing.T, name string, o *k8sObjects) {
	shards, merge := o.jobs["evbench-shards"], o.jobs["evbench-merge"]
	if shards == nil || merge == nil {
		t.Fatalf("jobs %v, want evbench-shards and evbench-merge", slices.Collect(mapKeys(o.jobs)))
	}
	run := o.configMaps["evbench-run"]
	if run == nil {
		t.Fatal("no ConfigMap evbench-run")
	}
	n, err := strconv.Atoi(run.Data["EVBENCH_SHARDS"])
	if err != nil || n < 1 {
		t.Fatalf("EVBENCH_SHARDS %q", run.Data["EVBENCH_SHARDS"])
	}
	if _, err := time.Parse(time.RFC3339Nano, run.Data["EVBENCH_START_AT"]); err != nil {
		t.Fatalf("EVBENCH_START_AT %q (start.env) is not RFC 3339: %v", run.Data["EVBENCH_START_AT"], err)
	}

	// The Indexed Job: one pod per shard, no retries of a shard.
	s := shards.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Error("evbench-shards is not an Indexed Job")
	}
	for what, v := range map[string]*int32{"completions": s.Completions, "parallelism": s.Parallelism, "maxFailedIndexes": s.MaxFailedIndexes} {
		if v == nil {
			t.Errorf("evbench-shards has no %s, want EVBENCH_SHARDS %d", what, n)
		} else if int(*v) != n {
			t.Errorf("evbench-shards %s %d, want EVBENCH_SHARDS %d", what, *v, n)
		}
	}
	if s.BackoffLimitPerIndex == nil || *s.BackoffLimitPerIndex != 0 {
		t.Error("evbench-shards retries a shard: it would start late")
	}
	checkPodLabels(t, "evbench-shards", &s.Template)
	checkPodLabels(t, "evbench-merge", &merge.Spec.Template)

	// The merge Job reads exactly the n shards' results.
	var inputs []string
	for _, c := range merge.Spec.Template.Spec.InitContainers {
		if len(c.Args) > 0 && c.Args[0] == "merge" {
			for _, a := range c.Args[1:] {
				if !strings.HasPrefix(a, "-") {
					inputs = append(inputs, a)
				}
			}
		}
	}
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("/results/shard-%d/results.json", i))
	}
	consumers := checkConsumeJob(t, o, shards) // the consume workers, if any
	for i := range consumers {
		want = append(want, fmt.Sprintf("/results/consumer-%d/results.json", i))
	}
	if !slices.Equal(inputs, want) {
		t.Errorf("merge inputs %v, want %v", inputs, want)
	}

	// Every container: args parse with the CLI, $(VAR)s are defined, paths
	// are on mounted volumes.
	sc := checkScenarioConfigMap(t, name, o)
	jobs := []*batchv1.Job{shards, merge}
	if c := o.jobs["evbench-consume"]; c != nil {
		jobs = append(jobs, c)
	}
	for _, job := range jobs {
		pod := &job.Spec.Template.Spec
		for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
			checkContainer(t, job.Name, pod, &c, o, sc, n)
		}
	}
	for _, d := range o.deployments {
		if d.Spec.Selector == nil || !selects(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
			t.Errorf("deployment %s: selector %v does not match its pods' labels %v", d.Name, d.Spec.Selector, d.Spec.Template.Labels)
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			checkContainer(t, d.Name, &d.Spec.Template.Spec, &c, o, sc, n)
		}
	}
	for _, svc := range o.services {
		var pods *appsv1.Deployment
		for _, d := range o.deployments {
			if selects(svc.Spec.Selector, d.Spec.Template.Labels) {
				pods = d
			}
		}
		if pods == nil || len(svc.Spec.Selector) == 0 {
			t.Errorf("service %s selects no deployment's pods (%v)", svc.Name, svc.Spec.Selector)
			continue
		}
		for _, p := range svc.Spec.Ports {
			found := false
			for _, c := range pods.Spec.Template.Spec.Containers {
				for _, cp := range c.Ports {
					found = found || p.TargetPort.StrVal == cp.Name && cp.Name != "" || p.TargetPort.IntVal == cp.ContainerPort && p.TargetPort.IntVal != 0
				}
			}
			if !found {
				t.Errorf("service %s port %s targets %v, which no container of %s exposes", svc.Name, p.Name, p.TargetPort.String(), pods.Name)
			}
		}
	}
	checkSinks(t, o, sc, shards)
}

// checkConsumeJob checks the consume workers against EVBENCH_CONSUMERS
// and the shards' --external-consumers, and returns their number (0
// without them).
func checkConsumeJob(t *testing.T, o *k8sObjects, shards *batchv1.Job) int {
	var external bool
	for _, c := range shards.Spec.Template.Spec.Containers {
		external = external || slices.Contains(c.Args, "--external-consumers")
	}
	job := o.jobs["evbench-consume"]
	v, ok := o.configMaps["evbench-run"].Data["EVBENCH_CONSUMERS"]
	if job == nil {
		if external || ok {
			t.Errorf("no evbench-consume Job, but the shards leave their consumers to one (--external-consumers %v, EVBENCH_CONSUMERS %q)", external, v)
		}
		return 0
	}
	if !external {
		t.Error("evbench-consume Job next to shards that run their own consumer groups (no --external-consumers): every event would be consumed twice")
	}
	m, err := strconv.Atoi(v)
	if err != nil || m < 1 {
		t.Fatalf("EVBENCH_CONSUMERS %q: want the number of consume workers", v)
	}
	s := job.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Error("evbench-consume is not an Indexed Job")
	}
	for what, v := range map[string]*int32{"completions": s.Completions, "parallelism": s.Parallelism, "maxFailedIndexes": s.MaxFailedIndexes} {
		if v == nil || int(*v) != m {
			t.Errorf("evbench-consume %s %v, want EVBENCH_CONSUMERS %d", what, v, m)
		}
	}
	if s.BackoffLimitPerIndex == nil || *s.BackoffLimitPerIndex != 0 {
		t.Error("evbench-consume retries a worker: it would rejoin late and its first record would be lost")
	}
	checkPodLabels(t, "evbench-consume", &s.Template)
	return m
}

// checkSinks checks every url subscriber of the scenario against the
// build: its host and port are a Service's, the Service's pods run
// `evbench sink --name` with the url's subscriber name, and for a
// sink_ledger subscriber the sink and the shards read the signing secret
// from the same Secret key (the shards as signing.secret_env).
func checkSinks(t *testing.T, o *k8sObjects, sc *scenarios.Scenario, shards *batchv1.Job) {
	for _, sub := range sc.Subscribers {
		if sub.URL == "" {
			continue
		}
		u, err := url.Parse(sub.URL)
		if err != nil {
			t.Errorf("subscriber %s: url %q: %v", sub.Name, sub.URL, err)
			continue
		}
		svc := o.services[u.Hostname()]
		if svc == nil {
			t.Errorf("subscriber %s: url host %s is no Service of the build", sub.Name, u.Hostname())
			continue
		}
		port, _ := strconv.Atoi(u.Port())
		if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return int(p.Port) == port }) {
			t.Errorf("subscriber %s: url port %d is not a port of Service %s", sub.Name, port, svc.Name)
		}
		var sink *corev1.Container
		for _, d := range o.deployments {
			if selects(svc.Spec.Selector, d.Spec.Template.Labels) {
				for i, c := range d.Spec.Template.Spec.Containers {
					if len(c.Args) > 0 && c.Args[0] == "sink" {
						sink = &d.Spec.Template.Spec.Containers[i]
					}
				}
			}
		}
		if sink == nil {
			t.Errorf("subscriber %s: Service %s selects no evbench sink", sub.Name, svc.Name)
			continue
		}
		arg := func(c *corev1.Container, flag string) string {
			for _, a := range c.Args {
				if v, ok := strings.CutPrefix(a, flag+"="); ok {
					return v
				}
			}
			return ""
		}
		if want := "/webhook/" + arg(sink, "--name"); u.Path != want {
			t.Errorf("subscriber %s: url path %s, the sink answers on %s", sub.Name, u.Path, want)
		}
		if !sub.SinkLedger {
			continue
		}
		secretOf := func(c *corev1.Container, name string) string {
			for _, e := range c.Env {
				if e.Name == name && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					return e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
				}
			}
			return ""
		}
		sinkSecret := secretOf(sink, arg(sink, "--secret-env"))
		var signing string
		if w := webhook.ConfigOf(sc); w != nil {
			signing = w.Signing.SecretEnv
		}
		shardSecret := secretOf(&shards.Spec.Template.Spec.Containers[0], signing)
		if sinkSecret == "" || sinkSecret != shardSecret {
			t.Errorf("subscriber %s (sink_ledger): the sink reads its secret from %q, the shards sign with %s from %q: they must be the same Secret key", sub.Name, sinkSecret, signing, shardSecret)
		}
	}
}

// checkPodLabels checks a job's topology spread selects its own pods.
func checkPodLabels(t *testing.T, job string, tpl *corev1.PodTemplateSpec) {
	for _, c := range tpl.Spec.TopologySpreadConstraints {
		if c.LabelSelector == nil || !selects(c.LabelSelector.MatchLabels, tpl.Labels) {
			t.Errorf("%s: topology spread selector %v does not match its pods' labels %v", job, c.LabelSelector, tpl.Labels)
		}
	}
}

func selects(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// checkScenarioConfigMap loads the overlay's scenario with the scenario
// loader (as the shards will, next to the files the pods mount beside it)
// and returns it. The webhook overlays must stay their example's scenario
// with the webhook system only.
func checkScenarioConfigMap(t *testing.T, name string, o *k8sObjects) *scenarios.Scenario {
	cm := o.configMaps["evbench-scenario"]
	if cm == nil || cm.Data["scenario.yaml"] == "" {
		t.Fatal("no ConfigMap evbench-scenario with scenario.yaml")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "scenario.yaml")
	if err := os.WriteFile(path, []byte(cm.Data["scenario.yaml"]), 0o644); err != nil {
		t.Fatal(err)
	}
	// Secret items projected next to the scenario: a real PEM stands in.
	for _, v := range o.jobs["evbench-shards"].Spec.Template.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, src := range v.Projected.Sources {
			if src.Secret != nil {
				for _, it := range src.Secret.Items {
					if err := os.WriteFile(filepath.Join(dir, it.Path), testCAPEM(t), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	sc, err := scenarios.Open(path)
	if err != nil {
		t.Fatalf("overlay %s scenario: %v", name, err)
	}
	points, err := sc.Expand()
	if err != nil {
		t.Fatal(err)
	}
	external := slices.Contains(o.jobs["evbench-shards"].Spec.Template.Spec.Containers[0].Args, "--external-consumers")
	if _, err := shardPlan(shardFlags{shard: "0/3", startAt: time.Now().Add(time.Minute).Format(time.RFC3339), external: external}, sc, points, time.Now()); err != nil {
		t.Fatalf("overlay %s scenario cannot be sharded: %v", name, err)
	}
	if ex, err := scenarios.Open(filepath.Join("../../scenarios/examples", name+".yaml")); err == nil {
		if !equalJSON(t, sc.Load, ex.Load) || !equalJSON(t, sc.Event, ex.Event) || !equalJSON(t, sc.Subscribers, ex.Subscribers) ||
			!equalJSON(t, webhook.ConfigOf(sc), webhook.ConfigOf(ex)) || !equalJSON(t, sc.Thresholds, ex.Thresholds) {
			t.Errorf("overlay %s scenario is no longer scenarios/examples/%s.yaml with its webhook system only", name, name)
		}
	}
	return sc
}

func equalJSON(t *testing.T, a, b any) bool {
	ja, err1 := yaml.Marshal(a)
	jb, err2 := yaml.Marshal(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return bytes.Equal(ja, jb)
}

// checkContainer checks one container's args, env and mounts.
func checkContainer(t *testing.T, owner string, pod *corev1.PodSpec, c *corev1.Container, o *k8sObjects, sc *scenarios.Scenario, n int) {
	where := owner + "/" + c.Name
	env := map[string]string{}
	for _, e := range c.Env {
		val := "x"
		switch {
		case e.ValueFrom == nil:
			val = e.Value
		case e.ValueFrom.FieldRef != nil:
			if e.Name == "JOB_COMPLETION_INDEX" && e.ValueFrom.FieldRef.FieldPath != "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
				t.Errorf("%s: JOB_COMPLETION_INDEX from %s", where, e.ValueFrom.FieldRef.FieldPath)
			}
			val = strconv.Itoa(n - 1)
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			cm := o.configMaps[o.cmNames[ref.Name]]
			if cm == nil {
				t.Errorf("%s: env %s from ConfigMap %s, which the build does not hold", where, e.Name, ref.Name)
				continue
			}
			v, ok := cm.Data[ref.Key]
			if !ok {
				t.Errorf("%s: env %s from key %s that ConfigMap %s lacks", where, e.Name, ref.Key, ref.Name)
			}
			val = v
		case e.ValueFrom.SecretKeyRef != nil:
			val = "secret"
		}
		env[e.Name] = val
	}
	if sasl := kafka.ConfigOf(sc); (strings.HasPrefix(owner, "evbench-shards") || strings.HasPrefix(owner, "evbench-consume")) && sasl != nil && sasl.SASL != nil {
		for _, v := range []string{sasl.SASL.UsernameEnv, sasl.SASL.PasswordEnv} {
			if _, ok := env[v]; !ok {
				t.Errorf("%s: the scenario reads %s, which the container does not set", where, v)
			}
		}
	}
	// $(VAR) expands only from the container's own env.
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i] = varRef.ReplaceAllStringFunc(a, func(m string) string {
			v, ok := env[m[2:len(m)-1]]
			if !ok {
				t.Errorf("%s: arg %q uses %s, which is not in the container's env", where, a, m)
			}
			return v
		})
	}
	if strings.HasPrefix(owner, "evbench-shards") || strings.HasPrefix(owner, "evbench-consume") {
		// The start instant of start.env is a placeholder in the past:
		// give the parse a valid one.
		for i, a := range args {
			if strings.HasPrefix(a, "--start-at=") {
				args[i] = "--start-at=" + time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
			}
		}
	}
	cmd, rest, err := newRootCmd().Find(args)
	if err != nil || cmd.Name() != args[0] {
		t.Fatalf("%s: %q is not an evbench command: %v", where, args[0], err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Fatalf("%s: evbench %s does not take %q: %v", where, args[0], rest, err)
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		t.Errorf("%s: evbench %s arguments %v: %v", where, args[0], cmd.Flags().Args(), err)
	}
	if args[0] == "run" {
		sh, _ := cmd.Flags().GetString("shard")
		if want := fmt.Sprintf("%d/%d", n-1, n); sh != want {
			t.Errorf("%s: --shard %q, want INDEX/EVBENCH_SHARDS (%s for the last pod)", where, sh, want)
		}
	}
	if args[0] == "consume" {
		if sh, _ := cmd.Flags().GetInt("shards"); sh != n {
			t.Errorf("%s: --shards %d, want EVBENCH_SHARDS %d (the id sets' stride)", where, sh, n)
		}
	}
	// Paths: positional files are read, --out is written; each must be on
	// a mounted volume (written ones on a writable results claim).
	mounts := func(p string) (corev1.VolumeMount, bool) {
		for _, m := range c.VolumeMounts {
			if p == m.MountPath || strings.HasPrefix(p, strings.TrimSuffix(m.MountPath, "/")+"/") {
				return m, true
			}
		}
		return corev1.VolumeMount{}, false
	}
	for _, a := range cmd.Flags().Args() {
		if strings.HasPrefix(a, "/") {
			if _, ok := mounts(a); !ok {
				t.Errorf("%s reads %s, which is on no mounted volume", where, a)
			}
		}
	}
	if out, err := cmd.Flags().GetString("out"); err == nil && out != "" {
		m, ok := mounts(out)
		if !ok || m.ReadOnly {
			t.Errorf("%s writes %s, which is on no writable mounted volume", where, out)
		} else {
			var claim string
			for _, v := range pod.Volumes {
				if v.Name == m.Name && v.PersistentVolumeClaim != nil {
					claim = v.PersistentVolumeClaim.ClaimName
				}
			}
			if o.pvcs[claim] == nil {
				t.Errorf("%s writes %s on volume %s, which is not the results claim", where, out, m.Name)
			}
		}
	}
	// The scenario file is a key of the ConfigMap mounted there.
	for _, a := range cmd.Flags().Args() {
		if strings.HasSuffix(a, "scenario.yaml") {
			m, _ := mounts(a)
			found := false
			for _, v := range pod.Volumes {
				if v.Name != m.Name || v.Projected == nil {
					continue
				}
				for _, src := range v.Projected.Sources {
					if src.ConfigMap != nil && o.cmNames[src.ConfigMap.Name] == "evbench-scenario" && filepath.Join(m.MountPath, "scenario.yaml") == a {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("%s reads %s, which is not ConfigMap evbench-scenario's scenario.yaml", where, a)
			}
		}
	}
	for _, m := range c.VolumeMounts {
		if !slices.ContainsFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name }) {
			t.Errorf("%s mounts volume %s, which the pod does not have", where, m.Name)
		}
	}
	for _, v := range pod.Volumes {
		if v.PersistentVolumeClaim != nil && o.pvcs[v.PersistentVolumeClaim.ClaimName] == nil {
			t.Errorf("%s: volume %s claims %s, which the build does not hold", where, v.Name, v.PersistentVolumeClaim.ClaimName)
		}
	}
}

// testCAPEM is a self-signed CA certificate, standing in for a Secret.
func testCAPEM(t *testing.T) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
