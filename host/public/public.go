package public

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wasmhose/wasmhose/host/apierror"
	"github.com/wasmhose/wasmhose/host/config"
	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// Putter stores records durably and returns one RecordId each: the
// service's data plane, the same call PutRecord makes.
type Putter interface {
	Put(ctx context.Context, name string, data [][]byte) (ids []string, encrypted bool, err error)
}

// Transforms resolves a Lambda function ARN to an installed transform
// plugin (the plugin store).
type Transforms interface {
	Resolve(ctx context.Context, lambdaARN string) (wasmrt.Transformer, error)
}

// Options configure a Handler.
type Options struct {
	// Routes are the public routes (validated by config.Validate).
	Routes []config.PublicRoute
	// Putter receives the records.
	Putter Putter
	// Transforms resolves the routes' plugins; nil refuses routes that name one.
	Transforms Transforms
	// Region and AccountID make a plugin name into a Lambda ARN.
	Region, AccountID string
	// Logger receives failures to store records; nil discards.
	Logger *slog.Logger
	// Now is the clock of the rate limits (default time.Now).
	Now func() time.Time
	// TrustedProxies are the reverse proxies whose X-Forwarded-For header
	// names the client (config.Public.TrustedProxies); none: the TCP peer
	// is the client.
	TrustedProxies []*net.IPNet
}

// Handler serves the public routes. It is safe for concurrent use.
type Handler struct {
	routes map[string]*route
	putter Putter
	log    *slog.Logger
	now    func() time.Time
	client echo.IPExtractor // the address a request's rate limit is kept under
}

// New compiles the routes (schemas, templates, plugins) and returns their
// Handler.
func New(ctx context.Context, o Options) (*Handler, error) {
	if o.Putter == nil {
		return nil, errors.New("public: no Putter")
	}
	h := &Handler{routes: map[string]*route{}, putter: o.Putter, log: o.Logger, now: o.Now, client: echo.ExtractIPDirect()}
	if len(o.TrustedProxies) > 0 {
		// echo's extractor walks X-Forwarded-For from the right, skipping
		// trusted addresses; only the configured ranges are trusted (not
		// echo's default loopback and private ones).
		trust := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range o.TrustedProxies {
			trust = append(trust, echo.TrustIPRange(n))
		}
		h.client = echo.ExtractIPFromXFFHeader(trust...)
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	for _, rc := range o.Routes {
		if _, dup := h.routes[rc.Path]; dup {
			return nil, fmt.Errorf("public: route %s appears twice", rc.Path)
		}
		arn := rc.Plugin
		if !strings.HasPrefix(arn, "arn:") {
			arn = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", o.Region, o.AccountID, rc.Plugin)
		}
		rt, err := compile(ctx, rc, arn, o.Transforms)
		if err != nil {
			return nil, err
		}
		h.routes[rc.Path] = rt
	}
	return h, nil
}

// Paths returns the routes' paths, sorted.
func (h *Handler) Paths() []string {
	out := make([]string, 0, len(h.routes))
	for p := range h.routes {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// response is a successful answer.
type response struct {
	RecordId  string `json:"RecordId,omitempty"`
	Encrypted bool   `json:"Encrypted,omitempty"`
	Dropped   bool   `json:"Dropped,omitempty"`
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt := h.routes[r.URL.Path]
	if rt == nil {
		writeJSON(w, http.StatusNotFound, &BodyError{Message: "no such route"})
		return
	}
	origin := r.Header.Get("Origin")
	allowed := origin != "" && rt.allows(origin)
	if allowed {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Expose-Headers", "Retry-After")
	}
	w.Header().Add("Vary", "Origin")
	switch r.Method {
	case http.MethodOptions:
		h.preflight(w, r, rt, allowed)
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "POST, OPTIONS")
		writeJSON(w, http.StatusMethodNotAllowed, &BodyError{Message: "only POST is served here"})
		return
	}
	if origin != "" && !allowed {
		writeJSON(w, http.StatusForbidden, &BodyError{Message: "origin " + origin + " may not post here"})
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, &BodyError{Message: "the body must be application/json"})
		return
	}
	now := h.now()
	if ok, wait := rt.limit.allow(clientKey(h.client(r)), now); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		writeJSON(w, http.StatusTooManyRequests, &BodyError{Message: "too many requests; slow down"})
		return
	}
	if r.ContentLength > rt.maxBody {
		writeJSON(w, http.StatusRequestEntityTooLarge, &BodyError{Message: fmt.Sprintf("the body exceeds %d bytes", rt.maxBody)})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, rt.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeJSON(w, http.StatusRequestEntityTooLarge, &BodyError{Message: fmt.Sprintf("the body exceeds %d bytes", rt.maxBody)})
			return
		}
		var ae *apierror.Error
		if errors.As(err, &ae) && ae.Type == apierror.TypeServiceUnavailable {
			// The listener's bound on request bytes in flight (host/api).
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusServiceUnavailable, &BodyError{Message: "the service is busy; retry later"})
			return
		}
		writeJSON(w, http.StatusBadRequest, &BodyError{Message: "cannot read the body"})
		return
	}
	out, err := h.handle(r.Context(), rt, body, now)
	if err != nil {
		var be *BodyError
		if errors.As(err, &be) {
			writeJSON(w, be.Status, be)
			return
		}
		e := apierror.As(err)
		if e.Type == apierror.TypeServiceUnavailable {
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusServiceUnavailable, &BodyError{Message: "the stream is busy; retry later"})
			return
		}
		h.log.Error("public endpoint: record not stored", "path", rt.path, "stream", rt.stream, "err", err)
		writeJSON(w, http.StatusInternalServerError, &BodyError{Message: "the record could not be stored"})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handle makes the record of a body read within limits and stores it.
func (h *Handler) handle(ctx context.Context, rt *route, body []byte, now time.Time) (*response, error) {
	rec, err := rt.record(body)
	if err != nil {
		return nil, err
	}
	if rt.plugin != nil {
		if rec, err = rt.transform(ctx, rec, now); err != nil {
			return nil, err
		}
		if rec == nil {
			return &response{Dropped: true}, nil
		}
	}
	if rec, err = rt.finish(rec); err != nil {
		return nil, err
	}
	ids, enc, err := h.putter.Put(ctx, rt.stream, [][]byte{rec})
	if err != nil {
		return nil, err
	}
	if len(ids) != 1 {
		return nil, fmt.Errorf("public: %d record ids for one record", len(ids))
	}
	return &response{RecordId: ids[0], Encrypted: enc}, nil
}

// preflight answers a CORS preflight: only for an allowed origin asking
// for POST.
func (h *Handler) preflight(w http.ResponseWriter, r *http.Request, rt *route, allowed bool) {
	if !allowed || r.Header.Get("Access-Control-Request-Method") != http.MethodPost {
		w.Header().Del("Access-Control-Allow-Origin")
		w.Header().Del("Access-Control-Expose-Headers")
		writeJSON(w, http.StatusForbidden, &BodyError{Message: "cross-origin POST is not allowed for this origin"})
		return
	}
	hd := w.Header()
	hd.Set("Access-Control-Allow-Methods", "POST")
	hd.Set("Access-Control-Allow-Headers", "Content-Type")
	hd.Set("Access-Control-Max-Age", strconv.Itoa(rt.maxAge))
	hd.Add("Vary", "Access-Control-Request-Method")
	hd.Add("Vary", "Access-Control-Request-Headers")
	w.WriteHeader(http.StatusNoContent)
}

// allows reports whether origin is one of the route's.
func (rt *route) allows(origin string) bool {
	for _, o := range rt.origins {
		if o == "*" || o == origin {
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
