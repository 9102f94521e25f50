package childproc

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// The test binary is its own child: with echoEnv set it reads a testConfig
// with ReadConfig and writes it back as a configuration frame followed by
// whatever else the parent wrote; with exitEnv set it exits at once without
// reading anything.
const (
	echoEnv = "EVBENCH_CHILDPROC_TEST_ECHO"
	exitEnv = "EVBENCH_CHILDPROC_TEST_EXIT"
)

type testConfig struct {
	Name    string
	Brokers []string
	Headers map[string]string
	Timeout time.Duration
	Nested  *struct{ A, B int }
	Payload []byte
}

func TestMain(m *testing.M) {
	switch {
	case os.Getenv(exitEnv) == "1":
		os.Exit(0)
	case os.Getenv(echoEnv) == "1":
		if err := echo(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "echo child: %v\n", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func echo(in io.Reader, out io.Writer) error {
	r := bufio.NewReader(in)
	var cfg testConfig
	if err := ReadConfig(r, &cfg); err != nil {
		return err
	}
	frame, err := AppendConfig(nil, cfg)
	if err != nil {
		return err
	}
	rest, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	fw := NewFrameWriter(out)
	fw.Write(frame, rest)
	return fw.Sync()
}

// TestStartReadConfig: what Start sends is what the child's ReadConfig
// decodes, field for field, and frames the parent writes after it stay on
// the child's stdin; a child that cannot decode the config fails loudly.
func TestStartReadConfig(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB: more than a pipe holds
	for _, c := range []struct {
		name    string
		cfg     any
		want    testConfig
		wantErr string // in the child's stderr; the child exits non-zero
	}{
		{name: "zero", cfg: testConfig{}},
		{name: "fields", cfg: testConfig{Name: "sender", Brokers: []string{"127.0.0.1:9092", "127.0.0.1:9093"},
			Headers: map[string]string{"X-A": "1"}, Timeout: 3 * time.Second, Nested: &struct{ A, B int }{1, -2}},
			want: testConfig{Name: "sender", Brokers: []string{"127.0.0.1:9092", "127.0.0.1:9093"},
				Headers: map[string]string{"X-A": "1"}, Timeout: 3 * time.Second, Nested: &struct{ A, B int }{1, -2}}},
		{name: "1 MiB", cfg: testConfig{Name: "big", Payload: big}, want: testConfig{Name: "big", Payload: big}},
		{name: "another type", cfg: struct{ Name int }{7}, wantErr: "config: gob"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			p, err := Start(exe, echoEnv, c.cfg, &stderr)
			if err != nil {
				t.Fatal(err)
			}
			// The parent's next frames, then end of input.
			if _, err := p.Stdin.Write([]byte("Sxyz")); err != nil && c.wantErr == "" {
				t.Fatal(err)
			}
			_ = p.Stdin.Close()
			out, rerr := io.ReadAll(p.Stdout)
			werr := p.Cmd.Wait()
			if rerr != nil {
				t.Fatal(rerr)
			}
			if c.wantErr != "" {
				if werr == nil || !strings.Contains(stderr.String(), c.wantErr) {
					t.Fatalf("child exit %v, stderr %q: want a failure mentioning %q", werr, stderr.String(), c.wantErr)
				}
				return
			}
			if werr != nil {
				t.Fatalf("child: %v: %s", werr, stderr.String())
			}
			r := bufio.NewReader(bytes.NewReader(out))
			var got testConfig
			if err := ReadConfig(r, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("child decoded %+v, want %+v", got, c.want)
			}
			if rest, _ := io.ReadAll(r); string(rest) != "Sxyz" {
				t.Errorf("after the config frame the child read %q, want %q", rest, "Sxyz")
			}
		})
	}
}

// TestStartErrors: a config that cannot be encoded starts nothing; a
// missing executable and a child that exits without reading its config
// are errors.
func TestStartErrors(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	big := testConfig{Payload: make([]byte, 1<<20)} // more than the pipe holds
	for _, c := range []struct {
		name, exe, env string
		cfg            any
		prefix, want   string
	}{
		{"unencodable", exe, echoEnv, make(chan int), "config: ", "chan int"},
		{"no executable", "/nonexistent/evbench", echoEnv, testConfig{}, "start /nonexistent/evbench: ", "no such file"},
		{"child exits", exe, exitEnv, big, "config: ", "broken pipe"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := Start(c.exe, c.env, c.cfg, io.Discard)
			if err == nil {
				_ = p.Cmd.Process.Kill()
				_ = p.Cmd.Wait()
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), c.prefix) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want %q... mentioning %q", err, c.prefix, c.want)
			}
		})
	}
}

// TestReadConfigBadFrames: a missing, short, oversized or undecodable
// config frame is an error that says which.
func TestReadConfigBadFrames(t *testing.T) {
	good, err := AppendConfig(nil, testConfig{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	hdr := func(n uint32) []byte { return binary.BigEndian.AppendUint32([]byte{'C'}, n) }
	for _, c := range []struct {
		name   string
		in     []byte
		want   string
		wantIs error
	}{
		{"empty", nil, "no config frame", io.EOF},
		{"other frame first", []byte("Q"), `got frame 'Q'`, nil},
		{"short length", []byte{'C', 0, 0}, "config: length", io.ErrUnexpectedEOF},
		{"no body", hdr(16), "config: 16-byte body", io.ErrUnexpectedEOF},
		{"short body", good[:len(good)-1], "byte body", io.ErrUnexpectedEOF},
		{"too large", hdr(MaxConfig + 1), "more than", nil},
		{"not gob", append(hdr(3), "abc"...), "config:", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var cfg testConfig
			err := ReadConfig(bufio.NewReader(bytes.NewReader(c.in)), &cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one mentioning %q", err, c.want)
			}
			if c.wantIs != nil && !errors.Is(err, c.wantIs) {
				t.Errorf("error %v, want it to wrap %v", err, c.wantIs)
			}
		})
	}
}

// TestFrameWriter: frames written from many goroutines arrive whole, with
// their extra bytes right after them; the flusher writes them out without
// Sync; a write error drops later frames and Sync reports it.
func TestFrameWriter(t *testing.T) {
	t.Run("whole frames", func(t *testing.T) {
		var out bytes.Buffer
		fw := NewFrameWriter(&out)
		const writers, each = 8, 2000
		var wg sync.WaitGroup
		for g := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					extra := bytes.Repeat([]byte{byte(g)}, i%100)
					fw.Write(binary.BigEndian.AppendUint32([]byte{'f', byte(g)}, uint32(len(extra))), extra)
				}
			}()
		}
		wg.Wait()
		if err := fw.Sync(); err != nil {
			t.Fatal(err)
		}
		n := make([]int, writers)
		r := bytes.NewReader(out.Bytes())
		for frames := 0; r.Len() > 0; frames++ {
			var h [6]byte
			if _, err := io.ReadFull(r, h[:]); err != nil || h[0] != 'f' || int(h[1]) >= writers {
				t.Fatalf("frame %d: header %q, %v", frames, h, err)
			}
			g := int(h[1])
			extra := make([]byte, binary.BigEndian.Uint32(h[2:]))
			if _, err := io.ReadFull(r, extra); err != nil || len(extra) != n[g]%100 ||
				!bytes.Equal(extra, bytes.Repeat([]byte{h[1]}, len(extra))) {
				t.Fatalf("writer %d frame %d: extra %q, %v", g, n[g], extra, err)
			}
			n[g]++
		}
		for g, k := range n {
			if k != each {
				t.Errorf("writer %d: %d frames, want %d", g, k, each)
			}
		}
	})
	t.Run("flushed without Sync", func(t *testing.T) {
		pr, pw := io.Pipe()
		fw := NewFrameWriter(pw)
		fw.Write([]byte("ab"), []byte("cd"))
		got := make(chan string, 1)
		go func() {
			b := make([]byte, 4)
			_, _ = io.ReadFull(pr, b)
			got <- string(b)
		}()
		select {
		case s := <-got:
			if s != "abcd" {
				t.Errorf("read %q, want abcd", s)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("frame not flushed after 10s")
		}
		_ = pw.Close()
	})
	t.Run("write error", func(t *testing.T) {
		w := &failWriter{}
		fw := NewFrameWriter(w)
		fw.Write([]byte("x"), nil)
		err := fw.Sync()
		fw.Write([]byte("y"), nil)
		if err == nil || !errors.Is(fw.Sync(), errPipe) || w.writes != 1 {
			t.Errorf("Sync %v, %d writes: want the first error and no write after it", err, w.writes)
		}
	})
}

var errPipe = errors.New("broken pipe")

type failWriter struct {
	mu     sync.Mutex
	writes int
}

func (w *failWriter) Write([]byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	return 0, errPipe
}

// TestStderr: the first StderrMax bytes are kept, every write reports all
// of its bytes written (the child never sees an error).
func TestStderr(t *testing.T) {
	for _, c := range []struct {
		name   string
		writes []int // sizes
		keep   int
	}{
		{"empty", nil, 0},
		{"small", []int{10, 20}, 30},
		{"exactly full", []int{StderrMax - 1, 1}, StderrMax},
		{"crosses the limit", []int{StderrMax - 5, 10, 3}, StderrMax},
		{"one big write", []int{3 * StderrMax}, StderrMax},
	} {
		t.Run(c.name, func(t *testing.T) {
			var s Stderr
			var all []byte
			for i, n := range c.writes {
				p := bytes.Repeat([]byte{byte('a' + i)}, n)
				all = append(all, p...)
				if k, err := s.Write(p); k != n || err != nil {
					t.Fatalf("write %d: %d, %v; want %d, nil", i, k, err, n)
				}
			}
			if got := s.Bytes(); !bytes.Equal(got, all[:c.keep]) {
				t.Errorf("kept %d bytes, want the first %d", len(got), c.keep)
			}
		})
	}
}
