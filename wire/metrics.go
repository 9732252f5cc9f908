package wire

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the cloud's Prometheus metrics, all under the datamix_cloud_ prefix:
//
//	requests_total{code}           requests answered, by gRPC status code
//	rows_total                     rows (uploads) the body ran
//	batches_total                  body runs
//	batch_rows                     rows per body run (histogram)
//	queue_delay_seconds            from a request's arrival to its body run starting (histogram)
//	request_duration_seconds       from a request's arrival to its answer (histogram)
//	body_seconds                   the body's compute time per run (histogram)
//	busy_seconds_total             time the body spent computing
//	errors_total{reason}           failed requests by cause (invalid, unknown_model,
//	                               queue_full, cancelled, body, oversize, handshake, …)
//	queued_requests                requests waiting for the body (gauge)
//	received_bytes_total           payload bytes of the requests decoded (data and images)
type metrics struct {
	requests     *prometheus.CounterVec
	rows         prometheus.Counter
	batches      prometheus.Counter
	batchRows    prometheus.Histogram
	queueDelay   prometheus.Histogram
	duration     prometheus.Histogram
	body         prometheus.Histogram
	busy         prometheus.Counter
	errors       *prometheus.CounterVec
	queued       prometheus.Gauge
	receivedByte prometheus.Counter
}

// latencyBuckets span 100 µs to about 13 s, doubling.
var latencyBuckets = prometheus.ExponentialBuckets(100e-6, 2, 18)

func newMetrics(reg prometheus.Registerer, maxBatch int) *metrics {
	ns := "datamix_cloud"
	var rowBuckets []float64
	for b := 1; b < maxBatch; b *= 2 {
		rowBuckets = append(rowBuckets, float64(b))
	}
	rowBuckets = append(rowBuckets, float64(maxBatch))
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "requests_total",
			Help: "Infer requests answered, by gRPC status code."}, []string{"code"}),
		rows: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "rows_total",
			Help: "Rows (uploads) the body ran."}),
		batches: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "batches_total",
			Help: "Body runs (batches)."}),
		batchRows: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "batch_rows",
			Help: "Rows per body run.", Buckets: rowBuckets}),
		queueDelay: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "queue_delay_seconds",
			Help: "Time from a request's arrival to the start of its body run.", Buckets: latencyBuckets}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "request_duration_seconds",
			Help: "Time from a request's arrival to its answer.", Buckets: latencyBuckets}),
		body: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "body_seconds",
			Help: "Compute time of one body run.", Buckets: latencyBuckets}),
		busy: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "busy_seconds_total",
			Help: "Time the body spent computing."}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "errors_total",
			Help: "Failed requests and connections, by cause."}, []string{"reason"}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "queued_requests",
			Help: "Requests waiting for the body."}),
		receivedByte: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "received_bytes_total",
			Help: "Payload bytes of the decoded requests."}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.rows, m.batches, m.batchRows, m.queueDelay, m.duration, m.body, m.busy, m.errors, m.queued, m.receivedByte)
	}
	return m
}
