// Package service is the delivery-stream service's control plane: it owns the
// stream registry and one delivery pipeline per stream, implements the
// Firehose operations the API layer exposes (create, describe, list, update,
// delete, tags, put), and runs the stream lifecycle (CREATING → ACTIVE,
// DELETING → removed).
//
// # Lock order
//
// Service.mu guards the stream table. It is never held while a pipeline
// blocks on I/O: handlers look a stream up under the lock, then call its
// pipeline without it.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/wasmhose/wasmhose/host/apierror"
	"github.com/wasmhose/wasmhose/host/crypt"
	"github.com/wasmhose/wasmhose/host/deliver"
	"github.com/wasmhose/wasmhose/host/objstore"
	"github.com/wasmhose/wasmhose/host/prefix"
	"github.com/wasmhose/wasmhose/host/stream"
	"github.com/wasmhose/wasmhose/host/wal"
)

// Options configure a Service.
type Options struct {
	// DataDir holds the registry (streams/) and the write-ahead logs (wal/).
	DataDir string
	// Region and AccountID make ARNs (defaults us-east-1, 000000000000).
	Region, AccountID string
	// Store receives delivered objects.
	Store objstore.Store
	// Logger receives the service's log; nil discards it.
	Logger *slog.Logger
	// Log configures every stream's write-ahead log.
	Log wal.Options
	// Workers is the number of objects each stream builds and stores at once.
	Workers int
	// RetryBase and RetryMax bound delivery retries (see deliver.Options).
	RetryBase, RetryMax time.Duration
	// MaxStreams caps the number of streams (default 50, Firehose's limit).
	MaxStreams int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Transforms resolves Lambda processors to Wasm plugins; nil refuses
	// streams with Lambda processors.
	Transforms deliver.Transforms
	// Converters builds record format converters; nil refuses streams
	// with DataFormatConversionConfiguration enabled.
	Converters deliver.Converters
	// MaxPendingBytes bounds each stream's records accepted but not yet
	// stored; past it puts are throttled (see deliver.Options). 0: no bound.
	MaxPendingBytes int64
	// MaxMemoryBytes bounds the same across all streams together (see
	// deliver.Budget). 0: no bound.
	MaxMemoryBytes int64
	// Retention is how long records wait for a failing destination before
	// they are discarded, loudly (see deliver.Options; default 24 h).
	Retention time.Duration
	// Keys is the keyring of server-side stream encryption; nil opens the
	// one in <DataDir>/keys.
	Keys *crypt.Keyring
}

// entry is a stream and its pipeline (nil until ACTIVE).
type entry struct {
	s    *stream.Stream
	pipe *deliver.Pipeline
	// mod serialises the operations that change s (update, tag, untag), so
	// a slow pipeline update can run without holding Service.mu.
	mod sync.Mutex
	// enc is held shared by Put and exclusively while the pipeline's log
	// switches its sealer (encryption.go).
	enc sync.RWMutex
	// openErr is why the stream's pipeline could not open at start, if it
	// could not: its log may hold acknowledged records (Ready reports it).
	openErr error
}

// Service is the control plane.
type Service struct {
	opts   Options
	reg    stream.Registry
	opener *crypt.FrameOpener // opens the sealed frames of every stream's log

	mu      sync.Mutex
	streams map[string]*entry
	bg      sync.WaitGroup
	closing bool

	// memory is the budget every pipeline shares (Options.MaxMemoryBytes).
	memory *deliver.Budget

	// bgCtx bounds background work (deletions); Close cancels it when its
	// own context ends.
	bgCtx    context.Context
	bgCancel context.CancelFunc
}

// New opens the registry in opts.DataDir and starts a pipeline for every
// stored stream, replaying its log.
func New(opts Options) (*Service, error) {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxStreams <= 0 {
		opts.MaxStreams = stream.MaxStreams
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Store == nil {
		return nil, errors.New("service: no object store")
	}
	reg, err := stream.NewFileRegistry(filepath.Join(opts.DataDir, "streams"))
	if err != nil {
		return nil, err
	}
	if opts.Keys == nil {
		if opts.Keys, err = crypt.OpenKeyring(filepath.Join(opts.DataDir, crypt.DirName)); err != nil {
			return nil, err
		}
	}
	svc := &Service{opts: opts, reg: reg, streams: map[string]*entry{}, memory: deliver.NewBudget(opts.MaxMemoryBytes), opener: opts.Keys.FrameOpener()}
	svc.bgCtx, svc.bgCancel = context.WithCancel(context.Background())
	stored, err := reg.Load()
	if err != nil {
		return nil, err
	}
	for _, s := range stored {
		e := &entry{s: s}
		svc.streams[s.Name] = e
		if settleEncryption(s) {
			if err := reg.Save(s); err != nil {
				return nil, err
			}
		}
		switch s.Status {
		case stream.StatusCreating, stream.StatusActive, stream.StatusDeleting:
			p, err := svc.openPipeline(s)
			if err != nil {
				opts.Logger.Error("cannot open delivery stream", "stream", s.Name, "err", err)
				e.openErr = err
				if s.Status == stream.StatusDeleting {
					s.Status = stream.StatusDeletingFailed
				} else {
					s.Status = stream.StatusCreatingFailed
				}
				continue
			}
			e.pipe = p
			if s.Status == stream.StatusCreating {
				s.Status = stream.StatusActive
				if err := reg.Save(s); err != nil {
					return nil, err
				}
			}
			if s.Status == stream.StatusDeleting {
				svc.startDelete(e, false)
			}
		}
	}
	return svc, nil
}

func (svc *Service) openPipeline(s *stream.Stream) (*deliver.Pipeline, error) {
	logOpts, err := svc.logOptions(s)
	if err != nil {
		return nil, err
	}
	return deliver.Open(s, deliver.Options{
		LogDir:          svc.logDir(s),
		Log:             logOpts,
		Store:           svc.opts.Store,
		Logger:          svc.opts.Logger,
		Workers:         svc.opts.Workers,
		RetryBase:       svc.opts.RetryBase,
		RetryMax:        svc.opts.RetryMax,
		Now:             svc.opts.Now,
		LogsDir:         filepath.Join(svc.opts.DataDir, "logs"),
		Transforms:      svc.opts.Transforms,
		Converters:      svc.opts.Converters,
		MaxPendingBytes: svc.opts.MaxPendingBytes,
		Memory:          svc.memory,
		Retention:       svc.opts.Retention,
	})
}

// checkFunctions resolves every Lambda processor's function, so that a
// LambdaArn naming no installed plugin fails the request, not a later
// delivery.
func (svc *Service) checkFunctions(ctx context.Context, d *stream.ExtendedS3DestinationConfiguration, field string) error {
	if stream.ConversionEnabled(d) && svc.opts.Converters == nil {
		return apierror.InvalidArgument("%s.DataFormatConversionConfiguration: this service has no format converters", field)
	}
	for _, arn := range stream.LambdaFunctions(d) {
		if svc.opts.Transforms == nil {
			return apierror.InvalidArgument("%s.ProcessingConfiguration: %s: this service has no plugin runtime", field, arn)
		}
		if _, err := svc.opts.Transforms.Resolve(ctx, arn); err != nil {
			return apierror.InvalidArgument("%s.ProcessingConfiguration: Lambda function %s is not available: %v", field, arn, err)
		}
	}
	return nil
}

// checkStore refuses a bucket or prefix the object store can never write,
// when the store has rules of its own (objstore.Validator, as the local
// store has): the bucket itself, then sample keys of the data and error
// prefixes (prefix.SampleKeys). Without it such a stream would accept
// records and then retry every delivery until the retention period ended.
func (svc *Service) checkStore(name string, d *stream.ExtendedS3DestinationConfiguration, field string) error {
	v, ok := svc.opts.Store.(objstore.Validator)
	if !ok {
		return nil
	}
	bucket, err := objstore.BucketFromARN(d.BucketARN)
	if err != nil {
		return apierror.InvalidArgument("%s.BucketARN: %v", field, err)
	}
	if err := v.ValidateBucket(bucket); err != nil {
		return apierror.InvalidArgument("%s.BucketARN %q: the object store cannot use this bucket: %v", field, d.BucketARN, err)
	}
	ext := ""
	if d.FileExtension != nil {
		ext = *d.FileExtension
	}
	if ext == "" {
		ext = stream.MaxDefaultExtension
	}
	loc := time.UTC
	if d.CustomTimeZone != nil {
		if loc, err = stream.LoadLocation(*d.CustomTimeZone); err != nil {
			return apierror.InvalidArgument("%s.CustomTimeZone: %v", field, err)
		}
	}
	if d.FileExtension != nil && *d.FileExtension != "" {
		// The object name is a key segment of its own: name, version,
		// time, UUID and extension.
		on := prefix.ObjectName(name, "9223372036854775807", time.Time{}, nil, "00000000-0000-0000-0000-000000000000", ext)
		if err := v.ValidateKey(on); err != nil {
			return apierror.InvalidArgument("%s.FileExtension %q: the object store cannot write object names such as %q: %v", field, ext, on, err)
		}
	}
	configured := map[string]*string{prefix.FieldPrefix: d.Prefix, prefix.FieldErrorOutputPrefix: d.ErrorOutputPrefix}
	for _, s := range prefix.SampleKeys(deref(d.Prefix), deref(d.ErrorOutputPrefix), name, ext, loc) {
		if err := v.ValidateKey(s.Key); err != nil {
			return apierror.InvalidArgument("%s.%s %q: the object store cannot write its keys (such as %q): %v",
				field, s.Field, deref(configured[s.Field]), s.Key, err)
		}
	}
	return nil
}

// deref returns *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ARN returns the delivery stream ARN of name.
func (svc *Service) ARN(name string) string {
	return fmt.Sprintf("arn:aws:firehose:%s:%s:deliverystream/%s", svc.opts.Region, svc.opts.AccountID, name)
}

func (svc *Service) notFound(name string) error {
	return apierror.ResourceNotFound("Firehose %s under account %s not found.", name, svc.opts.AccountID)
}

// Create implements CreateDeliveryStream. The stream is CREATING when it
// returns and becomes ACTIVE once its pipeline is open (milliseconds).
func (svc *Service) Create(ctx context.Context, in *stream.CreateInput) (string, error) {
	if err := stream.ValidateCreate(in); err != nil {
		return "", err
	}
	var dest stream.ExtendedS3DestinationConfiguration
	if in.ExtendedS3DestinationConfiguration != nil {
		dest = *in.ExtendedS3DestinationConfiguration
	} else {
		dest = stream.FromS3(in.S3DestinationConfiguration)
	}
	if err := svc.checkFunctions(ctx, &dest, "ExtendedS3DestinationConfiguration"); err != nil {
		return "", err
	}
	if err := svc.checkStore(in.DeliveryStreamName, &dest, "ExtendedS3DestinationConfiguration"); err != nil {
		return "", err
	}
	encStatus := ""
	if e := in.DeliveryStreamEncryptionConfigurationInput; e != nil {
		if err := stream.CheckEncryptionKey(e); err != nil {
			return "", err
		}
		encStatus = stream.EncryptionEnabled
	}
	now := svc.opts.Now().UTC()
	s := &stream.Stream{
		ID:            uuid.NewString(),
		Name:          in.DeliveryStreamName,
		ARN:           svc.ARN(in.DeliveryStreamName),
		Type:          stream.TypeDirectPut,
		Status:        stream.StatusCreating,
		VersionID:     1,
		Created:       now,
		DirectPut:     in.DirectPutSourceConfiguration,
		Encryption:    in.DeliveryStreamEncryptionConfigurationInput,
		DestinationID: stream.DefaultDestinationID,
		Destination:   stream.WithDefaults(dest),
		Tags:          mergeTags(nil, in.Tags),
	}
	s.EncryptionStatus = encStatus
	svc.mu.Lock()
	if svc.closing {
		svc.mu.Unlock()
		return "", apierror.ServiceUnavailable("The service is shutting down.")
	}
	if _, ok := svc.streams[s.Name]; ok {
		svc.mu.Unlock()
		return "", apierror.ResourceInUse("Firehose %s under accountId %s already exists", s.Name, svc.opts.AccountID)
	}
	if len(svc.streams) >= svc.opts.MaxStreams {
		svc.mu.Unlock()
		return "", apierror.LimitExceeded("You have already consumed your firehose quota of %d hoses. Firehose names: %s", svc.opts.MaxStreams, strings.Join(svc.namesLocked(), ", "))
	}
	if err := svc.reg.Save(s); err != nil {
		svc.mu.Unlock()
		return "", fmt.Errorf("create %s: %w", s.Name, err)
	}
	e := &entry{s: s}
	svc.streams[s.Name] = e
	svc.bg.Add(1)
	svc.mu.Unlock()

	go func() {
		defer svc.bg.Done()
		p, err := svc.openPipeline(s.Clone())
		svc.mu.Lock()
		defer svc.mu.Unlock()
		if err != nil {
			svc.opts.Logger.Error("delivery stream creation failed", "stream", s.Name, "err", err)
			e.s.Status = stream.StatusCreatingFailed
		} else {
			e.pipe = p
			e.s.Status = stream.StatusActive
		}
		if err := svc.reg.Save(e.s); err != nil {
			svc.opts.Logger.Error("cannot save delivery stream", "stream", s.Name, "err", err)
		}
	}()
	return s.ARN, nil
}

func (svc *Service) namesLocked() []string {
	names := make([]string, 0, len(svc.streams))
	for n := range svc.streams {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Describe implements DescribeDeliveryStream.
func (svc *Service) Describe(ctx context.Context, name string) (stream.Description, error) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	e, ok := svc.streams[name]
	if !ok {
		return stream.Description{}, svc.notFound(name)
	}
	return e.s.Describe(), nil
}

// List implements ListDeliveryStreams: names in alphabetical order after
// exclusiveStart, at most limit of them, filtered by type when typ != "".
func (svc *Service) List(ctx context.Context, limit int, typ, exclusiveStart string) (names []string, hasMore bool) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if limit <= 0 {
		limit = 10
	}
	for _, n := range svc.namesLocked() {
		if exclusiveStart != "" && n <= exclusiveStart {
			continue
		}
		if typ != "" && svc.streams[n].s.Type != typ {
			continue
		}
		if len(names) == limit {
			return names, true
		}
		names = append(names, n)
	}
	return names, false
}

// Delete implements DeleteDeliveryStream: the stream goes DELETING, what it
// has acknowledged is delivered, then it and its log are removed. If the
// records cannot be delivered within five minutes the stream becomes
// DELETING_FAILED and keeps its log; deleting it again retries, and
// AllowForceDelete discards what is left.
func (svc *Service) Delete(ctx context.Context, name string, force bool) error {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if svc.closing {
		// Close has taken (or is taking) the pipelines away: a deletion
		// started now would have nothing to drain.
		return apierror.ServiceUnavailable("The service is shutting down.")
	}
	e, ok := svc.streams[name]
	if !ok {
		return svc.notFound(name)
	}
	switch e.s.Status {
	case stream.StatusCreating:
		return apierror.ResourceInUse("Firehose %s is in the CREATING state and cannot be deleted yet.", name)
	case stream.StatusDeleting:
		return nil
	case stream.StatusCreatingFailed:
		if e.pipe == nil {
			return svc.removeLocked(e)
		}
	case stream.StatusDeletingFailed:
		if e.pipe == nil {
			if force {
				return svc.removeLocked(e)
			}
			p, err := svc.openPipeline(e.s)
			if err != nil {
				return apierror.ResourceInUse("Firehose %s cannot be reopened to deliver its remaining records (%v); delete it with AllowForceDelete to discard them.", name, err)
			}
			e.pipe = p
		}
	}
	e.s.Status = stream.StatusDeleting
	if err := svc.reg.Save(e.s); err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	svc.startDelete(e, force)
	return nil
}

// removeLocked forgets a stream that has no pipeline and removes its
// registry entry and log folder; svc.mu must be held.
func (svc *Service) removeLocked(e *entry) error {
	delete(svc.streams, e.s.Name)
	if err := os.RemoveAll(svc.logDir(e.s)); err != nil {
		return fmt.Errorf("delete %s: %w", e.s.Name, err)
	}
	return svc.reg.Delete(e.s.Name)
}

func (svc *Service) logDir(s *stream.Stream) string {
	return filepath.Join(svc.opts.DataDir, "wal", s.ID)
}

// startDelete drains and removes a DELETING stream in the background;
// svc.mu must be held.
func (svc *Service) startDelete(e *entry, force bool) {
	svc.bg.Add(1)
	pipe := e.pipe // read under svc.mu
	go func() {
		defer svc.bg.Done()
		ctx, cancel := context.WithTimeout(svc.bgCtx, 5*time.Minute)
		defer cancel()
		err := pipe.Destroy(ctx, force)
		svc.mu.Lock()
		defer svc.mu.Unlock()
		if err != nil {
			e.pipe = nil
			if svc.closing {
				// Interrupted by shutdown: stay DELETING, resumed at the next start.
				svc.opts.Logger.Warn("delivery stream deletion interrupted by shutdown; it resumes at the next start", "stream", e.s.Name)
				return
			}
			svc.opts.Logger.Error("delivery stream deletion failed; its undelivered records stay in the log", "stream", e.s.Name, "err", err)
			e.s.Status = stream.StatusDeletingFailed
			if err := svc.reg.Save(e.s); err != nil {
				svc.opts.Logger.Error("cannot save delivery stream", "stream", e.s.Name, "err", err)
			}
			return
		}
		if cur, ok := svc.streams[e.s.Name]; ok && cur == e {
			delete(svc.streams, e.s.Name)
		}
		if err := svc.reg.Delete(e.s.Name); err != nil {
			svc.opts.Logger.Error("cannot remove delivery stream", "stream", e.s.Name, "err", err)
		}
	}()
}

// lookupForChange returns a stream's entry with its mod lock held, for an
// operation that changes it; the caller unlocks e.mod.
func (svc *Service) lookupForChange(name string) (*entry, error) {
	svc.mu.Lock()
	if svc.closing {
		svc.mu.Unlock()
		return nil, apierror.ServiceUnavailable("The service is shutting down.")
	}
	e, ok := svc.streams[name]
	svc.mu.Unlock()
	if !ok {
		return nil, svc.notFound(name)
	}
	e.mod.Lock()
	return e, nil
}

// commit stores a changed stream and installs it, unless its status changed
// meanwhile (a deletion started): then the change is refused.
func (svc *Service) commit(e *entry, next *stream.Stream) error {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if e.s.Status != next.Status || svc.closing {
		return apierror.ResourceInUse("Firehose %s changed state to %s during the request.", next.Name, e.s.Status)
	}
	if err := svc.reg.Save(next); err != nil {
		return fmt.Errorf("save %s: %w", next.Name, err)
	}
	e.s = next
	return nil
}

// current returns a deep copy of e's stream and its pipeline under svc.mu.
func (svc *Service) current(e *entry) (*stream.Stream, *deliver.Pipeline) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	return e.s.Clone(), e.pipe
}

// Update implements UpdateDestination. The pipeline switch (which flushes
// the buffer and may wait for a slow store) runs without Service.mu, so
// other streams are never held up by this one.
func (svc *Service) Update(ctx context.Context, in *stream.UpdateInput) error {
	if err := stream.ValidateUpdateIDs(in); err != nil {
		return err
	}
	e, err := svc.lookupForChange(in.DeliveryStreamName)
	if err != nil {
		return err
	}
	defer e.mod.Unlock()
	cur, pipe := svc.current(e)
	if cur.Status != stream.StatusActive || pipe == nil {
		return apierror.ResourceInUse("Firehose %s is not in the ACTIVE state (it is %s).", cur.Name, cur.Status)
	}
	if in.CurrentDeliveryStreamVersionId != cur.Version() {
		return apierror.ConcurrentModification("Cannot update firehose: %s since the current version id: %s and specified version id: %s do not match",
			cur.Name, cur.Version(), in.CurrentDeliveryStreamVersionId)
	}
	if in.DestinationId != cur.DestinationID {
		return apierror.InvalidArgument("Destination Id %s not found", in.DestinationId)
	}
	next, err := stream.Merge(cur.Destination, in)
	if err != nil {
		return err
	}
	if err := svc.checkFunctions(ctx, &next, "ExtendedS3DestinationUpdate"); err != nil {
		return err
	}
	if err := svc.checkStore(cur.Name, &next, "ExtendedS3DestinationUpdate"); err != nil {
		return err
	}
	cur.Destination = next
	cur.VersionID++
	cur.LastUpdate = svc.opts.Now().UTC()
	if err := pipe.Update(cur); err != nil {
		return apierror.InvalidArgument("%v", err)
	}
	return svc.commit(e, cur)
}

// pipeline returns the ACTIVE stream's pipeline for a put.
func (svc *Service) pipeline(name string) (*deliver.Pipeline, *stream.Stream, error) {
	p, s, _, err := svc.pipelineEntry(name)
	return p, s, err
}

// pipelineEntry is pipeline that also returns the stream's entry.
func (svc *Service) pipelineEntry(name string) (*deliver.Pipeline, *stream.Stream, *entry, error) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if svc.closing {
		// Retryable, unlike ResourceNotFound: the records belong in the
		// next start.
		return nil, nil, nil, apierror.ServiceUnavailable("The service is shutting down.")
	}
	e, ok := svc.streams[name]
	if !ok {
		return nil, nil, nil, svc.notFound(name)
	}
	if e.s.Status != stream.StatusActive || e.pipe == nil {
		return nil, nil, nil, apierror.ResourceNotFound("Firehose %s under account %s is not ACTIVE (it is %s).", name, svc.opts.AccountID, e.s.Status)
	}
	return e.pipe, e.s, e, nil
}

// Put appends records to an ACTIVE stream; on success every record is in the
// write-ahead log. It returns the RecordId of each record.
func (svc *Service) Put(ctx context.Context, name string, data [][]byte) ([]string, bool, error) {
	p, s, e, err := svc.pipelineEntry(name)
	if err != nil {
		return nil, false, err
	}
	e.enc.RLock() // the log's sealer does not change under a put (encryption.go)
	first, err := p.Put(ctx, data)
	sealed := p.Sealed()
	e.enc.RUnlock()
	if err != nil {
		if errors.Is(err, deliver.ErrClosed) || errors.Is(err, deliver.ErrBackpressure) {
			return nil, false, apierror.ServiceUnavailable("Slow down.")
		}
		svc.opts.Logger.Error("put failed", "stream", name, "err", err)
		return nil, false, apierror.ServiceUnavailable("Slow down.")
	}
	ids := make([]string, len(data))
	prefix := strings.ReplaceAll(s.ID, "-", "")
	buf := make([]byte, 0, len(prefix)+20)
	for i := range data {
		ids[i] = recordID(buf, prefix, first+uint64(i))
	}
	return ids, sealed, nil
}

// recordID makes an opaque RecordId from the stream incarnation (prefix) and
// the record's sequence number, zero-padded to 20 digits.
func recordID(buf []byte, prefix string, seq uint64) string {
	buf = append(buf[:0], prefix...)
	var digits [20]byte
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = byte('0' + seq%10)
		seq /= 10
	}
	return string(append(buf, digits[:]...))
}

// Tag implements TagDeliveryStream.
func (svc *Service) Tag(ctx context.Context, name string, tags []stream.Tag) error {
	if err := stream.CheckStreamName(name); err != nil {
		return err
	}
	if err := stream.ValidateTags(tags); err != nil {
		return err
	}
	return svc.changeTags(name, func(cur []stream.Tag) ([]stream.Tag, error) {
		merged := mergeTags(cur, tags)
		if len(merged) > stream.MaxTags {
			return nil, apierror.LimitExceeded("A delivery stream can have at most %d tags; this request would leave %d.", stream.MaxTags, len(merged))
		}
		return merged, nil
	})
}

// Untag implements UntagDeliveryStream; unknown keys are ignored.
func (svc *Service) Untag(ctx context.Context, name string, keys []string) error {
	if err := stream.CheckStreamName(name); err != nil {
		return err
	}
	if err := stream.ValidateTagKeys(keys); err != nil {
		return err
	}
	return svc.changeTags(name, func(cur []stream.Tag) ([]stream.Tag, error) {
		return slices.DeleteFunc(cur, func(t stream.Tag) bool { return slices.Contains(keys, t.Key) }), nil
	})
}

// changeTags applies f to an ACTIVE stream's tags and stores the result.
func (svc *Service) changeTags(name string, f func([]stream.Tag) ([]stream.Tag, error)) error {
	e, err := svc.lookupForChange(name)
	if err != nil {
		return err
	}
	defer e.mod.Unlock()
	cur, _ := svc.current(e)
	if cur.Status != stream.StatusActive {
		return apierror.ResourceInUse("Firehose %s is not in the ACTIVE state (it is %s).", name, cur.Status)
	}
	tags, err := f(cur.Tags)
	if err != nil {
		return err
	}
	cur.Tags = tags
	return svc.commit(e, cur)
}

// ListTags implements ListTagsForDeliveryStream: tags sorted by key after
// exclusiveStart, at most limit (default 50).
func (svc *Service) ListTags(ctx context.Context, name, exclusiveStart string, limit int) ([]stream.Tag, bool, error) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	e, ok := svc.streams[name]
	if !ok {
		return nil, false, svc.notFound(name)
	}
	if limit <= 0 {
		limit = stream.MaxTags
	}
	tags := slices.Clone(e.s.Tags)
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	var out []stream.Tag
	for _, t := range tags {
		if exclusiveStart != "" && t.Key <= exclusiveStart {
			continue
		}
		if len(out) == limit {
			return out, true, nil
		}
		out = append(out, t)
	}
	return out, false, nil
}

// mergeTags adds or overwrites tags by key, keeping first-added order.
func mergeTags(cur, add []stream.Tag) []stream.Tag {
	out := slices.Clone(cur)
	for _, t := range add {
		if t.Value == nil {
			t.Value = stream.String("")
		}
		if i := slices.IndexFunc(out, func(o stream.Tag) bool { return o.Key == t.Key }); i >= 0 {
			out[i] = t
		} else {
			out = append(out, t)
		}
	}
	return out
}

// StreamStats returns the delivery counters of an ACTIVE stream.
func (svc *Service) StreamStats(name string) (deliver.Stats, error) {
	p, _, err := svc.pipeline(name)
	if err != nil {
		return deliver.Stats{}, err
	}
	return p.Stats(), nil
}

// FlushAll hands every stream's open buffer to delivery now.
func (svc *Service) FlushAll() {
	svc.mu.Lock()
	var pipes []*deliver.Pipeline
	for _, e := range svc.streams {
		if e.pipe != nil {
			pipes = append(pipes, e.pipe)
		}
	}
	svc.mu.Unlock()
	for _, p := range pipes {
		p.Flush()
	}
}

// Close stops every pipeline: buffers are flushed and deliveries finish
// until ctx ends; anything left stays in the logs for the next start.
// Deletions in flight are interrupted when ctx ends and resume at the next
// start.
func (svc *Service) Close(ctx context.Context) error {
	svc.mu.Lock()
	svc.closing = true
	svc.mu.Unlock()
	bgDone := make(chan struct{})
	go func() { svc.bg.Wait(); close(bgDone) }()
	select {
	case <-bgDone:
	case <-ctx.Done():
		svc.bgCancel()
		<-bgDone
	}
	defer svc.bgCancel()
	svc.mu.Lock()
	var pipes []*deliver.Pipeline
	for _, e := range svc.streams {
		if e.pipe != nil {
			pipes = append(pipes, e.pipe)
			e.pipe = nil
		}
	}
	svc.mu.Unlock()
	var wg sync.WaitGroup
	errs := make([]error, len(pipes))
	for i, p := range pipes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p.Close(ctx)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
