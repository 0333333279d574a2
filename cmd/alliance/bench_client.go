package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// leanClient is the load generator of `alliance bench http`: HTTP/1.1 over
// loopback TCP with persistent connections, one request in flight on each
// and each client waiting for its answer, as wrk or hey drive a server.
// It writes each request whole (request line, Host, the headers given,
// Content-Length, body) and reads each response whole (status line,
// headers, a body by Content-Length or in chunks), and nothing else:
// net/http's client, with its transport, pools and goroutines per
// connection, costs about as much CPU per request as the server it
// measures, and on a 2-core machine the two share the cores. The
// benchmark reports the floor (a handler that does nothing) with the same
// client, so the cost of the client is visible either way.
type leanClient struct {
	addr  string
	conns chan *leanConn
}

type leanConn struct {
	c   net.Conn
	r   *bufio.Reader
	w   *bufio.Writer
	buf []byte // the last response's body
	num [20]byte
}

func newLeanClient(addr string, conns int) *leanClient {
	return &leanClient{addr: addr, conns: make(chan *leanConn, conns)}
}

// close closes the idle connections.
func (lc *leanClient) close() {
	for {
		select {
		case c := <-lc.conns:
			c.c.Close()
		default:
			return
		}
	}
}

func (lc *leanClient) conn(ctx context.Context) (*leanConn, error) {
	select {
	case c := <-lc.conns:
		return c, nil
	default:
	}
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(ctx, "tcp", lc.addr)
	if err != nil {
		return nil, err
	}
	return &leanConn{c: c, r: bufio.NewReaderSize(c, 32<<10), w: bufio.NewWriterSize(c, 8<<10)}, nil
}

func (lc *leanClient) put(c *leanConn) {
	select {
	case lc.conns <- c:
	default:
		c.c.Close()
	}
}

// do sends a request with the headers given (name, value pairs) and body
// (a GET's is nil), and returns the status and the body, which is valid
// until the connection's next request (copy it to keep it).
func (lc *leanClient) do(ctx context.Context, method, path string, body []byte, headers ...string) (int, []byte, error) {
	c, err := lc.conn(ctx)
	if err != nil {
		return 0, nil, err
	}
	status, b, keep, err := c.roundTrip(lc.addr, method, path, body, headers)
	if err != nil {
		c.c.Close()
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if keep {
		lc.put(c)
	} else {
		c.c.Close()
	}
	return status, b, nil
}

func (c *leanConn) roundTrip(host, method, path string, body []byte, headers []string) (status int, out []byte, keep bool, err error) {
	w := c.w
	w.WriteString(method)
	w.WriteByte(' ')
	w.WriteString(path)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(host)
	w.WriteString("\r\nUser-Agent: alliance-bench\r\n")
	for i := 0; i+1 < len(headers); i += 2 {
		w.WriteString(headers[i])
		w.WriteString(": ")
		w.WriteString(headers[i+1])
		w.WriteString("\r\n")
	}
	if body != nil {
		w.WriteString("Content-Length: ")
		w.Write(strconv.AppendInt(c.num[:0], int64(len(body)), 10))
		w.WriteString("\r\n\r\n")
		w.Write(body)
	} else {
		w.WriteString("\r\n")
	}
	if err := w.Flush(); err != nil {
		return 0, nil, false, err
	}
	return c.readResponse()
}

var errBadResponse = errors.New("malformed HTTP response")

// readResponse reads a response whole.
func (c *leanConn) readResponse() (status int, body []byte, keep bool, err error) {
	line, err := c.line()
	if err != nil {
		return 0, nil, false, err
	}
	// HTTP/1.1 200 OK
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, nil, false, fmt.Errorf("%w: status line %q", errBadResponse, line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, nil, false, fmt.Errorf("%w: status line %q", errBadResponse, line)
	}
	length, chunked := -1, false
	keep = true
	for {
		h, err := c.line()
		if err != nil {
			return 0, nil, false, err
		}
		if len(h) == 0 {
			break
		}
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return 0, nil, false, fmt.Errorf("%w: header %q", errBadResponse, h)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return 0, nil, false, fmt.Errorf("%w: Content-Length %q", errBadResponse, value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			keep = !bytes.EqualFold(value, []byte("close"))
		}
	}
	c.buf = c.buf[:0]
	switch {
	case status == 204 || status == 304 || status/100 == 1:
	case chunked:
		for {
			h, err := c.line()
			if err != nil {
				return 0, nil, false, err
			}
			if i := bytes.IndexByte(h, ';'); i >= 0 {
				h = h[:i]
			}
			n, err := strconv.ParseInt(string(bytes.TrimSpace(h)), 16, 32)
			if err != nil || n < 0 {
				return 0, nil, false, fmt.Errorf("%w: chunk size %q", errBadResponse, h)
			}
			if n == 0 {
				for { // trailers, up to the blank line
					t, err := c.line()
					if err != nil {
						return 0, nil, false, err
					}
					if len(t) == 0 {
						break
					}
				}
				break
			}
			if err := c.readN(int(n)); err != nil {
				return 0, nil, false, err
			}
			if crlf, err := c.line(); err != nil || len(crlf) != 0 {
				return 0, nil, false, fmt.Errorf("%w: chunk not ended by CRLF", errBadResponse)
			}
		}
	case length >= 0:
		if err := c.readN(length); err != nil {
			return 0, nil, false, err
		}
	default:
		// The body runs to the end of the connection.
		b, err := io.ReadAll(c.r)
		if err != nil {
			return 0, nil, false, err
		}
		c.buf, keep = append(c.buf, b...), false
	}
	return status, c.buf, keep, nil
}

// readN appends the next n bytes to c.buf.
func (c *leanConn) readN(n int) error {
	from := len(c.buf)
	c.buf = slices.Grow(c.buf, n)[:from+n]
	_, err := io.ReadFull(c.r, c.buf[from:])
	return err
}

// line reads a line without its CRLF; it is valid until the next read.
func (c *leanConn) line() ([]byte, error) {
	l, err := c.r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%w: a line longer than %d bytes", errBadResponse, c.r.Size())
		}
		return nil, err
	}
	l = bytes.TrimSuffix(l[:len(l)-1], []byte("\r"))
	return l, nil
}

// loadClient sends the measured requests of `alliance bench http` to one
// server.
type loadClient interface {
	// get sends a GET that must answer 200; body, if set, receives a copy
	// of the answer.
	get(ctx context.Context, path, token string, body *[]byte) error
	// post sends a JSON POST with an idempotency key that must answer 201.
	post(ctx context.Context, path, token, key string, body []byte) error
	close()
}

// newLoadClient is a client of kind "lean" or "net/http" for the server
// at base (http://host:port), keeping up to conns connections.
func newLoadClient(kind, base string, conns int) (loadClient, error) {
	switch kind {
	case "lean":
		return leanLoad{newLeanClient(strings.TrimPrefix(base, "http://"), conns)}, nil
	case "net/http":
		return netLoad{base: base, c: &http.Client{Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        2 * conns,
			MaxIdleConnsPerHost: 2 * conns,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		}, Timeout: time.Minute}}, nil
	}
	return nil, fmt.Errorf("--client: want lean or net/http, got %q", kind)
}

type leanLoad struct{ *leanClient }

func (l leanLoad) get(ctx context.Context, path, token string, body *[]byte) error {
	var (
		st  int
		b   []byte
		err error
	)
	if token != "" {
		st, b, err = l.do(ctx, "GET", path, nil, "Authorization", "Bearer "+token)
	} else {
		st, b, err = l.do(ctx, "GET", path, nil)
	}
	if err != nil {
		return err
	}
	if st != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %s", path, st, bytes.TrimSpace(b))
	}
	if body != nil {
		*body = bytes.Clone(b)
	}
	return nil
}

func (l leanLoad) post(ctx context.Context, path, token, key string, body []byte) error {
	st, b, err := l.do(ctx, "POST", path, body, "Authorization", "Bearer "+token, "Content-Type", "application/json", "Idempotency-Key", key)
	if err != nil {
		return err
	}
	if st != http.StatusCreated {
		return fmt.Errorf("POST %s: status %d: %s", path, st, bytes.TrimSpace(b))
	}
	return nil
}

type netLoad struct {
	base string
	c    *http.Client
}

func (n netLoad) get(ctx context.Context, path, token string, body *[]byte) error {
	return httpExpectGet(ctx, n.c, n.base+path, token, body)
}

func (n netLoad) post(ctx context.Context, path, token, key string, body []byte) error {
	return httpExpectPost(ctx, n.c, n.base+path, token, key, body)
}

func (n netLoad) close() { n.c.CloseIdleConnections() }
