package natsstore

import (
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// Connect connects to an external NATS server (or cluster: url may list
// several, comma-separated). The connection never gives up reconnecting:
// the ledger is useless without it, and appends in flight settle once it is
// back. Options are applied after these defaults.
func Connect(url string, opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{
		nats.Name("alliance-ledger"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.ReconnectJitter(100*time.Millisecond, time.Second),
		nats.RetryOnFailedConnect(false),
	}, opts...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("natsstore: connect to %s: %w", url, err)
	}
	return nc, nil
}
