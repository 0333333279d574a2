package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startServe runs `alliance serve` in-process until the returned stop is
// called (as SIGINT would), and returns its base URL.
func startServe(t *testing.T, args ...string) (url string, stop func() (string, error)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"alliance", "serve"}, args...), strings.NewReader(""), pw, &stderr, func(string) string { return "" })
		pw.Close()
		done <- err
	}()
	sc := bufio.NewScanner(pr)
	var out strings.Builder
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if rest, ok := strings.CutPrefix(line, "serving "); ok {
			url, _, _ = strings.Cut(rest, " ")
			break
		}
	}
	if url == "" {
		cancel()
		t.Fatalf("serve printed no URL: %s\nstderr: %s\nerr: %v", out.String(), stderr.String(), <-done)
	}
	rest := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(pr)
		rest <- string(b)
	}()
	return url, func() (string, error) {
		cancel()
		select {
		case err := <-done:
			return out.String() + <-rest, err
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop within 20 s of its signal")
			return "", nil
		}
	}
}

func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), append([]string{"alliance"}, args...), strings.NewReader(""), &stdout, &stderr, func(string) string { return "" }); err != nil {
		t.Fatalf("alliance %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

func get(t *testing.T, client *http.Client, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// serve answers with the tokens made by `alliance token`, forgets a revoked
// one at once, and stops cleanly when signalled.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	runCLI(t, "demo", "--no-serve", "--data", dir)
	token := strings.TrimSpace(runCLI(t, "token", "create", "--data", dir, "--role", "auditor", "--alliance", "yrd-battery", "--name", "test"))
	url, stop := startServe(t, "--data", dir, "--addr", "127.0.0.1:0")
	c := http.DefaultClient
	if code, body := get(t, c, url+"/healthz", ""); code != 200 || !strings.Contains(body, "ok") {
		t.Fatalf("healthz: %d %s", code, body)
	}
	if code, body := get(t, c, url+"/v1/alliances/yrd-battery/balances", token); code != 200 || !strings.Contains(body, `"members"`) {
		t.Fatalf("balances: %d %s", code, body)
	}
	if code, _ := get(t, c, url+"/v1/alliances/yrd-battery/balances", ""); code != 401 {
		t.Fatalf("balances without a token: %d", code)
	}
	code, body := get(t, c, url+"/metrics", "")
	for _, m := range []string{"alliance_http_request_seconds_bucket", "alliance_projection_lag_events{alliance=\"yrd-battery\"}", "go_goroutines"} {
		if code != 200 || !strings.Contains(body, m) {
			t.Fatalf("metrics (%d) lack %s", code, m)
		}
	}
	out, err := stop()
	if err != nil || !strings.Contains(out, "stopped") {
		t.Fatalf("serve ended with %v, output:\n%s", err, out)
	}
	// With the server up, the secretariat manages tokens through the API;
	// a revoked token stops working at once.
	ops := strings.TrimSpace(runCLI(t, "token", "create", "--data", dir, "--role", "secretariat", "--alliance", "*", "--name", "ops"))
	url, stop = startServe(t, "--data", dir, "--addr", "127.0.0.1:0")
	defer stop()
	req, _ := http.NewRequest("POST", url+"/v1/tokens", strings.NewReader(`{"role":"member","alliance":"yrd-battery","member":"M05","name":"M05 finance"}`))
	req.Header.Set("Authorization", "Bearer "+ops)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 201 || created.Token == "" {
		t.Fatalf("create a token over the API: %d %v", resp.StatusCode, err)
	}
	if code, body := get(t, c, url+"/v1/alliances/yrd-battery/members/M05/statement", created.Token); code != 200 {
		t.Fatalf("the new member token: %d %s", code, body)
	}
	req, _ = http.NewRequest("DELETE", url+"/v1/tokens/"+created.ID, nil)
	req.Header.Set("Authorization", "Bearer "+ops)
	resp, err = c.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("revoke over the API: %v %v", resp, err)
	}
	resp.Body.Close()
	if code, _ := get(t, c, url+"/v1/alliances/yrd-battery/members/M05/statement", created.Token); code != 401 {
		t.Fatalf("a revoked token: status %d, want 401", code)
	}
}

// serve speaks HTTPS with --tls-cert and --tls-key.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	url, stop := startServe(t, "--data", filepath.Join(dir, "data"), "--addr", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("serve with TLS printed %s", url)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if code, body := get(t, c, url+"/healthz", ""); code != 200 {
		t.Fatalf("healthz over TLS: %d %s", code, body)
	}
	if resp, err := http.Get(strings.Replace(url, "https", "http", 1) + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("plain HTTP on the TLS port: status %d, want Go's 400 refusal", resp.StatusCode)
		}
	}
	if _, err := stop(); err != nil {
		t.Fatal(err)
	}
}

func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
