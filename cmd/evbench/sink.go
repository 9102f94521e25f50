package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/evbench/evbench/internal/secretenv"
	"github.com/evbench/evbench/runners/behave"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/webhook"
	"github.com/evbench/evbench/scenarios"
)

func init() { addCommand(newSinkCmd) }

// newSinkCmd is `evbench sink`: one webhook subscriber as a standalone
// server, for runs where the sinks live on other hosts (scale-out, or a
// sender other than evbench).
func newSinkCmd() *cobra.Command {
	var (
		addr, processing, ack, secretEnv, name string
		useTLS                                 bool
		maxBody                                string
		lim                                    webhook.SinkConfig
		dedup                                  webhook.DedupLimits
	)
	c := &cobra.Command{
		Use:   "sink",
		Short: "Serve one webhook subscriber (signature check, dedup, simulated processing) until Ctrl-C",
		Long: `sink runs the same receiver the webhook runner uses in-process: it verifies
Standard Webhooks signatures when --secret-env names a whsec_ secret (401
otherwise), answers a repeated webhook-id as a duplicate without processing it,
and simulates --processing before (or after, with --ack before-processing)
answering 200. It prints its counters every 5 s and when stopped.

It answers POST on its announced path only (/webhook/<name>; 404 elsewhere,
405 for other methods) and accepts any webhook-id the Standard Webhooks
specification allows: evbench's own ids (msg_<decimal>) are kept exactly in a
bitmap per run, any other id is deduplicated in a window of the last
--dedup-window ids (an id that left it is processed again; evictions are
counted). Its resources are bounded: bodies beyond --max-body are answered 413,
bodies are streamed through the signature check and never held, slow clients are cut off by --header-timeout and
--body-timeout (408), idle connections by --idle-timeout, and at most
--max-conns connections are served (503 beyond).

With a secret, GET /webhook/<name>/ledger serves the sink's ledger (the set of
evbench ids processed per run, duplicates, e2e histograms, its clock) to a
request signed with the same secret (runners/webhook.ReadLedger), so a run on
another host can account for this sink exactly.`,
		Example: `  EVBENCH_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw evbench sink --addr 127.0.0.1:8081 --processing 5ms --secret-env EVBENCH_SECRET`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := scenarios.ParseDuration(processing)
			if err != nil || d < 0 {
				return badInput(fmt.Errorf("--processing %q: want a duration such as 5ms", processing))
			}
			if ack != scenarios.AckAfterProcessing && ack != scenarios.AckBeforeProcessing {
				return badInput(fmt.Errorf("--ack %q: allowed: %s, %s", ack, scenarios.AckAfterProcessing, scenarios.AckBeforeProcessing))
			}
			mb, err := scenarios.ParseByteSize(maxBody)
			if err != nil || mb <= 0 || mb > 1<<30 {
				return badInput(fmt.Errorf("--max-body %q: want a size between 1B and 1GiB, such as 1MiB", maxBody))
			}
			for _, f := range []struct {
				name string
				v    time.Duration
			}{{"--header-timeout", lim.HeaderTimeout}, {"--body-timeout", lim.BodyTimeout}, {"--idle-timeout", lim.IdleTimeout}} {
				if f.v <= 0 {
					return badInput(fmt.Errorf("%s %v: want a positive duration", f.name, f.v))
				}
			}
			if lim.MaxConns < 1 {
				return badInput(fmt.Errorf("--max-conns %d: want at least 1", lim.MaxConns))
			}
			if dedup.Window < 1 || dedup.Runs < 1 || dedup.MaxSeq < 1 || dedup.MaxSeq > 1<<40 {
				return badInput(fmt.Errorf("--dedup-window, --dedup-runs and --dedup-max-seq want at least 1 (max-seq at most 2^40)"))
			}
			cfg := webhook.SinkConfig{Name: name, Addr: addr, TLS: useTLS, Ack: ack,
				MaxBodyBytes: int(mb), HeaderTimeout: lim.HeaderTimeout, BodyTimeout: lim.BodyTimeout,
				IdleTimeout: lim.IdleTimeout, MaxConns: lim.MaxConns, Dedup: dedup}
			if secretEnv != "" {
				v, err := secretenv.Get(secretEnv, "--secret-env")
				if err != nil {
					return badInput(err)
				}
				sec, err := webhook.ParseSecret(v)
				if err != nil {
					return badInput(fmt.Errorf("--secret-env %s: %w", secretEnv, err))
				}
				cfg.Secret = sec
			}
			spec := scenarios.Subscriber{Name: name, Ack: ack, Processing: scenarios.Dist{Kind: scenarios.DistFixed, Value: float64(d)}}
			cfg.Behaviour = behave.New(spec, 1)
			rec := webhook.NewMemRecorderLimits(dedup)
			cfg.Recorder = rec
			s, err := webhook.NewSink(cfg)
			if err != nil {
				return err
			}
			if err := s.Start(); err != nil {
				return fmt.Errorf("start sink: %w", err)
			}
			s.SetStart(load.Now())
			defer s.Close()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "sink %s listening on %s (signatures %s)\n", name, s.URL(), onOff(cfg.Secret != nil))
			sig := make(chan os.Signal, 1)
			signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
			defer signal.Stop(sig)
			t := time.NewTicker(5 * time.Second)
			defer t.Stop()
			for {
				select {
				case <-sig:
					printSinkStats(cmd, s, rec)
					return nil
				case <-t.C:
					printSinkStats(cmd, s, rec)
				}
			}
		},
	}
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "listen address")
	c.Flags().StringVar(&processing, "processing", "0s", "simulated processing time per event")
	c.Flags().StringVar(&ack, "ack", scenarios.AckAfterProcessing, "after-processing | before-processing")
	c.Flags().StringVar(&secretEnv, "secret-env", "", "environment variable holding the whsec_ secret (unset: accept unsigned requests)")
	c.Flags().StringVar(&name, "name", "sink", "subscriber name")
	c.Flags().BoolVar(&useTLS, "tls", false, "serve HTTPS with a self-signed certificate made at start-up")
	c.Flags().StringVar(&maxBody, "max-body", "16MiB", "largest request body accepted (413 above; the default is the largest event a scenario may send)")
	c.Flags().DurationVar(&lim.HeaderTimeout, "header-timeout", webhook.DefaultSinkHeaderTimeout, "time to receive a request's headers (408 and close beyond)")
	c.Flags().DurationVar(&lim.BodyTimeout, "body-timeout", webhook.DefaultSinkBodyTimeout, "time to receive a request's body after its headers (408 and close beyond)")
	c.Flags().DurationVar(&lim.IdleTimeout, "idle-timeout", webhook.DefaultSinkIdleTimeout, "close a kept-alive connection idle this long")
	c.Flags().IntVar(&lim.MaxConns, "max-conns", 1024, "concurrent connections served (503 and close beyond)")
	c.Flags().IntVar(&dedup.Window, "dedup-window", webhook.DefaultDedupWindow, "foreign webhook-ids remembered for deduplication (first in, first out; ~56 bytes each)")
	c.Flags().IntVar(&dedup.Runs, "dedup-runs", webhook.DefaultDedupRuns, "evbench runs whose ids are kept exactly (least recently used dropped first)")
	c.Flags().Uint64Var(&dedup.MaxSeq, "dedup-max-seq", webhook.DefaultDedupMaxSeq, "events per evbench run kept exactly (one bit each; later ones use the window)")
	return c
}

func onOff(b bool) string {
	if b {
		return "verified"
	}
	return "not checked"
}

func printSinkStats(cmd *cobra.Command, s *webhook.Sink, rec *webhook.MemRecorder) {
	st := s.Stats()
	ds, fs := rec.DedupStats(), s.ForeignDedup()
	fmt.Fprintf(cmd.OutOrStdout(), "requests %d  processed %d  duplicates %d  signature failures %d  bad requests %d  "+
		"not found %d  too large %d  timeouts %d  foreign ids %d  dedup evictions %d  dedup memory %d B\n",
		st.Requests, st.Processed, st.Duplicates, st.SignatureFailures, st.BadRequests,
		st.NotFound+st.WrongMethod, st.TooLarge, st.Timeouts, st.Foreign, st.DedupEvictions, ds.Bytes+fs.Bytes)
}
