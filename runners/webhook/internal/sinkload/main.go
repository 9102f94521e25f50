// Command sinkload is the hostile client used to measure `evbench sink`'s
// bounds (issue 9 item 17) with /usr/bin/time -v around the sink:
//
//	sinkload chunked -url U -n 16 -size 104857600   n concurrent chunked bodies
//	sinkload ids -url U -n 1000000 [-foreign]       n distinct webhook-ids
//	sinkload slow -addr H:P -conns 1000 -hold 30s   connections that never finish their headers
//
// It prints what the sink answered; the sink's RSS is read by the caller.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: sinkload chunked|ids|slow [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "chunked":
		err = chunked(os.Args[2:])
	case "ids":
		err = ids(os.Args[2:])
	case "slow":
		err = slow(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sinkload:", err)
		os.Exit(1)
	}
}

// zeros is an endless reader of '0' bytes limited by the caller.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}

func chunked(args []string) error {
	fs := flag.NewFlagSet("chunked", flag.ExitOnError)
	url := fs.String("url", "", "sink URL")
	n := fs.Int("n", 16, "concurrent bodies")
	size := fs.Int64("size", 100<<20, "bytes per body")
	_ = fs.Parse(args)
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[string]int{}
	cl := &http.Client{Timeout: 5 * time.Minute}
	for i := 0; i < *n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// A plain io.Reader (no length) makes net/http send the body chunked.
			body := io.NopCloser(io.LimitReader(zeros{}, *size))
			req, _ := http.NewRequest(http.MethodPost, *url, body)
			req.ContentLength = -1
			req.Header.Set("webhook-id", "msg_"+strconv.Itoa(i+1))
			resp, err := cl.Do(req)
			k := ""
			if err != nil {
				k = "error"
			} else {
				k = strconv.Itoa(resp.StatusCode)
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
			mu.Lock()
			statuses[k]++
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	fmt.Printf("chunked: %d bodies of %d bytes: %v\n", *n, *size, statuses)
	return nil
}

func ids(args []string) error {
	fs := flag.NewFlagSet("ids", flag.ExitOnError)
	url := fs.String("url", "", "sink URL")
	n := fs.Int("n", 1_000_000, "distinct ids to send")
	conns := fs.Int("conns", 8, "concurrent connections")
	foreign := fs.Bool("foreign", false, "send spec-style string ids instead of evbench's msg_<decimal>")
	_ = fs.Parse(args)
	c := &fasthttp.Client{MaxConnsPerHost: *conns}
	var next, ok, other atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < *conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			var idb []byte
			for {
				i := next.Add(1)
				if i > int64(*n) {
					return
				}
				req.Reset()
				req.SetRequestURI(*url)
				req.Header.SetMethod("POST")
				if *foreign {
					idb = strconv.AppendInt(append(idb[:0], "evt_p5jXN8AQM9LWM0D4loKWxJek_"...), i, 36)
				} else {
					idb = strconv.AppendInt(append(idb[:0], "msg_"...), i, 10)
				}
				req.Header.SetBytesV("webhook-id", idb)
				req.SetBodyString("{}")
				if err := c.DoTimeout(req, resp, 10*time.Second); err != nil || resp.StatusCode() != 200 {
					other.Add(1)
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	el := time.Since(t0)
	fmt.Printf("ids: %d sent in %v (%.0f/s): %d answered 200, %d other\n", *n, el.Round(time.Millisecond), float64(*n)/el.Seconds(), ok.Load(), other.Load())
	return nil
}

func slow(args []string) error {
	fs := flag.NewFlagSet("slow", flag.ExitOnError)
	addr := fs.String("addr", "", "sink host:port")
	conns := fs.Int("conns", 1000, "connections to open")
	hold := fs.Duration("hold", 30*time.Second, "how long to keep trickling")
	_ = fs.Parse(args)
	var open []net.Conn
	refused := 0
	for i := 0; i < *conns; i++ {
		c, err := net.DialTimeout("tcp", *addr, 2*time.Second)
		if err != nil {
			refused++
			continue
		}
		if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\n"); err != nil {
			refused++
			_ = c.Close()
			continue
		}
		open = append(open, c)
	}
	fmt.Printf("slow: %d connections open, %d refused at once\n", len(open), refused)
	// Trickle one header byte per second on each, as a slowloris client does,
	// and see which connections the server has closed.
	end := time.Now().Add(*hold)
	alive := len(open)
	for time.Now().Before(end) && alive > 0 {
		time.Sleep(time.Second)
		alive = 0
		for i, c := range open {
			if c == nil {
				continue
			}
			_ = c.SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := io.WriteString(c, "X"); err != nil {
				_ = c.Close()
				open[i] = nil
				continue
			}
			// A closed connection may still accept the first write; a read
			// that returns at once (EOF or the 408 answer) tells.
			_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
			var b [1]byte
			if _, err := c.Read(b[:]); err == nil || !isTimeout(err) {
				_ = c.Close()
				open[i] = nil
				continue
			}
			alive++
		}
	}
	fmt.Printf("slow: %d of %d connections still open after %v\n", alive, *conns, *hold)
	for _, c := range open {
		if c != nil {
			_ = c.Close()
		}
	}
	return nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
