package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/measure"
)

// progress shows a run's progress: on a terminal one status line refreshed
// each second; off a terminal a plain line every 5 s (CI logs stay
// readable); with --quiet nothing until the final summary.
type progress struct {
	w      io.Writer
	quiet  bool
	tty    bool
	every  time.Duration
	live   atomic.Pointer[measure.Point]
	mu     sync.Mutex
	label  string
	began  time.Time
	points int
	stopCh chan struct{}
	wg     sync.WaitGroup
}

func newProgress(w io.Writer, quiet bool) *progress {
	p := &progress{w: w, quiet: quiet, every: 5 * time.Second, began: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty, p.every = true, time.Second
	}
	return p
}

func (p *progress) run() {
	if p.quiet {
		return
	}
	p.stopCh = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			select {
			case <-p.stopCh:
				return
			case <-t.C:
				p.render()
			}
		}
	}()
}

func (p *progress) stop() {
	if p.stopCh == nil {
		return
	}
	close(p.stopCh)
	p.wg.Wait()
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// point is called before each point; total 0 marks a saturation probe.
func (p *progress) point(i, total int, system string, params map[string]float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.points++
	var label string
	if total == 0 {
		label = fmt.Sprintf("%s find_max probe %d", system, i)
	} else if total == 1 {
		label = system
	} else {
		label = fmt.Sprintf("%s point %d/%d", system, i, total)
		if i > 1 {
			el := time.Since(p.began)
			eta := time.Duration(float64(el) / float64(i-1) * float64(total-i+1))
			label += fmt.Sprintf(" (ETA %s)", eta.Round(time.Second))
		}
	}
	if ps := fmtParams(params); ps != "" {
		label += " " + ps
	}
	p.label = label
	p.live.Store(nil)
	if !p.quiet {
		p.clearLine()
		fmt.Fprintf(p.w, "evbench: %s\n", label)
	}
}

func (p *progress) start(mp *measure.Point) { p.live.Store(mp) }

func (p *progress) done(r *results.Point) {
	if p.quiet {
		return
	}
	p.clearLine()
	if r.Status != results.StatusComplete {
		fmt.Fprintf(p.w, "evbench: %s %s: %s\n", r.System, r.Status, r.Error)
	}
}

func (p *progress) logf(format string, args ...any) {
	if p.quiet {
		return
	}
	p.clearLine()
	fmt.Fprintf(p.w, "evbench: "+format+"\n", args...)
}

func (p *progress) clearLine() {
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func (p *progress) render() {
	mp := p.live.Load()
	if mp == nil {
		return
	}
	s := mp.Snapshot()
	p.mu.Lock()
	label := p.label
	p.mu.Unlock()
	line := fmt.Sprintf("[%s] %s/%s  offered %.0f/s achieved %.0f/s  p99 %s  in-flight %d  retries waiting %d  lost %d",
		label, fmtDur(s.Elapsed), fmtDur(s.Total), s.OfferedPerS, s.AchievedPerS, fmtLatency(s.P99), s.InFlight, s.RetriesWaiting, s.Lost)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
}

func fmtDur(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%02d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

func fmtLatency(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	default:
		return d.Round(100 * time.Millisecond).String()
	}
}

func fmtParams(params map[string]float64) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%g", k, params[k]))
	}
	return strings.Join(parts, " ")
}
