// Package api serves the Firehose API over HTTP with echo: the AWS JSON 1.1
// protocol (POST /, X-Amz-Target: Firehose_20150804.<Operation>), and the
// service's own routes (/healthz). Other AWS JSON 1.1 services, such as the
// Glue Data Catalog of converters/schema, share POST / through Target.
//
// Every failure a client sees has Firehose's error shape: an HTTP status and
// {"__type": "<ErrorShape>", "message": "..."}, with the shape name repeated
// in the X-Amzn-ErrorType header. Malformed JSON is a SerializationException,
// an unknown operation an UnknownOperationException; no request can panic
// the server (echo's Recover middleware answers InternalFailure if one does).
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/wasmhose/wasmhose/host/apierror"
	"github.com/wasmhose/wasmhose/host/stream"
)

// TargetPrefix is the X-Amz-Target prefix of the Firehose operations.
const TargetPrefix = "Firehose_20150804."

// Limits of the data plane (firehose-reference §3).
const (
	// MaxRecordBytes is the largest record, before base64.
	MaxRecordBytes = 1_024_000
	// MaxBatchRecords is the most records in one PutRecordBatch.
	MaxBatchRecords = 500
	// MaxBatchBytes is the most data bytes in one PutRecordBatch.
	MaxBatchBytes = 4 << 20
	// MaxBodyBytes bounds a request body: a full 4 MiB batch in base64 plus JSON framing.
	MaxBodyBytes = 8 << 20
)

// Backend is what the API calls: the service's control and data plane.
//
// Errors returned should be *apierror.Error values; anything else is
// answered as InternalFailure.
type Backend interface {
	// Create implements CreateDeliveryStream and returns the stream's ARN.
	Create(ctx context.Context, in *stream.CreateInput) (arn string, err error)
	// Describe implements DescribeDeliveryStream.
	Describe(ctx context.Context, name string) (stream.Description, error)
	// List implements ListDeliveryStreams: sorted names after exclusiveStart, at most limit, of type typ ("" = all).
	List(ctx context.Context, limit int, typ, exclusiveStart string) (names []string, hasMore bool)
	// Delete implements DeleteDeliveryStream.
	Delete(ctx context.Context, name string, force bool) error
	// Update implements UpdateDestination.
	Update(ctx context.Context, in *stream.UpdateInput) error
	// Put stores records durably and returns one RecordId each; a
	// ServiceUnavailableException becomes per-record failures in PutRecordBatch.
	Put(ctx context.Context, name string, data [][]byte) (ids []string, encrypted bool, err error)
	// Tag implements TagDeliveryStream.
	Tag(ctx context.Context, name string, tags []stream.Tag) error
	// Untag implements UntagDeliveryStream.
	Untag(ctx context.Context, name string, keys []string) error
	// ListTags implements ListTagsForDeliveryStream.
	ListTags(ctx context.Context, name, exclusiveStart string, limit int) (tags []stream.Tag, hasMore bool, err error)
	// StartEncryption implements StartDeliveryStreamEncryption.
	StartEncryption(ctx context.Context, in *stream.StartEncryptionInput) error
	// StopEncryption implements StopDeliveryStreamEncryption.
	StopEncryption(ctx context.Context, name string) error
}

// Server is the HTTP front of the service.
type Server struct {
	b      Backend
	log    *slog.Logger
	echo   *echo.Echo
	ops    map[string]firehoseOp
	health func() error
	obs    Observer
	authz  Authorizer
	// inflight bounds the request-body bytes held at once (inflight.go).
	inflight *budget
	// services are the other JSON 1.1 services on POST / (targets.go).
	services []Service
}

// Options configure a Server.
type Options struct {
	// Logger receives request errors; nil discards them.
	Logger *slog.Logger
	// Health reports whether the service accepts requests; nil means always.
	Health func() error
	// Observer receives each finished Firehose API request; nil drops them.
	Observer Observer
	// LoopbackOnly refuses requests whose Host header names anything but
	// a loopback address or localhost. A service bound to loopback sets it,
	// so a web page elsewhere cannot reach the unauthenticated console and
	// API through DNS rebinding.
	LoopbackOnly bool
	// Auth, when not nil, authenticates every Firehose API request (POST /)
	// before it is dispatched; the service routes (/healthz, /readyz,
	// /metrics, /console) are not checked. Nil accepts any request, the
	// development mode.
	Auth Authenticator
	// Authorizer, when not nil, decides each operation on each resource
	// for the access key that signed the request (it needs Auth: an
	// unauthenticated request is refused). Nil allows everything.
	Authorizer Authorizer
	// Services are other AWS JSON 1.1 services answered on POST /, by
	// X-Amz-Target prefix (the Glue Data Catalog); see Target.
	Services []Service
	// MaxInFlightBytes bounds the bytes of request bodies held at once by
	// all requests together, counted as they arrive (so before a request
	// is authenticated) and released when each request ends. Past it, a
	// request is answered ServiceUnavailableException "Slow down." (HTTP
	// 503), which the AWS SDKs retry with backoff. 0 means
	// DefaultMaxInFlightBytes; negative means no bound.
	MaxInFlightBytes int64
}

// Authenticator checks the signature of a Firehose API request. body is the
// request's body, already read (r.Body is readable again too). An error
// should be an *apierror.Error (MissingAuthenticationTokenException,
// UnrecognizedClientException, InvalidSignatureException, ...); anything
// else is answered as InternalFailure. *auth.Verifier implements it.
type Authenticator interface {
	// Verify returns the access key the request was signed with.
	Verify(r *http.Request, body []byte) (accessKeyID string, err error)
}

// loopbackHost reports whether a Host header names this machine.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// UnknownStream is the stream an Observer is given for a request naming a
// stream that does not exist (the request failed with
// ResourceNotFoundException): label values stay bounded by the streams
// that exist, whatever names clients send. It cannot be a stream name.
const UnknownStream = "(unknown)"

// Observer is told about each finished Firehose API request: its operation,
// stream ("" when none, UnknownStream when it does not exist), HTTP status, duration, and for Put calls the number
// of records and bytes received and of records that failed.
type Observer interface {
	// ObserveRequest is called once per request, after the response is written.
	ObserveRequest(op, stream string, status int, d time.Duration, records, bytes, failed int)
}

// callInfo is what a handler reports about its request to the Observer.
type callInfo struct {
	stream                 string
	records, bytes, failed int
}

// New returns a Server for b.
func New(b Backend, o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxInFlightBytes == 0 {
		o.MaxInFlightBytes = DefaultMaxInFlightBytes
	}
	s := &Server{b: b, log: o.Logger, echo: echo.New(), health: o.Health, obs: o.Observer, authz: o.Authorizer, services: o.Services,
		inflight: newBudget(o.MaxInFlightBytes)}
	s.ops = firehoseOps()
	e := s.echo
	e.HideBanner = true
	e.HidePort = true
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
		s.log.Error("panic in handler", "err", err, "stack", string(stack))
		return err
	}}))
	e.HTTPErrorHandler = s.errorHandler
	e.Use(s.boundInFlight)
	if o.LoopbackOnly {
		e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				if !loopbackHost(c.Request().Host) {
					return s.writeError(c, &apierror.Error{Type: apierror.TypeAccessDenied, Status: http.StatusForbidden,
						Message: "This service listens on loopback and accepts requests for localhost only (Host " + c.Request().Host + ")."})
				}
				return next(c)
			}
		})
	}
	if o.Auth != nil {
		e.POST("/", s.dispatch, s.authenticate(o.Auth))
	} else {
		e.POST("/", s.dispatch)
	}
	e.GET("/healthz", s.healthz)
	return s
}

// Echo exposes the router so other packages can add routes (console, metrics).
func (s *Server) Echo() *echo.Echo { return s.echo }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

func (s *Server) healthz(c echo.Context) error {
	if s.health != nil {
		if err := s.health(); err != nil {
			return c.String(http.StatusServiceUnavailable, "not ready: "+err.Error()+"\n")
		}
	}
	return c.String(http.StatusOK, "ok\n")
}

// authenticate is the middleware that verifies a request's signature
// before dispatch. It reads the body (bounded as dispatch bounds it) and
// puts it back for the handler.
func (s *Server) authenticate(a Authenticator) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			body, err := requestBody(c)
			if err != nil {
				return s.writeError(c, err)
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
			id, err := s.authFor(c, a).Verify(req, body)
			if err != nil {
				c.Response().Header().Set("X-Amzn-RequestId", uuid.NewString())
				return s.writeError(c, err)
			}
			c.Set(principalKey, id)
			return next(c)
		}
	}
}

// dispatch reads the operation from X-Amz-Target and runs it.
func (s *Server) dispatch(c echo.Context) error {
	req := c.Request()
	c.Response().Header().Set("X-Amzn-RequestId", uuid.NewString())
	target := req.Header.Get("X-Amz-Target")
	if target == "" {
		return s.writeError(c, apierror.New(apierror.TypeUnknownOperation, "Missing X-Amz-Target header: expected %s<Operation>", TargetPrefix))
	}
	if svc, op, ok := s.target(target); ok {
		return s.dispatchTarget(c, svc, op)
	}
	op, ok := strings.CutPrefix(target, TargetPrefix)
	h := s.ops[op]
	if !ok || h == nil {
		return s.writeError(c, apierror.New(apierror.TypeUnknownOperation, "Unknown operation %s", target))
	}
	body, err := requestBody(c)
	if err != nil {
		return s.writeError(c, err)
	}
	start := time.Now()
	var info callInfo
	out, err := h(s, c, op, body, &info)
	if err != nil && apierror.As(err).Type == apierror.TypeResourceNotFound && info.stream != "" {
		// The name is the client's: one label value per missing name
		// would grow the metrics without bound.
		info.stream = UnknownStream
	}
	if err != nil {
		err = s.writeError(c, err)
	} else {
		if out == nil {
			out = struct{}{}
		}
		err = writeJSON(c, http.StatusOK, out)
	}
	if s.obs != nil {
		s.obs.ObserveRequest(op, info.stream, c.Response().Status, time.Since(start), info.records, info.bytes, info.failed)
	}
	return err
}

// bodyKey is where requestBody keeps a request's body in the echo context.
const bodyKey = "wasmhose.body"

// requestBody reads the request body once, bounded by MaxBodyBytes (see
// readBody), and keeps it in the context: the signature check and the
// dispatcher both need it.
func requestBody(c echo.Context) ([]byte, error) {
	if b, ok := c.Get(bodyKey).([]byte); ok {
		return b, nil
	}
	body, err := readBody(c.Request())
	if err != nil {
		if _, ok := err.(*apierror.Error); ok {
			return nil, err
		}
		return nil, apierror.Serialization("Cannot read request body: %v", err)
	}
	c.Set(bodyKey, body)
	return body, nil
}

// decode parses a request body into v; an empty body is {}. Member names
// bind case-sensitively and unknown members are ignored, as in AWS JSON.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	body = exactMembers(body, reflect.TypeOf(v))
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return apierror.Serialization("Cannot deserialize request: member %s: expected %s, got JSON %s", te.Field, jsonKind(te.Type), te.Value)
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return apierror.Serialization("Cannot deserialize request: malformed JSON at byte %d: %v", se.Offset, se)
		}
		msg := err.Error()
		if i := strings.Index(msg, "of type api."); i >= 0 {
			msg = msg[:i] + "of a request member"
		}
		return apierror.Serialization("Cannot deserialize request: %s", strings.TrimPrefix(msg, "json: "))
	}
	return nil
}

// jsonKind names the JSON kind a Go type decodes from, for messages that
// must not show Go type names.
func jsonKind(t reflect.Type) string {
	t = elemType(t)
	switch {
	case t == blobType:
		return "a base64 string"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "a boolean"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Float64:
		return "a number"
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return "an array"
	default:
		return "an object"
	}
}

func writeJSON(c echo.Context, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Blob(status, "application/x-amz-json-1.1", b)
}

// errorBody is Firehose's error shape.
type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

func (s *Server) writeError(c echo.Context, err error) error {
	e := apierror.As(err)
	if e.Status >= 500 {
		s.log.Error("request failed", "target", c.Request().Header.Get("X-Amz-Target"), "err", err)
	}
	c.Response().Header().Set("X-Amzn-ErrorType", e.Type)
	return writeJSON(c, e.Status, errorBody{Type: e.Type, Message: e.Message})
}

// errorHandler answers echo's own errors (404, 405, panics) in Firehose's shape.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		typ := apierror.TypeUnknownOperation
		if he.Code >= 500 {
			typ = apierror.TypeInternalFailure
		}
		e := &apierror.Error{Type: typ, Status: he.Code, Message: http.StatusText(he.Code) + ": " + c.Request().Method + " " + c.Request().URL.Path}
		_ = s.writeError(c, e)
		return
	}
	_ = s.writeError(c, err)
}
