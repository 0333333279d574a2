package memstore_test

import (
	"testing"

	"github.com/alliance-ledger/alliance/ledger"
	"github.com/alliance-ledger/alliance/ledger/ledgertest"
	"github.com/alliance-ledger/alliance/ledger/memstore"
)

func TestConformance(t *testing.T) {
	ledgertest.Run(t, func(*testing.T) ledger.Store { return memstore.New() })
}
