// Package deliver runs a delivery stream's pipeline: it appends producers'
// records to the stream's write-ahead log, buffers them by size and interval,
// builds objects (processors, compression), stores them under Firehose's
// prefix and object-name rules, and acknowledges the log once an object is
// stored. Records appended but not yet stored are replayed from the log when
// the pipeline opens again, so a record acknowledged to a producer survives a
// crash (at least once; duplicates only for objects in flight).
package deliver

import (
	stdbytes "bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/wasmhose/wasmhose/host/buffer"
	"github.com/wasmhose/wasmhose/host/compress"
	"github.com/wasmhose/wasmhose/host/objstore"
	"github.com/wasmhose/wasmhose/host/prefix"
	"github.com/wasmhose/wasmhose/host/stream"
	"github.com/wasmhose/wasmhose/host/wal"
)

// ErrClosed is returned by Put once the pipeline is closing; the API answers
// it as a retryable ServiceUnavailableException.
var ErrClosed = errors.New("deliver: pipeline closed")

// ErrBackpressure is returned by Put, before anything is written, when the
// stream already holds Options.MaxPendingBytes of records not yet stored:
// the destination is not keeping up. The API answers it as Firehose's
// throttling, ServiceUnavailableException "Slow down.", which clients retry.
var ErrBackpressure = errors.New("deliver: too many records waiting for the destination")

// Options configure a Pipeline.
type Options struct {
	// LogDir is the folder of the stream's write-ahead log.
	LogDir string
	// Log configures the write-ahead log.
	Log wal.Options
	// Store receives the objects.
	Store objstore.Store
	// Logger receives delivery errors; nil discards them.
	Logger *slog.Logger
	// Workers is the number of objects built and stored at once (default 2).
	Workers int
	// RetryBase and RetryMax bound the exponential backoff between store
	// attempts (defaults 100 ms and 30 s). Attempts go on until the pipeline
	// closes: the data waits in the log meanwhile.
	RetryBase, RetryMax time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Transforms resolves Lambda processors to plugins; nil refuses them.
	Transforms Transforms
	// Converters builds record format converters; nil refuses streams
	// with DataFormatConversionConfiguration enabled.
	Converters Converters
	// MaxPendingBytes bounds the record bytes accepted but not yet stored
	// (in the buffers, waiting for a worker, or being delivered), and so the
	// memory they hold; once a Lambda processor has transformed a batch,
	// its transformed records count instead of the raw ones. Past it Put
	// answers ErrBackpressure. 0 means no bound.
	MaxPendingBytes int64
	// LogsDir is where error logs go when a stream enables
	// CloudWatchLoggingOptions: <LogsDir>/<LogGroupName>/<LogStreamName>.log.
	LogsDir string
	// Memory, when not nil, is a budget shared by every pipeline of the
	// service: record bytes accepted and not yet stored, across streams.
	// Past it Put answers ErrBackpressure, as past MaxPendingBytes.
	Memory *Budget
	// Retention is how long records may wait for a destination that keeps
	// failing (default DefaultRetention, Firehose's 24 hours). Once a
	// store call fails for an object whose oldest record arrived longer
	// ago than that, the object's records are discarded, as Firehose
	// discards them, but never silently: an error is logged (and written
	// to the stream's error log) and Stats.ExpiredRecords counts them.
	// Negative: records wait forever.
	Retention time.Duration
}

// DefaultRetention is Options.Retention's default: Firehose keeps DirectPut
// records for 24 hours when the destination is unavailable.
const DefaultRetention = 24 * time.Hour

// errorCodeExpired is the error code logged when records are discarded
// because the destination failed past the retention period. Firehose
// documents the loss but no code for it; the code says what happened in
// Firehose's naming style.
const errorCodeExpired = "S3.RetentionExpired"

// Stats are a pipeline's counters since it opened.
type Stats struct {
	IncomingRecords, IncomingBytes     int64     // accepted by Put
	DeliveredRecords, DeliveredBytes   int64     // stored in objects (bytes before compression)
	DeliveredObjects, FailedStoreCalls int64     // objects stored; store calls that failed and were retried
	FailedBuilds                       int64     // attempts to build a batch's objects that failed and were retried (see Pipeline.deliver)
	ReplayedRecords                    int64     // recovered from the log at open
	BufferedRecords, BufferedBytes     int       // in the open buffers now (processor and destination)
	Log                                wal.Stats // the write-ahead log's state

	ProcessingCalls, ProcessingFailures     int64 // plugin invocations; failed ones (ExecuteProcessing.Success)
	ProcessingNanos                         int64 // time in invocations (ExecuteProcessing.Duration)
	ProcessedRecords, ProcessedBytes        int64 // Ok records and bytes (SucceedProcessing.Records/Bytes)
	DroppedRecords, ProcessingFailedRecords int64 // Dropped results; records sent to the processing-failed output
	ErrorObjects                            int64 // error-output objects stored
	PendingBytes, ThrottledRecords          int64 // held for records accepted and not yet stored (transformed size once processed); refused with ErrBackpressure
	ConvertedRecords, ConvertedBytes        int64 // stored as Parquet/ORC rows (SucceedConversion.Records/Bytes)
	ConversionFailedRecords                 int64 // stored as format-conversion-failed (FailedConversion.Records)
	ConversionFailedBytes                   int64 // their bytes (FailedConversion.Bytes)
	ExpiredRecords, ExpiredObjects          int64 // discarded after failing past Options.Retention
	// PluginFailures counts failed invocations by kind, indexed like KindNames.
	PluginFailures [numKinds]int64
	// LogReadFailures counts replays of the write-ahead log that stopped on
	// a frame they could not read: damage, or a sealed frame whose key is
	// wrong or missing. The records from there on stay in the log.
	LogReadFailures int64
	// LogDamagedRanges and LogDamagedBytes count the damaged ranges the
	// write-ahead log found when it opened, and their bytes (see
	// LogDamage): records lost to a damaged disk or a hand, not a crash.
	LogDamagedRanges, LogDamagedBytes int64
}

// Pipeline is one delivery stream's ingest-to-object loop.
//
// # Two buffers
//
// A stream with a Lambda processor buffers twice, as Firehose does: raw
// records wait in the processor buffer (pbuf: the processor's
// BufferSizeInMBs and BufferIntervalInSeconds), each of its batches is
// transformed by a processing worker, and the results wait in the
// destination buffer (buf: BufferingHints, measured on transformed bytes)
// as one buffer.Group each, carrying the log ranges of the raw records and
// the processing failures. The log is acknowledged only when the
// destination batch is stored, so a crash replays raw records, which are
// transformed again. A stream without one adds to buf directly.
//
// # Shutdown
//
// Close must never lose an acknowledged record nor hang past its context:
// Put holds gate shared while it appends and buffers, so Close first marks
// the pipeline closed (new Puts fail fast), then, on a goroutine bounded by
// the context, waits for Puts in flight, stops the replay, flushes the
// processor buffer and waits for its batches to be processed (procs), then
// flushes the destination buffer, waits for every flush still handing a
// batch over (qmu), closes the queue and waits for the workers. If the
// context ends first, stop is closed: retries and invocations end, blocked
// hand-overs return, and what was not stored stays in the log for the next
// Open.
type Pipeline struct {
	opts Options
	log  *wal.Log
	pbuf *buffer.Buffer // processor buffer: raw records for the Lambda processors
	buf  *buffer.Buffer // destination buffer
	cfg  atomic.Pointer[settings]

	pqueue  chan job // processor batches for the processing workers
	procs   procTracker
	pworker sync.WaitGroup

	queue    chan job
	qmu      sync.RWMutex // enqueuers of both queues hold it shared; closing them takes it exclusively
	qclosed  bool
	stop     chan struct{} // closed when deliveries must stop retrying
	stopOnce sync.Once
	workers  sync.WaitGroup
	replayWG sync.WaitGroup
	gate     sync.RWMutex // Put holds it shared; Close exclusively
	closed   atomic.Bool
	closeMu  sync.Mutex
	closeErr error
	isClosed bool

	incomingRecords, incomingBytes   atomic.Int64
	deliveredRecords, deliveredBytes atomic.Int64
	deliveredObjects, failedStores   atomic.Int64
	failedBuilds                     atomic.Int64
	replayed                         atomic.Int64

	processingCalls, processingFailures     atomic.Int64 // invocations; failed ones
	processingNanos                         atomic.Int64 // time spent in invocations
	processedOK, processedBytes             atomic.Int64 // Ok records and their bytes
	droppedRecords, processingFailedRecords atomic.Int64
	errorObjects                            atomic.Int64 // processing-failed objects stored
	convertedRecords, convertedBytes        atomic.Int64 // records stored in Parquet/ORC objects
	conversionFailedRecords                 atomic.Int64 // records stored as format-conversion-failed
	conversionFailedBytes                   atomic.Int64
	pendingBytes                            atomic.Int64           // accepted (or replayed) and not yet stored
	failureKinds                            [numKinds]atomic.Int64 // failed invocations by kind (KindNames)
	throttled                               atomic.Int64           // records refused with ErrBackpressure
	expiredRecords, expiredObjects          atomic.Int64           // discarded past the retention period
	logReadFailures                         atomic.Int64           // replays stopped by an unreadable frame
	logDamagedRanges, logDamagedBytes       atomic.Int64           // damage the log found at Open

	recent *ring[ErrorEvent]   // RecentErrors
	stored *ring[StoredObject] // RecentObjects
	elogMu sync.Mutex
	elog   *errorLog // nil when logging is off
}

// job is a batch with the settings it was buffered under, so that an
// UpdateDestination never renames records buffered before it.
type job struct {
	b    *buffer.Batch
	st   *settings
	done func() // for a processing job: marks it finished (procTracker)
}

// procTracker counts processing jobs by generation, so that Flush can wait
// for the jobs started before it without waiting for those a busy stream
// keeps starting after it.
type procTracker struct {
	mu  sync.Mutex
	cur *sync.WaitGroup
}

func (t *procTracker) init() { t.cur = new(sync.WaitGroup) }

// start counts a job in the current generation and returns its done.
func (t *procTracker) start() func() {
	t.mu.Lock()
	wg := t.cur
	wg.Add(1)
	t.mu.Unlock()
	return sync.OnceFunc(wg.Done)
}

// wait starts a new generation and waits for the jobs of every earlier
// one: each generation holds one count for its predecessor, released when
// that one is done, so two overlapping waits both see all that came before.
func (t *procTracker) wait() {
	t.mu.Lock()
	prev := t.cur
	next := new(sync.WaitGroup)
	next.Add(1)
	t.cur = next
	t.mu.Unlock()
	go func() {
		prev.Wait()
		next.Done()
	}()
	prev.Wait()
}

// errStopped ends a replay when the pipeline stops; errReplayed when it
// reaches the records appended after Open.
var (
	errStopped  = errors.New("deliver: stopped")
	errReplayed = errors.New("deliver: replay complete")
)

// Open opens the stream's log and starts delivering; what the log holds is
// replayed in the background, so Open returns even when the destination is
// down.
func Open(s *stream.Stream, o Options) (*Pipeline, error) {
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.RetryBase <= 0 {
		o.RetryBase = 100 * time.Millisecond
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Retention == 0 {
		o.Retention = DefaultRetention
	}
	st, err := compile(context.Background(), s, o.Transforms, o.Converters)
	if err != nil {
		return nil, err
	}
	l, err := wal.Open(o.LogDir, o.Log)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", s.Name, err)
	}
	p := &Pipeline{
		opts:   o,
		log:    l,
		queue:  make(chan job, o.Workers),
		stop:   make(chan struct{}),
		recent: newRing[ErrorEvent](recentErrorsKept),
		stored: newRing[StoredObject](recentObjectsKept),
	}
	p.pqueue = make(chan job, o.Workers)
	p.procs.init()
	p.cfg.Store(st)
	p.setErrorLog(st)
	p.reportRecovery(st, l.Recovered())
	p.buf = buffer.New(st.hints, p.enqueue)
	p.pbuf = buffer.New(st.procHints, p.enqueueProcessing)
	for range o.Workers {
		p.workers.Add(1)
		go p.work()
		p.pworker.Add(1)
		go p.processWork()
	}
	// Replay what the log held at Open; records Put from now on are
	// buffered by Put itself.
	bound := l.Stats().NextSeq
	p.replayWG.Add(1)
	go p.replay(s.Name, bound)
	return p, nil
}

// replay feeds the log's unacknowledged records into the buffer, which
// flushes by size as usual.
func (p *Pipeline) replay(name string, bound uint64) {
	defer p.replayWG.Done()
	var chunk []buffer.Record
	add := func() {
		for _, r := range chunk {
			p.addPending(int64(len(r.Data)))
		}
		p.add(chunk)
		p.replayed.Add(int64(len(chunk)))
		chunk = chunk[:0:0]
	}
	err := p.log.Replay(func(e wal.Entry) error {
		select {
		case <-p.stop:
			return errStopped
		default:
		}
		if e.Seq >= bound {
			return errReplayed
		}
		chunk = append(chunk, buffer.Record{Seq: e.Seq, Data: e.Data, Arrival: e.Arrival})
		if len(chunk) == 500 {
			add()
		}
		return nil
	})
	if len(chunk) > 0 && !errors.Is(err, errStopped) {
		add()
	}
	switch {
	case errors.Is(err, errStopped), errors.Is(err, errReplayed):
	case err != nil:
		p.logReadFailures.Add(1)
		p.opts.Logger.Error("write-ahead log replay stopped; the records after the damage stay in the log", "stream", name, "err", err)
	}
	if n := p.replayed.Load(); n > 0 {
		// Recovered records are already old: deliver them now rather than
		// after another buffering interval.
		p.Flush()
		p.opts.Logger.Info("recovered records from the write-ahead log", "stream", name, "records", n)
	}
}

// Put appends records durably and buffers them. When it returns nil every
// record is in the log and will be delivered; first is the sequence number
// of the first record (the others follow consecutively).
func (p *Pipeline) Put(ctx context.Context, data [][]byte) (first uint64, err error) {
	p.gate.RLock()
	defer p.gate.RUnlock()
	if p.closed.Load() {
		return 0, ErrClosed
	}
	n := 0
	for _, d := range data {
		n += len(d)
	}
	if limit := p.opts.MaxPendingBytes; limit > 0 && p.pendingBytes.Load()+int64(n) > limit || !p.opts.Memory.fits(int64(n)) {
		p.throttled.Add(int64(len(data)))
		return 0, ErrBackpressure
	}
	now := p.opts.Now()
	recs := make([]wal.Record, len(data))
	for i, d := range data {
		recs[i] = wal.Record{Data: d, Arrival: now}
	}
	p.addPending(int64(n))
	first, err = p.log.Append(ctx, recs)
	if err != nil {
		p.addPending(-int64(n))
		return 0, fmt.Errorf("write-ahead log: %w", err)
	}
	brs := make([]buffer.Record, len(data))
	for i, d := range data {
		brs[i] = buffer.Record{Seq: first + uint64(i), Data: d, Arrival: now}
	}
	p.add(brs)
	p.incomingRecords.Add(int64(len(data)))
	p.incomingBytes.Add(int64(n))
	return first, nil
}

// add buffers records: in the processor buffer when the stream has a
// Lambda processor, else in the destination buffer.
func (p *Pipeline) add(recs []buffer.Record) {
	if len(p.cfg.Load().lambdas) > 0 {
		p.pbuf.Add(recs)
		return
	}
	p.buf.Add(recs)
}

// Update switches to a new configuration of the stream: what is buffered is
// flushed under the old one first (each batch carries its settings; batches
// still being processed come back keyed by theirs, so they are not mixed
// with records buffered under the new one).
func (p *Pipeline) Update(s *stream.Stream) error {
	st, err := compile(context.Background(), s, p.opts.Transforms, p.opts.Converters)
	if err != nil {
		return err
	}
	p.pbuf.Flush()
	p.buf.Flush()
	p.cfg.Store(st)
	p.setErrorLog(st)
	p.pbuf.SetHints(st.procHints)
	p.buf.SetHints(st.hints)
	return nil
}

// setErrorLog opens (lazily) the error log the settings name, closing the
// previous one.
func (p *Pipeline) setErrorLog(st *settings) {
	p.elogMu.Lock()
	defer p.elogMu.Unlock()
	var next *errorLog
	if st.logGroup != "" && p.opts.LogsDir != "" {
		if path, err := logPath(p.opts.LogsDir, st.logGroup, st.logStream); err == nil {
			if p.elog != nil && p.elog.path == path {
				return
			}
			next = &errorLog{path: path}
		} else {
			p.opts.Logger.Warn("error log disabled", "stream", st.name, "err", err)
		}
	}
	if p.elog != nil {
		_ = p.elog.close()
	}
	p.elog = next
}

// RecentErrors returns the latest delivery errors, newest first.
func (p *Pipeline) RecentErrors() []ErrorEvent { return p.recent.list() }

// reportError keeps an error for the console and writes it to the stream's
// error log when logging is on.
func (p *Pipeline) reportError(st *settings, e ErrorEvent) {
	p.recent.add(e)
	p.elogMu.Lock()
	l := p.elog
	p.elogMu.Unlock()
	if l == nil {
		return
	}
	if err := l.write(cloudWatchRecord{
		DeliveryStreamARN: st.arn, Destination: st.bucketARN, DeliveryStreamVersionID: st.versionID,
		Message: e.Message, ErrorCode: e.ErrorCode, Timestamp: e.Time.UnixMilli(),
	}); err != nil {
		p.opts.Logger.Warn("cannot write the error log", "stream", st.name, "err", err)
	}
}

// Flush hands the open buffers to delivery now: the processor buffer's
// batch is processed (Flush waits for it, and for the batches in
// processing before it), then the destination buffer is flushed.
func (p *Pipeline) Flush() {
	p.pbuf.Flush()
	p.procs.wait()
	p.buf.Flush()
}

// Stats returns the pipeline's counters.
func (p *Pipeline) Stats() Stats {
	br, bb := p.buf.Len()
	pr, pb := p.pbuf.Len()
	br, bb = br+pr, bb+pb
	return Stats{
		IncomingRecords:  p.incomingRecords.Load(),
		IncomingBytes:    p.incomingBytes.Load(),
		DeliveredRecords: p.deliveredRecords.Load(),
		DeliveredBytes:   p.deliveredBytes.Load(),
		DeliveredObjects: p.deliveredObjects.Load(),
		FailedStoreCalls: p.failedStores.Load(),
		FailedBuilds:     p.failedBuilds.Load(),
		ReplayedRecords:  p.replayed.Load(),
		BufferedRecords:  br,
		BufferedBytes:    bb,
		Log:              p.log.Stats(),

		ProcessingCalls:         p.processingCalls.Load(),
		ProcessingFailures:      p.processingFailures.Load(),
		ProcessingNanos:         p.processingNanos.Load(),
		ProcessedRecords:        p.processedOK.Load(),
		ProcessedBytes:          p.processedBytes.Load(),
		DroppedRecords:          p.droppedRecords.Load(),
		ProcessingFailedRecords: p.processingFailedRecords.Load(),
		ErrorObjects:            p.errorObjects.Load(),
		PendingBytes:            p.pendingBytes.Load(),
		ThrottledRecords:        p.throttled.Load(),
		ExpiredRecords:          p.expiredRecords.Load(),
		ExpiredObjects:          p.expiredObjects.Load(),
		PluginFailures:          p.failureCounts(),
		ConvertedRecords:        p.convertedRecords.Load(),
		ConvertedBytes:          p.convertedBytes.Load(),
		ConversionFailedRecords: p.conversionFailedRecords.Load(),
		ConversionFailedBytes:   p.conversionFailedBytes.Load(),
		LogReadFailures:         p.logReadFailures.Load(),
		LogDamagedRanges:        p.logDamagedRanges.Load(),
		LogDamagedBytes:         p.logDamagedBytes.Load(),
	}
}

// Close stops accepting records, flushes the buffer and waits for deliveries
// until ctx ends; what is not stored by then stays in the log for the next
// Open. It then closes the log. A second Close returns the first's result.
func (p *Pipeline) Close(ctx context.Context) error {
	p.closeMu.Lock()
	defer p.closeMu.Unlock()
	if p.isClosed {
		return p.closeErr
	}
	p.isClosed = true
	p.closed.Store(true)

	done := make(chan struct{})
	go func() {
		p.gate.Lock() // Puts in flight finish (or return once stop closes)
		p.gate.Unlock()
		p.replayWG.Wait()
		p.pbuf.Close()
		p.procs.wait() // processed batches are in buf now (or, if stopping, left in the log)
		p.buf.Close()
		p.qmu.Lock() // flushes still handing a batch over finish
		p.qclosed = true
		close(p.queue)
		close(p.pqueue)
		p.qmu.Unlock()
		p.workers.Wait()
		p.pworker.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		p.halt()
		<-done
		err = fmt.Errorf("stream %s: close: deliveries unfinished, left in the log: %w", p.cfg.Load().name, ctx.Err())
	}
	// Whatever was not stored stays in the log, not in memory: give its
	// share of the service's budget back.
	p.addPending(-p.pendingBytes.Load())
	if cerr := p.log.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	p.elogMu.Lock()
	if p.elog != nil {
		_ = p.elog.close()
	}
	p.elogMu.Unlock()
	p.closeErr = err
	return err
}

// halt makes deliveries stop retrying and blocked hand-overs return.
func (p *Pipeline) halt() { p.stopOnce.Do(func() { close(p.stop) }) }

// Destroy closes the pipeline, delivering what it holds until ctx ends, and
// removes its log, which is DeleteDeliveryStream's last step. When records
// could not be delivered in time the log is kept and the error returned,
// unless force is set (AllowForceDelete), which discards them.
func (p *Pipeline) Destroy(ctx context.Context, force bool) error {
	cerr := p.Close(ctx)
	if cerr != nil && !force {
		return cerr
	}
	if err := p.log.Remove(); err != nil {
		return errors.Join(cerr, err)
	}
	return nil
}

// enqueue is the buffer's flush function: it hands a batch, with the
// settings in force now, to the workers. When they are all busy the hand-over
// waits on a goroutine of its own, so neither a producer nor an
// UpdateDestination is held up by a slow destination; MaxPendingBytes bounds
// how much can wait this way (Put throttles past it). If deliveries are
// stopping, the batch stays in the log.
func (p *Pipeline) enqueue(b *buffer.Batch) {
	j := job{b: b, st: p.cfg.Load()}
	if st, ok := b.Key.(*settings); ok {
		j.st = st // processed under these settings
	}
	p.handOver(p.queue, j, nil)
}

// enqueueProcessing is the processor buffer's flush function: it hands the
// batch to the processing workers, the way enqueue does.
func (p *Pipeline) enqueueProcessing(b *buffer.Batch) {
	done := p.procs.start()
	p.handOver(p.pqueue, job{b: b, st: p.cfg.Load(), done: done}, done)
}

// handOver sends j to q, on a goroutine of its own when q is full; if the
// queues are closed or deliveries stop first, j is abandoned (its records
// stay in the log) and abandoned, if not nil, is called.
func (p *Pipeline) handOver(q chan job, j job, abandoned func()) {
	p.qmu.RLock()
	if p.qclosed {
		p.qmu.RUnlock()
		if abandoned != nil {
			abandoned()
		}
		return
	}
	select {
	case q <- j:
		p.qmu.RUnlock()
		return
	default:
	}
	go func() {
		defer p.qmu.RUnlock() // Close waits for this hand-over
		select {
		case q <- j:
		case <-p.stop:
			if abandoned != nil {
				abandoned()
			}
		}
	}()
}

func (p *Pipeline) work() {
	defer p.workers.Done()
	for j := range p.queue {
		p.deliver(j.st, j.b)
	}
}

func (p *Pipeline) processWork() {
	defer p.pworker.Done()
	for j := range p.pqueue {
		p.processBatch(j.st, j.b)
		j.done()
	}
}

// stopContext returns a context that is cancelled when deliveries stop.
func (p *Pipeline) stopContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-p.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// processBatch runs a processor batch through the Lambda processors and
// adds the result to the destination buffer as one group. If the pipeline
// stops meanwhile, the batch stays in the log. A batch buffered before an
// UpdateDestination removed the processors passes through unchanged.
func (p *Pipeline) processBatch(st *settings, b *buffer.Batch) {
	ctx, cancel := p.stopContext()
	defer cancel()
	pr := processed{records: b.Records}
	if len(st.lambdas) > 0 {
		var err error
		if pr, err = p.process(ctx, st, b); err != nil {
			return // stopping: the records stay in the log
		}
	}
	// The memory budget counted the raw batch; from now on the pipeline
	// holds the transformed records and the failures' raw data instead,
	// which a plugin that inflates records makes larger.
	weight := 0
	for _, r := range pr.records {
		weight += len(r.Data)
	}
	for _, f := range pr.failures {
		weight += len(f.raw)
	}
	p.addPending(int64(weight - b.Weight))
	p.buf.AddGroup(buffer.Group{Records: pr.records, Ranges: b.Ranges, Weight: weight,
		Oldest: b.Oldest, Key: st, Value: pr.failures})
}

// deliver processes and stores one batch, retrying each store call until it
// succeeds or the pipeline stops, then acknowledges the batch's records in
// the log. Processing-failed records go to the error output first.
//
// A batch whose objects cannot be built is never dropped from view: each
// failed attempt is reported and counted (Stats.FailedBuilds) while its
// records wait in the log, and past the retention period they are
// discarded loudly, as for a store that keeps failing (see buildRetrying).
func (p *Pipeline) deliver(st *settings, b *buffer.Batch) {
	ctx, cancel := p.stopContext()
	defer cancel()
	st, objs, records, bytes, err := p.buildRetrying(ctx, st, b)
	var exp *buildExpired
	if errors.As(err, &exp) {
		p.ack(st, b)
		p.addPending(-int64(b.Weight))
		p.expiredObjects.Add(1)
		p.expiredRecords.Add(int64(exp.records))
		return
	}
	if err != nil {
		return // stopping: the records stay in the log
	}
	var dataObjs, errObjs, expObjs, expRecs int64
	var conv convCounts
	stored := records
	for _, o := range objs {
		switch p.store(ctx, st, o, b.Oldest) {
		case storeStopped:
			return // stopping: the records stay in the log
		case storeExpired:
			if !o.errorOutput {
				stored = 0
			}
			expObjs++
			expRecs += int64(o.records)
			continue
		}
		conv.records += o.conv.records
		conv.bytes += o.conv.bytes
		conv.failedRecords += o.conv.failedRecords
		conv.failedBytes += o.conv.failedBytes
		if o.errorOutput {
			errObjs++
		} else {
			dataObjs++
		}
	}
	if stored == 0 {
		bytes = 0
	}
	p.ack(st, b)
	// Counters move after the acknowledgement, together, so a reader that
	// sees an object counted also sees its records counted and acked.
	p.errorObjects.Add(errObjs)
	p.addPending(-int64(b.Weight))
	p.deliveredRecords.Add(int64(stored))
	p.deliveredBytes.Add(int64(bytes))
	p.deliveredObjects.Add(dataObjs)
	p.convertedRecords.Add(conv.records)
	p.convertedBytes.Add(conv.bytes)
	p.conversionFailedRecords.Add(conv.failedRecords)
	p.conversionFailedBytes.Add(conv.failedBytes)
	p.expiredObjects.Add(expObjs)
	p.expiredRecords.Add(expRecs)
}

// ack acknowledges a batch's records in the log.
func (p *Pipeline) ack(st *settings, b *buffer.Batch) {
	for _, r := range b.Ranges {
		if err := p.log.Ack(r.From, r.To); err != nil {
			p.opts.Logger.Error("cannot checkpoint the write-ahead log", "stream", st.name, "err", err)
		}
	}
}

// errorCodeBuild is the error code reported when a batch's objects cannot
// be built: an evaluated prefix too long for a key, or any other failure of
// the settings themselves. Firehose documents no code for it.
const errorCodeBuild = "S3.ObjectBuildFailed"

// buildExpired ends buildRetrying when a batch that cannot be built has
// outlived the retention period: its records are discarded, loudly.
type buildExpired struct {
	records int
	err     error
}

func (e *buildExpired) Error() string {
	return "records discarded after the retention period: " + e.err.Error()
}
func (e *buildExpired) Unwrap() error { return e.err }

// buildRetrying builds the batch's objects, trying again with capped
// exponential backoff until it succeeds or the pipeline stops (then it
// returns the stop's error): the records wait in the log meanwhile, as for
// a store outage, and each failure is reported with its attempt number.
// It returns the settings the objects were built under.
//
// A *RetryableError (a table that cannot be read) is retried under the
// batch's settings; a batch still failing so when its oldest record has
// outlived the retention period is built once more with its records sent,
// unconverted, to the format-conversion-failed error output (the only
// retryable build failure is conversion's): the log is released and
// nothing is discarded.
//
// Any other failure means the settings cannot name or encode the object
// (a prefix that evaluates too long, from a stream stored before
// CreateDeliveryStream checked for that): it is counted in
// Stats.FailedBuilds, and each retry uses the stream's current settings,
// so an UpdateDestination that fixes the configuration delivers the
// records. Past the retention period it returns a *buildExpired: the
// records are discarded, logged as such and counted as expired.
func (p *Pipeline) buildRetrying(ctx context.Context, st *settings, b *buffer.Batch) (_ *settings, objs []object, records, bytes int, err error) {
	bo := backoff{next: p.opts.RetryBase, max: p.opts.RetryMax}
	for attempt := 1; ; attempt++ {
		objs, records, bytes, err = p.build(ctx, st, b, nil)
		if err == nil || ctx.Err() != nil {
			return st, objs, records, bytes, err
		}
		now := p.opts.Now()
		expired := p.opts.Retention > 0 && !b.Oldest.IsZero() && now.Sub(b.Oldest) > p.opts.Retention
		var re *RetryableError
		if errors.As(err, &re) {
			p.reportError(st, ErrorEvent{Time: now, ErrorCode: re.Code, Message: err.Error(), Attempt: attempt})
			if expired {
				objs, records, bytes, err = p.build(ctx, st, b, &unconverted{cause: re, attempts: attempt})
				return st, objs, records, bytes, err
			}
			p.opts.Logger.Warn("building the object failed; retrying", "stream", st.name, "errorCode", re.Code, "attempt", attempt, "err", err)
		} else {
			p.failedBuilds.Add(1)
			p.reportError(st, ErrorEvent{Time: now, ErrorCode: errorCodeBuild, Message: "cannot build object: " + err.Error(), Attempt: attempt})
			if expired {
				n := batchRecords(b)
				msg := fmt.Sprintf("%d records discarded: their object could not be built within the retention period of %s (oldest arrived %s) after %d attempts; last error: %v",
					n, p.opts.Retention, b.Oldest.UTC().Format(time.RFC3339), attempt, err)
				p.reportError(st, ErrorEvent{Time: now, ErrorCode: errorCodeExpired, Message: msg, Attempt: attempt})
				p.opts.Logger.Error("records discarded after the retention period", "stream", st.name, "errorCode", errorCodeExpired,
					"records", n, "retention", p.opts.Retention.String(), "oldestArrival", b.Oldest, "attempts", attempt,
					"lastErrorCode", errorCodeBuild, "err", err)
				return st, nil, 0, 0, &buildExpired{records: n, err: err}
			}
			p.opts.Logger.Error("cannot build object; retrying", "stream", st.name, "errorCode", errorCodeBuild, "attempt", attempt, "err", err)
			st = p.cfg.Load()
		}
		select {
		case <-ctx.Done():
			return st, nil, 0, 0, ctx.Err()
		case <-time.After(bo.wait()):
		}
	}
}

// batchRecords counts a batch's records: those to deliver and, for a
// processed batch, those that failed processing.
func batchRecords(b *buffer.Batch) int {
	n := len(b.Records)
	for _, v := range b.Values {
		if f, ok := v.([]processingFailure); ok {
			n += len(f)
		}
	}
	return n
}

// storeResult is how store ended.
type storeResult int

const (
	storeOK      storeResult = iota // the object is stored
	storeStopped                    // the pipeline is stopping: the records stay in the log
	storeExpired                    // failed past the retention period: the records are discarded
)

// store puts one object, retrying with capped exponential backoff and
// jitter until it succeeds, the pipeline stops, or a failure comes when the
// oldest record (arrived at oldest) is older than the retention period.
// Every failure is reported with its Firehose error code; an expiry is
// reported as an error and counted.
func (p *Pipeline) store(ctx context.Context, st *settings, o object, oldest time.Time) storeResult {
	bo := backoff{next: p.opts.RetryBase, max: p.opts.RetryMax}
	for attempt := 1; ; attempt++ {
		err := p.opts.Store.Put(ctx, st.bucket, o.key, o.body, o.opts)
		if err == nil {
			p.stored.add(StoredObject{Bucket: st.bucket, Key: o.key, Size: int64(len(o.body)), Stored: p.opts.Now(), ErrorOutput: o.errorOutput})
			return storeOK
		}
		if ctx.Err() != nil {
			return storeStopped // the failure is the stop, not the store's
		}
		p.failedStores.Add(1)
		code := objstore.ErrorCode(err)
		now := p.opts.Now()
		p.reportError(st, ErrorEvent{Time: now, ErrorCode: code, Message: err.Error(), Key: o.key, Attempt: attempt})
		if p.opts.Retention > 0 && !oldest.IsZero() && now.Sub(oldest) > p.opts.Retention {
			p.expire(st, o, oldest, attempt, code, err)
			return storeExpired
		}
		p.opts.Logger.Warn("delivery to the object store failed; retrying", "stream", st.name,
			"errorCode", code, "key", o.key, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return storeStopped
		case <-time.After(bo.wait()):
		}
	}
}

// backoff is capped exponential backoff with jitter: each wait is drawn
// from [d/2, d), where d starts at the base and doubles up to the cap, so
// workers retrying the same outage spread their attempts.
type backoff struct {
	next, max time.Duration
}

// wait returns the next wait and doubles the one after (up to max).
func (b *backoff) wait() time.Duration {
	d := b.next
	b.next = min(b.next*2, b.max)
	return jitter(d)
}

// expire gives up on an object whose records outlived the retention
// period, loudly: the service log, the console, the stream's error log and
// the expired counters (moved by deliver, with the acknowledgement) all say
// so.
func (p *Pipeline) expire(st *settings, o object, oldest time.Time, attempts int, code string, err error) {
	msg := fmt.Sprintf("%d records discarded: not delivered within the retention period of %s (oldest arrived %s) after %d attempts; last error %s: %v",
		o.records, p.opts.Retention, oldest.UTC().Format(time.RFC3339), attempts, code, err)
	p.reportError(st, ErrorEvent{Time: p.opts.Now(), ErrorCode: errorCodeExpired, Message: msg, Key: o.key, Attempt: attempts})
	p.opts.Logger.Error("records discarded after the retention period", "stream", st.name, "errorCode", errorCodeExpired,
		"records", o.records, "retention", p.opts.Retention.String(), "oldestArrival", oldest, "attempts", attempts,
		"errorOutput", o.errorOutput, "lastErrorCode", code, "err", err)
}

// object is one object to store.
type object struct {
	id          string
	key         string
	body        []byte
	opts        objstore.PutOptions
	errorOutput bool
	conv        convCounts
	records     int // records (or error documents) it holds
}

// build processes a batch and makes its objects: the data object (unless
// every record was dropped or failed) and, when records failed processing,
// a processing-failed object under the error prefix. It returns the number
// of records and bytes the data object holds.
//
// With unc set, the records are not converted: they go to the
// format-conversion-failed error output (see buildRetrying).
func (p *Pipeline) build(ctx context.Context, st *settings, b *buffer.Batch, unc *unconverted) (objs []object, records, bytes int, err error) {
	recs := b.Records
	var failures []processingFailure
	if len(b.Values) > 0 { // processed already (processBatch)
		for _, v := range b.Values {
			failures = append(failures, v.([]processingFailure)...)
		}
	} else if len(st.lambdas) > 0 { // buffered raw before an update added the processor
		pr, err := p.process(ctx, st, b)
		if err != nil {
			return nil, 0, 0, err
		}
		recs, failures = pr.records, pr.failures
	}
	if len(failures) > 0 {
		oldest := failures[0].arrival
		docs := make([][]byte, 0, len(failures))
		for _, f := range failures {
			if f.arrival.Before(oldest) {
				oldest = f.arrival
			}
			d, err := f.doc()
			if err != nil {
				return nil, 0, 0, fmt.Errorf("error record: %w", err)
			}
			docs = append(docs, d)
		}
		o, err := p.encode(st, st.errPrefix, prefix.Env{Time: oldest, Location: st.loc, ErrorOutputType: errorTypeProcessing}, oldest, docs, []byte("\n"))
		if err != nil {
			return nil, 0, 0, err
		}
		o.errorOutput = true
		o.records = len(docs)
		objs = append(objs, o)
	}
	if st.converter != nil && len(recs) > 0 && unc != nil {
		o, err := p.unconvertedObject(st, recs, unc)
		if err != nil {
			return nil, 0, 0, err
		}
		return append(objs, o), 0, 0, nil
	}
	if st.converter != nil && len(recs) > 0 {
		convObjs, rows, n, err := p.convert(ctx, st, recs)
		if err != nil {
			return nil, 0, 0, err
		}
		return append(objs, convObjs...), rows, n, nil
	}
	if len(recs) > 0 {
		oldest := recs[0].Arrival
		data := make([][]byte, len(recs))
		for i, r := range recs {
			if r.Arrival.Before(oldest) {
				oldest = r.Arrival
			}
			data[i] = r.Data
			bytes += len(r.Data)
		}
		o, err := p.encode(st, st.dataPrefix, prefix.Env{Time: oldest, Location: st.loc}, oldest, data, st.delimiter)
		if err != nil {
			return nil, 0, 0, err
		}
		o.records = len(recs)
		objs = append(objs, o)
	}
	return objs, len(recs), bytes, nil
}

// encode makes one object: key from the prefix and Firehose's object name,
// body the records (each followed by delim, if any) compressed.
func (p *Pipeline) encode(st *settings, pre *prefix.Expr, env prefix.Env, oldest time.Time, recs [][]byte, delim []byte) (object, error) {
	o, err := p.objectKey(st, pre, env, oldest)
	if err != nil {
		return object{}, err
	}
	id, key := o.id, o.key
	size := 0
	for _, r := range recs {
		size += len(r) + len(delim)
	}
	var out bytesBuffer
	out.Grow(size/3 + 1024)
	w, err := compress.NewWriter(st.format, &out, compress.Options{EntryName: id})
	if err != nil {
		return object{}, err
	}
	for _, r := range recs {
		if _, err := w.Write(r); err != nil {
			return object{}, fmt.Errorf("compress: %w", err)
		}
		if delim != nil {
			if _, err := w.Write(delim); err != nil {
				return object{}, fmt.Errorf("compress: %w", err)
			}
		}
	}
	if err := w.Close(); err != nil {
		return object{}, fmt.Errorf("compress: %w", err)
	}
	return object{key: key, body: out.Bytes(), opts: objstore.PutOptions{
		ContentType:     "application/octet-stream",
		ContentEncoding: st.format.ContentEncoding(),
		SSEKMSKeyID:     st.kmsKeyID,
	}}, nil
}

// objectKey names a new object: a fresh UUID, the evaluated prefix and
// Firehose's object name.
func (p *Pipeline) objectKey(st *settings, pre *prefix.Expr, env prefix.Env, oldest time.Time) (object, error) {
	id := uuid.NewString()
	keyPrefix, err := pre.Eval(env)
	if err != nil {
		return object{}, fmt.Errorf("prefix: %w", err)
	}
	return object{id: id, key: keyPrefix + prefix.ObjectName(st.name, st.version, oldest, st.loc, id, st.ext)}, nil
}

// bytesBuffer is bytes.Buffer under a name that does not clash with the
// byte counts above.
type bytesBuffer = stdbytes.Buffer

// jitter spreads a wait over [d/2, d).
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

func (p *Pipeline) failureCounts() (out [numKinds]int64) {
	for i := range out {
		out[i] = p.failureKinds[i].Load()
	}
	return out
}
