// Package sample builds a realistic sample alliance: three years of a
// Yangtze River Delta power-battery alliance (长三角新能源汽车动力电池产业技术
// 创新战略联盟) with a dozen member units, five joint projects, a few hundred
// contributions, some thirty IP filings, grants, dues and revenue, costs and
// a realised loss, two benefit pools and a disputed payout. It feeds the
// `alliance demo` command, the dashboard and tests of the read side.
//
// The sample is a pure function of its arguments: a fixed-seed generator,
// no clock, no map order in the output. Every unit name is invented.
//
// Callers that append the sample more than once (running the demo twice)
// must pass the same start each time: the idempotency keys are bound to the
// requests' bodies, which contain the business times. With a fixed start
// and a later until, a second run appends only what the first one left out
// (the sample up to an earlier until is a prefix of the sample up to a later
// one, with the same keys).
package sample

import (
	"time"

	"github.com/alliance-ledger/alliance/ledger"
)

// Requests returns the requests that build the sample alliance, in order;
// appending them one after another to an empty log of alliance `alliance`
// succeeds. start is the founding date (business time); every occurred_at
// lies between start and start + 3 years and none after until: requests
// after until are left out (the writer refuses business times more than a
// day ahead of its clock, so callers pass time.Now()).
//
// Each request has Actor "secretariat", or "member:<id>" for a member's own
// contribution, confirmation, contest or dispute, and a stable idempotency
// key "sample-NNNN" (its index in the full sample).
func Requests(alliance string, start, until time.Time) []ledger.Request {
	p := newPlanner(start)
	p.governance()
	p.projectLifecycle()
	p.contributions()
	p.ipFilings()
	p.funding()
	p.costs()
	p.pools()
	p.evaluation()
	limit := p.start.AddDate(3, 0, 0)
	if until.Before(limit) {
		limit = until
	}
	return p.run(alliance, limit)
}

// Summary describes what Requests builds: how many events of each kind
// (Events counts all of them).
type Summary struct {
	Members       int // member.admitted (the founding members and later admissions)
	Projects      int // project.opened
	Contributions int // contribution.recorded
	IPFilings     int // ip.filed
	Fundings      int // funding.received
	Costs         int // cost.incurred
	Pools         int // pool.declared
	Payouts       int // payout.committed
	Disputes      int // dispute.raised
	Events        int // every command, one event each
}

// Summarize counts the events the requests append.
func Summarize(reqs []ledger.Request) Summary {
	var s Summary
	for _, r := range reqs {
		for _, c := range r.Commands {
			s.Events++
			switch c.Payload.EventType() {
			case ledger.TypeMemberAdmitted:
				s.Members++
			case ledger.TypeProjectOpened:
				s.Projects++
			case ledger.TypeContributionRecorded:
				s.Contributions++
			case ledger.TypeIPFiled:
				s.IPFilings++
			case ledger.TypeFundingReceived:
				s.Fundings++
			case ledger.TypeCostIncurred:
				s.Costs++
			case ledger.TypePoolDeclared:
				s.Pools++
			case ledger.TypePayoutCommitted:
				s.Payouts++
			case ledger.TypeDisputeRaised:
				s.Disputes++
			}
		}
	}
	return s
}
