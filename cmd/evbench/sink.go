package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

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
	)
	c := &cobra.Command{
		Use:   "sink",
		Short: "Serve one webhook subscriber (signature check, dedup, simulated processing) until Ctrl-C",
		Long: `sink runs the same receiver the webhook runner uses in-process: it verifies
Standard Webhooks signatures when --secret-env names a whsec_ secret (401
otherwise), answers a repeated webhook-id as a duplicate without processing it,
and simulates --processing before (or after, with --ack before-processing)
answering 200. It prints its counters every 5 s and when stopped.`,
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
			cfg := webhook.SinkConfig{Name: name, Addr: addr, TLS: useTLS, Ack: ack}
			if secretEnv != "" {
				v := os.Getenv(secretEnv)
				if v == "" {
					return badInput(fmt.Errorf("--secret-env %s: the variable is empty or unset", secretEnv))
				}
				sec, err := webhook.ParseSecret(v)
				if err != nil {
					return badInput(fmt.Errorf("--secret-env %s: %w", secretEnv, err))
				}
				cfg.Secret = sec
			}
			spec := scenarios.Subscriber{Name: name, Ack: ack, Processing: scenarios.Dist{Kind: scenarios.DistFixed, Value: float64(d)}}
			cfg.Behaviour = behave.New(spec, 1)
			rec := webhook.NewMemRecorder()
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
	fmt.Fprintf(cmd.OutOrStdout(), "requests %d  processed %d  duplicates %d  signature failures %d  bad requests %d\n",
		st.Requests, st.Processed, st.Duplicates, st.SignatureFailures, st.BadRequests)
}
