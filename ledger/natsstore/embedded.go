package natsstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Embedded is a NATS server with JetStream running inside this process, for
// a single-node deployment and for tests.
type Embedded struct {
	Server *server.Server
	unlock func()
}

// StartEmbedded starts a JetStream server storing its streams in dir, with
// every write fsynced before it is acknowledged. With listen "" it accepts
// in-process connections only; with "host:port" (port 0 picks a free one)
// it also listens there, so the nats CLI can inspect the streams.
//
// Server logs go to logger (nil: none): warnings and errors at their level,
// the server's notices and debug output at debug level.
func StartEmbedded(dir, listen string, logger *slog.Logger) (*Embedded, error) {
	if dir == "" {
		return nil, errors.New("natsstore: embedded server needs a store directory")
	}
	opts := &server.Options{
		ServerName: "alliance",
		JetStream:  true,
		StoreDir:   dir,
		// A ledger acknowledges a commit only once it is on disk.
		SyncAlways: true,
		NoSigs:     true, // the embedding process owns signal handling
		NoLog:      logger == nil,
		DontListen: listen == "",
	}
	if listen != "" {
		host, portText, err := net.SplitHostPort(listen)
		if err != nil {
			return nil, fmt.Errorf("natsstore: listen address %q: %w", listen, err)
		}
		port, err := strconv.Atoi(portText)
		if err != nil || port < 0 || port > 65535 {
			return nil, fmt.Errorf("natsstore: listen address %q: bad port", listen)
		}
		if port == 0 {
			port = server.RANDOM_PORT // to the server, 0 means its default, 4222
		}
		opts.Host, opts.Port = host, port
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		unlock()
		return nil, fmt.Errorf("natsstore: embedded server: %w", err)
	}
	if logger != nil {
		debug := logger.Enabled(context.Background(), slog.LevelDebug)
		ns.SetLoggerV2(serverLog{logger}, debug, false, false)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		ns.WaitForShutdown()
		unlock()
		return nil, errors.New("natsstore: embedded server not ready after 10s")
	}
	return &Embedded{Server: ns, unlock: unlock}, nil
}

// ClientURL is the URL clients outside the process connect to, "" if the
// server does not listen.
func (e *Embedded) ClientURL() string {
	if e.Server.Addr() == nil {
		return ""
	}
	return e.Server.ClientURL()
}

// Connect opens an in-process connection to the server (it works without a
// listener). Options are applied after the store's defaults.
func (e *Embedded) Connect(opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{nats.Name("alliance-ledger"), nats.InProcessServer(e.Server)}, opts...)
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("natsstore: connect to embedded server: %w", err)
	}
	return nc, nil
}

// Shutdown stops the server and waits until it has flushed and closed its
// streams, so that the directory can be reopened.
func (e *Embedded) Shutdown() {
	e.Server.Shutdown()
	e.Server.WaitForShutdown()
	e.unlock()
}

// serverLog adapts slog to the nats-server logger.
type serverLog struct{ l *slog.Logger }

func (s serverLog) log(level slog.Level, format string, v []any, attrs ...any) {
	if !s.l.Enabled(context.Background(), level) {
		return // spare the formatting
	}
	s.l.Log(context.Background(), level, fmt.Sprintf(format, v...), append(attrs, "src", "nats-server")...)
}

// Noticef is the server's chatter (its banner, every stream it recovers):
// debug output to the ledger.
func (s serverLog) Noticef(format string, v ...any) { s.log(slog.LevelDebug, format, v) }
func (s serverLog) Warnf(format string, v ...any)   { s.log(slog.LevelWarn, format, v) }
func (s serverLog) Errorf(format string, v ...any)  { s.log(slog.LevelError, format, v) }
func (s serverLog) Debugf(format string, v ...any)  { s.log(slog.LevelDebug, format, v) }
func (s serverLog) Tracef(format string, v ...any)  { s.log(slog.LevelDebug-4, format, v) }

// Fatalf logs only: the embedding process, not the server, decides whether
// to exit.
func (s serverLog) Fatalf(format string, v ...any) { s.log(slog.LevelError, format, v, "fatal", true) }
