package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// The ledger reaches a NATS server that demands TLS under its own CA, a
// client certificate and a password, with --nats-ca, --nats-cert/--nats-key
// and a user:password@ URL; without the CA it is refused, and says why.
func TestNATSWithTLSAndClientCerts(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: dir + "/js", NoSigs: true, NoLog: true,
		Username: "ledger", Password: "s3cret",
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12},
		TLS:       true, TLSVerify: true, TLSTimeout: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	addr := ns.Addr().String()
	url := fmt.Sprintf("tls://ledger:s3cret@%s", addr)
	run1 := func(args ...string) (string, error) {
		var out, errb bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		err := run(ctx, append([]string{"alliance"}, args...), strings.NewReader(""), &out, &errb, func(string) string { return "" })
		return out.String() + errb.String(), err
	}
	// The cert is its own CA here: it signs the server's and the client's.
	out, err := run1("demo", "--no-serve", "--nats-url", url, "--nats-ca", certFile, "--nats-cert", certFile, "--nats-key", keyFile, "--data", dir+"/local")
	if err != nil || !strings.Contains(out, "events in the log") {
		t.Fatalf("demo over TLS with the CA and a client certificate: %v\n%s", err, out)
	}
	out, err = run1("balances", "--alliance", "yrd-battery", "--nats-url", url, "--nats-ca", certFile, "--nats-cert", certFile, "--nats-key", keyFile, "--data", dir+"/local")
	if err != nil || !strings.Contains(out, "M02") {
		t.Fatalf("balances over TLS: %v\n%s", err, out)
	}
	if out, err := run1("balances", "--alliance", "yrd-battery", "--nats-url", url, "--nats-cert", certFile, "--nats-key", keyFile, "--data", dir+"/local"); err == nil {
		t.Fatalf("without --nats-ca the server's certificate was trusted:\n%s", out)
	} else if !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without --nats-ca: %v (want it to name the certificate)", err)
	}
	if _, err := run1("balances", "--alliance", "yrd-battery", "--nats-url", url, "--nats-ca", certFile, "--data", dir+"/local"); err == nil {
		t.Fatal("without a client certificate the server let the ledger in")
	}
	if _, err := run1("balances", "--alliance", "yrd-battery", "--nats-url", "tls://ledger:wrong@"+addr, "--nats-ca", certFile, "--nats-cert", certFile, "--nats-key", keyFile, "--data", dir+"/local"); err == nil {
		t.Fatal("a wrong password was let in")
	}
	if _, err := run1("balances", "--alliance", "yrd-battery", "--nats-ca", certFile, "--data", dir+"/local"); err == nil || !strings.Contains(err.Error(), "--nats-url") {
		t.Fatalf("--nats-ca without --nats-url: %v", err)
	}
}
