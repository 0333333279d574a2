package api

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/alliance-ledger/alliance/ledger"
)

// Metrics are the server's Prometheus metrics. The writer's commit hook
// feeds the append side (ObserveCommit), the handlers the rest.
type Metrics struct {
	appendedEvents prometheus.Counter
	commits        prometheus.Counter
	commitEvents   prometheus.Histogram
	appendLatency  prometheus.Histogram
	httpDuration   *prometheus.HistogramVec
}

// NewMetrics makes the metrics, not registered yet.
func NewMetrics() *Metrics {
	return &Metrics{
		appendedEvents: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "alliance_appended_events_total", Help: "Events appended to the alliances' logs by this process."}),
		commits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "alliance_commits_total", Help: "Group commits (JetStream messages) appended by this process."}),
		commitEvents: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "alliance_commit_events", Help: "Events per group commit (the batch size).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 13)}),
		appendLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "alliance_append_seconds", Help: "Time from a write request reaching the writer to its durable receipt.",
			Buckets: prometheus.ExponentialBuckets(0.0002, 2, 16)}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "alliance_http_request_seconds", Help: "HTTP request latency by route pattern, method and status.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 18)}, []string{"method", "route", "code"}),
	}
}

// ObserveCommit counts a commit the writer made durable (the writer's
// OnCommit hook).
func (m *Metrics) ObserveCommit(c *ledger.Commit) {
	m.commits.Inc()
	m.appendedEvents.Add(float64(len(c.Events)))
	m.commitEvents.Observe(float64(len(c.Events)))
}

func (m *Metrics) register(reg *prometheus.Registry, s *Server) error {
	for _, c := range []prometheus.Collector{m.appendedEvents, m.commits, m.commitEvents, m.appendLatency, m.httpDuration,
		lagCollector{s}, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "alliance_view_cache_bytes",
			Help: "Bytes of encoded view answers the API keeps cached."}, func() float64 {
			s.views.mu.Lock()
			defer s.views.mu.Unlock()
			return float64(s.views.size)
		}), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// lagCollector reports, per followed alliance, how many positions the
// projections are behind the log, read from the log when scraped.
type lagCollector struct{ s *Server }

var (
	lagDesc = prometheus.NewDesc("alliance_projection_lag_events",
		"Positions of the log the alliance's projections have not folded yet.", []string{"alliance"}, nil)
	foldedDesc = prometheus.NewDesc("alliance_projection_position",
		"The last position the alliance's projections have folded.", []string{"alliance"}, nil)
)

func (c lagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- lagDesc; ch <- foldedDesc }

func (c lagCollector) Collect(ch chan<- prometheus.Metric) {
	c.s.mu.Lock()
	ls := make([]*live, 0, len(c.s.alliances))
	for _, l := range c.s.alliances {
		ls = append(ls, l)
	}
	c.s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, l := range ls {
		folded := l.runner.Last()
		ch <- prometheus.MustNewConstMetric(foldedDesc, prometheus.GaugeValue, float64(folded), l.id)
		last, err := c.s.cfg.Store.Last(ctx, l.id)
		if err != nil {
			continue
		}
		lag := 0.0
		if last > folded {
			lag = float64(last - folded)
		}
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, lag, l.id)
	}
}
