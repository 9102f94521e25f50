package webhook

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
	"github.com/valyala/fasthttp"
)

// lineBuf collects dead-letter lines.
type lineBuf struct {
	buf bytes.Buffer
	lw  *runners.LineWriter
}

func (l *lineBuf) writer() *runners.LineWriter {
	l.lw = runners.NewLineWriter(&l.buf)
	return l.lw
}

func (l *lineBuf) parse(t *testing.T) []deadLetter {
	t.Helper()
	if err := l.lw.Flush(); err != nil {
		t.Fatal(err)
	}
	var out []deadLetter
	sc := bufio.NewScanner(bytes.NewReader(l.buf.Bytes()))
	for sc.Scan() {
		var d deadLetter
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, d)
	}
	return out
}

func TestBackoff(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	exp := scenarios.Retry{Backoff: scenarios.BackoffExponential, Initial: dur(ms(100)), Max: dur(ms(1000))}
	lin := scenarios.Retry{Backoff: scenarios.BackoffLinear, Initial: dur(ms(100)), Max: dur(ms(250))}
	sch := scenarios.Retry{Backoff: scenarios.BackoffSchedule, Initial: dur(ms(100)), Max: dur(ms(10)),
		Schedule: []scenarios.Duration{dur(ms(5)), dur(time.Minute), dur(time.Hour)}}
	cases := []struct {
		name string
		r    scenarios.Retry
		n    int
		want time.Duration
	}{
		{"exponential 1", exp, 1, ms(100)},
		{"exponential 2", exp, 2, ms(200)},
		{"exponential 4", exp, 4, ms(800)},
		{"exponential capped", exp, 5, ms(1000)},
		{"exponential huge n capped", exp, 500, ms(1000)},
		{"linear 1", lin, 1, ms(100)},
		{"linear 2", lin, 2, ms(200)},
		{"linear capped", lin, 3, ms(250)},
		{"schedule 1", sch, 1, ms(5)},
		{"schedule 2 not capped by max", sch, 2, time.Minute},
		{"schedule past the end repeats the last", sch, 9, time.Hour},
	}
	for _, c := range cases {
		if got := Backoff(c.r, c.n); got != c.want {
			t.Errorf("%s: Backoff = %v, want %v", c.name, got, c.want)
		}
	}
	for _, u := range []float64{0, 0.25, 0.5, 0.999} {
		got := jitter(ms(100), 0.2, u)
		if got < ms(80) || got > ms(120) {
			t.Errorf("jitter(100ms, 0.2, %v) = %v, want within +/-20%%", u, got)
		}
	}
	if jitter(ms(100), 0, 0.9) != ms(100) {
		t.Error("jitter 0 changed the delay")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1", time.Second, true},
		{"120", 2 * time.Minute, true},
		{"0", 0, true},
		{"Fri, 02 Jan 2026 03:04:35 GMT", 30 * time.Second, true}, // IMF-fixdate
		{"Friday, 02-Jan-26 03:05:05 GMT", time.Minute, true},     // RFC 850
		{"Fri Jan  2 03:04:15 2026", 10 * time.Second, true},      // asctime
		{"Fri, 02 Jan 2026 03:00:00 GMT", 0, true},                // past: retry now
		{"", 0, false},
		{"-1", 0, false},
		{"soon", 0, false},
		{"1.5", 0, false},
	}
	for _, c := range cases {
		got, ok := ParseRetryAfter([]byte(c.in), now)
		if ok != c.ok || got != c.want {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestClassify(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	cases := []struct {
		err  error
		want measure.ErrClass
	}{
		{fasthttp.ErrTimeout, measure.ErrTimeout},
		{fasthttp.ErrDialTimeout, measure.ErrTimeout},
		{os.ErrDeadlineExceeded, measure.ErrTimeout},
		{refused, measure.ErrRefused},
		{fmt.Errorf("wrapped: %w", syscall.ECONNRESET), measure.ErrRefused},
		{fasthttp.ErrConnectionClosed, measure.ErrRefused},
		{io.EOF, measure.ErrRefused},
		{errors.New("x509: certificate signed by unknown authority"), measure.ErrOther},
	}
	for _, c := range cases {
		if got := classify(c.err); got != c.want {
			t.Errorf("classify(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	for _, c := range []struct {
		status int
		want   measure.ErrClass
	}{{404, measure.ErrHTTP4xx}, {429, measure.ErrHTTP4xx}, {500, measure.ErrHTTP5xx}, {503, measure.ErrHTTP5xx}, {302, measure.ErrOther}} {
		if got := statusClass(c.status); got != c.want {
			t.Errorf("statusClass(%d) = %v, want %v", c.status, got, c.want)
		}
	}
}

func TestDownWindows(t *testing.T) {
	s := func(d time.Duration) int64 { return int64(d) }
	f := func(at, for_ time.Duration) scenarios.Fault {
		return scenarios.Fault{Kind: scenarios.FaultDown, At: dur(at), For: dur(for_)}
	}
	got := downWindows([]scenarios.Fault{
		f(5*time.Second, time.Second), f(time.Second, time.Second), f(1500*time.Millisecond, time.Second),
		{Kind: scenarios.FaultErrors, At: 0, For: dur(time.Hour)},
	}, 0)
	want := []window{{s(time.Second), s(2500 * time.Millisecond)}, {s(5 * time.Second), s(6 * time.Second)}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("downWindows = %v, want %v", got, want)
	}
	got = downWindows([]scenarios.Fault{f(time.Second, 0), f(2*time.Second, time.Second)}, 0)
	if len(got) != 1 || got[0].to != 0 {
		t.Errorf("open-ended window absorbs later ones: got %v", got)
	}
}

func TestResolveDefaults(t *testing.T) {
	w := Resolve(nil)
	if w.Timeout.D() != DefaultTimeout || w.MaxInFlight != DefaultMaxInFlight || w.QueueLimit != DefaultQueueLimit ||
		w.Connections != scenarios.ConnKeepalive || w.Retry.MaxAttempts != DefaultMaxAttempts ||
		w.Retry.Backoff != scenarios.BackoffExponential || w.Retry.Initial.D() != DefaultInitial || w.Retry.Max.D() != DefaultMaxBackoff {
		t.Fatalf("Resolve(nil) = %+v", w)
	}
	if _, err := NewDispatcher(DispatcherConfig{Webhook: Config{Connections: "sometimes"}}, nil); err == nil {
		t.Error("unknown connections mode accepted")
	}
	if _, err := NewDispatcher(DispatcherConfig{}, []Target{{Name: "x", URL: "ftp://x", Sub: nil}}); err == nil {
		t.Error("ftp URL accepted")
	}
}
