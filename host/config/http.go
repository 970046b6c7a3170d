package config

import (
	"fmt"
	"time"
)

// HTTP defaults: see HTTP.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = time.Minute
	DefaultIdleTimeout       = 30 * time.Second
	DefaultMaxInFlightMB     = 256
)

// HTTP configures the HTTP servers of the listeners (the API listener and
// the public endpoint's own, when it has one): how long a client may take
// to send a request and keep an idle connection, and how many request
// bytes all clients together may have the server hold.
type HTTP struct {
	// ReadHeaderTimeout is how long a client may take to send a request's
	// headers (default 10s).
	ReadHeaderTimeout time.Duration `yaml:"readHeaderTimeout"`
	// ReadTimeout is how long a client may take to send a whole request,
	// headers and body (default 1m: an 8 MiB body at 1.1 Mbit/s). Past it
	// the connection is closed.
	ReadTimeout time.Duration `yaml:"readTimeout"`
	// IdleTimeout is how long a keep-alive connection may wait for its
	// next request (default 30s); SDKs reopen closed idle connections.
	IdleTimeout time.Duration `yaml:"idleTimeout"`
	// MaxInFlightMB bounds the MiB of request bodies the server holds at
	// once, all requests together, counted as bytes arrive, before a
	// request is authenticated (default 256; 0: no bound). Past it a
	// request is answered ServiceUnavailableException "Slow down." (503),
	// which the AWS SDKs retry with backoff.
	MaxInFlightMB int `yaml:"maxInFlightMB"`
}

func defaultHTTP() HTTP {
	return HTTP{
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		ReadTimeout:       DefaultReadTimeout,
		IdleTimeout:       DefaultIdleTimeout,
		MaxInFlightMB:     DefaultMaxInFlightMB,
	}
}

func (h *HTTP) validate() []error {
	var errs []error
	for _, d := range []struct {
		path string
		v    time.Duration
	}{{"http.readHeaderTimeout", h.ReadHeaderTimeout}, {"http.readTimeout", h.ReadTimeout}, {"http.idleTimeout", h.IdleTimeout}} {
		if d.v < time.Second || d.v > time.Hour {
			errs = append(errs, fmt.Errorf("%s: %s must be from 1s to 1h", d.path, d.v))
		}
	}
	if h.ReadTimeout < h.ReadHeaderTimeout {
		errs = append(errs, fmt.Errorf("http.readTimeout: %s must not be shorter than http.readHeaderTimeout (%s)", h.ReadTimeout, h.ReadHeaderTimeout))
	}
	if h.MaxInFlightMB < 0 {
		errs = append(errs, fmt.Errorf("http.maxInFlightMB: %d must not be negative (0: no bound)", h.MaxInFlightMB))
	}
	return errs
}

// MaxInFlightBytes returns MaxInFlightMB in bytes, negative for no bound
// (the api.Options convention).
func (h HTTP) MaxInFlightBytes() int64 {
	if h.MaxInFlightMB == 0 {
		return -1
	}
	return int64(h.MaxInFlightMB) << 20
}
