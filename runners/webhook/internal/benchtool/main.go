// Command benchtool is the helper behind scripts/bench-webhook.sh, which
// compares evbench's webhook dispatcher with wrk against the same no-op
// sink. It has three modes:
//
//	benchtool sink -secret-env VAR -url-file F   serve a no-op sink (signature
//	                                              verification on) until SIGTERM
//	benchtool wrk-script -secret-env VAR -out F   write a wrk Lua script that
//	                                              POSTs a validly signed 1 KiB event
//	benchtool vegeta-target -url U -out F         write a vegeta JSON target:
//	                                              the same signed 1 KiB POST
//	benchtool dispatch -url U -secret-env VAR     run the dispatcher at maximum
//	                                              rate and print deliveries/s
//	                                              (stripped path: profiling only)
//
// It is internal: a benchmark fixture, not part of evbench's interface.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/evbench/evbench/internal/secretenv"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/runners/webhook"
	"github.com/evbench/evbench/scenarios"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchtool sink|wrk-script|vegeta-target|dispatch [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "sink":
		err = sink(os.Args[2:])
	case "wrk-script":
		err = wrkScript(os.Args[2:])
	case "vegeta-target":
		err = vegetaTarget(os.Args[2:])
	case "dispatch":
		err = dispatch(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q (want sink, wrk-script, vegeta-target or dispatch)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}

func secretFrom(env string) (*webhook.Secret, error) {
	v, err := secretenv.Get(env, "the whsec_ secret")
	if err != nil {
		return nil, err
	}
	return webhook.ParseSecret(v)
}

// payload is a 1 KiB JSON order event, the generator's default size.
func payload() []byte {
	b := `{"type":"order.created","data":{"order_id":"ord_482913","customer":"cus_77123","city":"Lisbon","items":[{"sku":"sku-laptop","qty":1,"price_cents":129900}],"total_cents":129900,"currency":"EUR","note":"`
	tail := `"}}`
	return []byte(b + strings.Repeat("x", 1024-len(b)-len(tail)) + tail)
}

func sink(args []string) error {
	fs := flag.NewFlagSet("sink", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	secretEnv := fs.String("secret-env", "EVBENCH_BENCH_SECRET", "environment variable holding the whsec_ secret")
	urlFile := fs.String("url-file", "", "write the sink's URL to this file once listening")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (until SIGTERM) to this file")
	recKind := fs.String("recorder", "count", "count: every request takes the same path (verify, claim, deliver), so\n"+
		"wrk's repeated id and the dispatcher's distinct ids cost the sink the same; mem: dedup by id (webhook.MemRecorder)")
	_ = fs.Parse(args)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	secret, err := secretFrom(*secretEnv)
	if err != nil {
		return err
	}
	var rec webhook.Recorder
	switch *recKind {
	case "count":
		rec = &countRecorder{}
	case "mem":
		rec = webhook.NewMemRecorder()
	default:
		return fmt.Errorf("sink: unknown -recorder %q (want count or mem)", *recKind)
	}
	s, err := webhook.NewSink(webhook.SinkConfig{Name: "noop", Addr: *addr, Secret: secret, Recorder: rec})
	if err != nil {
		return err
	}
	if err := s.Start(); err != nil {
		return err
	}
	if *urlFile != "" {
		if err := os.WriteFile(*urlFile+".tmp", []byte(s.URL()+"\n"), 0o644); err != nil {
			return err
		}
		if err := os.Rename(*urlFile+".tmp", *urlFile); err != nil {
			return err
		}
	}
	fmt.Println("sink listening on", s.URL())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	_ = s.Close()
	st := s.Stats()
	fmt.Printf("sink stats: requests %d, processed %d, duplicates %d, signature failures %d, bad requests %d, connections %d\n",
		st.Requests, st.Processed, st.Duplicates, st.SignatureFailures, st.BadRequests, st.Connections)
	return nil
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// countRecorder accepts every id and only counts: the benchmark sink's
// work per request is then the same whoever sends it.
type countRecorder struct{ delivered atomic.Int64 }

func (c *countRecorder) Claim(uint64) bool                   { return true }
func (c *countRecorder) Release(uint64)                      {}
func (c *countRecorder) Duplicate(uint64, int64)             {}
func (c *countRecorder) Delivered(uint64, int, int64, int64) { c.delivered.Add(1) }
func (c *countRecorder) Error(measure.ErrClass)              {}

// wrkScript writes a Lua script for wrk that sends the same signed event on
// every request (wrk's fastest mode: a static request). The sink verifies
// the signature on each one and answers the repeats as duplicates, 200.
func wrkScript(args []string) error {
	fs := flag.NewFlagSet("wrk-script", flag.ExitOnError)
	secretEnv := fs.String("secret-env", "EVBENCH_BENCH_SECRET", "environment variable holding the whsec_ secret")
	out := fs.String("out", "", "output file")
	_ = fs.Parse(args)
	secret, err := secretFrom(*secretEnv)
	if err != nil {
		return err
	}
	body := payload()
	id := "msg_1"
	ts := time.Now().Unix()
	var b strings.Builder
	b.WriteString("-- generated by benchtool wrk-script: a signed Standard Webhooks delivery\n")
	b.WriteString("wrk.method = \"POST\"\n")
	fmt.Fprintf(&b, "wrk.body = %s\n", strconv.Quote(string(body)))
	b.WriteString("wrk.headers[\"Content-Type\"] = \"application/json\"\n")
	fmt.Fprintf(&b, "wrk.headers[\"webhook-id\"] = %q\n", id)
	fmt.Fprintf(&b, "wrk.headers[\"webhook-timestamp\"] = \"%d\"\n", ts)
	fmt.Fprintf(&b, "wrk.headers[\"webhook-signature\"] = %q\n", secret.Sign(id, ts, body))
	if *out == "" {
		_, err = os.Stdout.WriteString(b.String())
		return err
	}
	return os.WriteFile(*out, []byte(b.String()), 0o644)
}

// vegetaTarget writes one vegeta target in its JSON format (vegeta attack
// -format json): the same signed 1 KiB POST wrk-script gives wrk, so both
// reference tools send the sink the identical request.
func vegetaTarget(args []string) error {
	fs := flag.NewFlagSet("vegeta-target", flag.ExitOnError)
	secretEnv := fs.String("secret-env", "EVBENCH_BENCH_SECRET", "environment variable holding the whsec_ secret")
	url := fs.String("url", "", "sink URL")
	out := fs.String("out", "", "output file")
	_ = fs.Parse(args)
	if *url == "" || *out == "" {
		return fmt.Errorf("vegeta-target: -url and -out are required")
	}
	secret, err := secretFrom(*secretEnv)
	if err != nil {
		return err
	}
	body := payload()
	id := "msg_1"
	ts := time.Now().Unix()
	t := map[string]any{
		"method": "POST",
		"url":    *url,
		"body":   body, // encoding/json writes []byte as base64, as vegeta expects
		"header": map[string][]string{
			"Content-Type":      {"application/json"},
			"webhook-id":        {id},
			"webhook-timestamp": {strconv.FormatInt(ts, 10)},
			"webhook-signature": {secret.Sign(id, ts, body)},
		},
	}
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("vegeta-target: %w", err)
	}
	return os.WriteFile(*out, append(b, '\n'), 0o644)
}

// dispatch drives the dispatcher at maximum rate: the queue is kept
// non-empty so max_in_flight workers are always busy, as wrk keeps its
// connections busy.
func dispatch(args []string) error {
	fs := flag.NewFlagSet("dispatch", flag.ExitOnError)
	url := fs.String("url", "", "sink URL")
	secretEnv := fs.String("secret-env", "EVBENCH_BENCH_SECRET", "environment variable holding the whsec_ secret")
	inFlight := fs.Int("max-in-flight", 64, "max_in_flight: keep-alive connections and concurrent requests")
	duration := fs.Duration("duration", 10*time.Second, "measured duration")
	warmup := fs.Duration("warmup", time.Second, "warm-up before measuring")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured period to this file")
	_ = fs.Parse(args)
	if *url == "" {
		return fmt.Errorf("dispatch: -url is required")
	}
	secret, err := secretFrom(*secretEnv)
	if err != nil {
		return err
	}
	sc := &scenarios.Scenario{Name: "bench", Load: scenarios.Load{Arrival: scenarios.ArrivalConstant, Rate: 1, Duration: scenarios.Duration(time.Second)},
		Event: scenarios.Event{Size: scenarios.Dist{Kind: scenarios.DistFixed, Value: 1024}, Keys: 16, Seed: 1}}
	gen, err := load.New(sc)
	if err != nil {
		return err
	}
	mp := measure.NewPoint("webhook", gen, []string{"noop"}, 16)
	w := webhook.Resolve(nil)
	w.MaxInFlight = *inFlight
	w.Connections = scenarios.ConnKeepalive
	d, err := webhook.NewDispatcher(webhook.DispatcherConfig{Webhook: w, Secret: secret, AddBytes: mp.AddBytes},
		[]webhook.Target{{Name: "noop", URL: *url, Sub: mp.Subs[0]}})
	if err != nil {
		return err
	}
	body := payload()
	stop := make(chan struct{})
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		var seq uint64
		for {
			select {
			case <-stop:
				return
			default:
			}
			if d.QueueDepth() > 4096 {
				time.Sleep(100 * time.Microsecond)
				continue
			}
			for i := 0; i < 256; i++ {
				d.Dispatch(load.Event{ID: gen.IDBase() + seq, Seq: seq, Key: int(seq % 16), Intended: load.Now(), Payload: body})
				seq++
			}
		}
	}()
	time.Sleep(*warmup)
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer f.Close()
	}
	cpu0 := cpuTime()
	a0, t0 := d.Acked(), time.Now()
	time.Sleep(*duration)
	a1, el := d.Acked(), time.Since(t0)
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	runtime.ReadMemStats(&m1)
	close(stop)
	<-fed
	_ = d.Close()
	cpu := cpuTime() - cpu0
	n := a1 - a0
	var errs int64
	res, err := mp.Finish(webhook.Caps, nil)
	if err == nil && len(res.Subscribers) == 1 {
		errs = res.Subscribers[0].Errors.Total()
	}
	fmt.Printf("deliveries: %d in %.2fs\n", n, el.Seconds())
	fmt.Printf("errors: %d\n", errs)
	fmt.Printf("allocs/delivery (sender only): %.3f\n", float64(m1.Mallocs-m0.Mallocs)/float64(max(n, 1)))
	fmt.Printf("cpu per delivery (sender process): %.2f us\n", float64(cpu.Nanoseconds())/1e3/float64(max(n, 1)))
	fmt.Printf("deliveries/s: %.0f\n", float64(n)/el.Seconds())
	return nil
}
