package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The bench's HTTP client reads what net/http's server writes: bodies by
// length and in chunks, empty answers, and a server closing the
// connection; it sends the headers and body it is given.
func TestLeanClient(t *testing.T) {
	big := strings.Repeat("0123456789", 10_000) // past the server's buffer: chunked
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/small":
			io.WriteString(w, "hello")
		case "/big":
			io.WriteString(w, big)
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, r.Header.Get("Authorization")+"|"+r.Header.Get("Idempotency-Key")+"|"+r.Header.Get("Content-Type")+"|")
			w.Write(b)
		case "/304":
			w.WriteHeader(http.StatusNotModified)
		case "/close":
			w.Header().Set("Connection", "close")
			io.WriteString(w, "bye")
		default:
			http.Error(w, "no such page", http.StatusNotFound)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	lc := newLeanClient(strings.TrimPrefix(srv.URL, "http://"), 4)
	defer lc.close()
	for range 3 { // on kept connections too
		for _, c := range []struct {
			path   string
			status int
			body   string
		}{{"/small", 200, "hello"}, {"/big", 200, big}, {"/304", 304, ""}, {"/close", 200, "bye"}, {"/nope", 404, "no such page\n"}} {
			st, b, err := lc.do(ctx, "GET", c.path, nil)
			if err != nil || st != c.status || string(b) != c.body {
				t.Fatalf("GET %s: %d, %d bytes, %v; want %d, %d bytes", c.path, st, len(b), err, c.status, len(c.body))
			}
		}
	}
	ll := leanLoad{lc}
	if err := ll.post(ctx, "/echo", "tok", "k1", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	st, b, err := lc.do(ctx, "POST", "/echo", []byte(`{"a":1}`), "Authorization", "Bearer tok", "Idempotency-Key", "k1", "Content-Type", "application/json")
	if want := `Bearer tok|k1|application/json|{"a":1}`; err != nil || st != 201 || string(b) != want {
		t.Fatalf("POST /echo: %d %q %v, want 201 %q", st, b, err, want)
	}
	if err := ll.post(ctx, "/small", "tok", "k1", []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "status 200") {
		t.Fatalf("a POST answered 200 where 201 is expected: %v", err)
	}
	var got []byte
	if err := ll.get(ctx, "/big", "tok", &got); err != nil || string(got) != big {
		t.Fatalf("get /big: %d bytes, %v", len(got), err)
	}
	if err := ll.get(ctx, "/nope", "", nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("get /nope: %v, want the status in the error", err)
	}
}

// A response that is not HTTP is an error, not a hang or a guess.
func TestLeanClientRejectsGarbage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				c.Read(buf)
				c.Write([]byte("SMTP ready\r\n\r\n"))
			}()
		}
	}()
	lc := newLeanClient(ln.Addr().String(), 1)
	defer lc.close()
	_, _, err = lc.do(context.Background(), "GET", "/", nil)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("malformed")) {
		t.Fatalf("a non-HTTP answer: %v, want a malformed-response error", err)
	}
}
