package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wasmhose/wasmhose/host/api"
	"github.com/wasmhose/wasmhose/host/auth"
	"github.com/wasmhose/wasmhose/host/config"
	"github.com/wasmhose/wasmhose/host/public"
	"github.com/wasmhose/wasmhose/host/tlsreload"
)

// setupAuth fills the API's Auth and Authorizer from the configuration:
// nothing in dev mode; in sigv4 mode the Verifier and, per key, its
// policy (a key without one has full access).
func setupAuth(cfg config.Config, opts *api.Options, logger *slog.Logger) error {
	if cfg.Auth.Mode != config.AuthSigV4 {
		logger.Warn("request signing is OFF: any credentials are accepted", "auth.mode", cfg.Auth.Mode)
		if n := countPolicies(cfg); n > 0 {
			logger.Warn("access policies are NOT enforced in dev mode", "keysWithPolicies", n)
		}
		return nil
	}
	keys := make([]auth.Key, len(cfg.Auth.Keys))
	principals := make([]auth.Principal, len(cfg.Auth.Keys))
	for i, k := range cfg.Auth.Keys {
		keys[i] = auth.Key{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}
		principals[i] = auth.Principal{AccessKeyID: k.AccessKeyID, Name: k.Name}
		doc, where := []byte(k.Policy), fmt.Sprintf("auth.keys[%d].policy", i)
		if k.PolicyFile != "" {
			b, err := os.ReadFile(k.PolicyFile)
			if err != nil {
				return fmt.Errorf("auth.keys[%d].policyFile: %w", i, err)
			}
			doc, where = b, fmt.Sprintf("auth.keys[%d].policyFile %s", i, k.PolicyFile)
		}
		if len(doc) > 0 {
			p, err := auth.ParsePolicy(doc)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			principals[i].Policy = p
		}
	}
	v, err := auth.New(auth.Options{Keys: keys, Region: cfg.Region, ClockSkew: cfg.Auth.ClockSkew})
	if err != nil {
		return err
	}
	az, err := auth.NewAuthorizer(cfg.Region, cfg.AccountID, principals)
	if err != nil {
		return err
	}
	opts.Auth, opts.Authorizer = v, az
	logger.Info("request signing is on: AWS SigV4", "keys", len(keys), "keysWithPolicies", countPolicies(cfg),
		"region", cfg.Region, "clockSkew", cfg.Auth.ClockSkew.String())
	return nil
}

func countPolicies(cfg config.Config) int {
	n := 0
	for _, k := range cfg.Auth.Keys {
		if len(k.Policy) > 0 || k.PolicyFile != "" {
			n++
		}
	}
	return n
}

// setupTLS loads the certificate when TLS is configured and reloads it on
// SIGHUP until ctx ends. It returns the wrapper every listener goes
// through (the identity without TLS).
func setupTLS(ctx context.Context, cfg config.Config, logger *slog.Logger) (func(net.Listener) net.Listener, error) {
	if !cfg.TLS.Enabled() {
		return func(ln net.Listener) net.Listener { return ln }, nil
	}
	r, err := tlsreload.New(cfg.TLS.CertFile, cfg.TLS.KeyFile, logger.With("component", "tls"))
	if err != nil {
		return nil, err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		r.Run(ctx, hup)
		signal.Stop(hup)
	}()
	leaf := r.Certificate().Leaf
	logger.Info("TLS is on; SIGHUP reloads the certificate", "certFile", cfg.TLS.CertFile, "subject", leaf.Subject.String(),
		"notAfter", leaf.NotAfter.UTC().Format(time.RFC3339))
	conf := r.Config()
	return func(ln net.Listener) net.Listener { return tls.NewListener(ln, conf) }, nil
}

// setupPublic builds the public endpoint. On the API's listener (no
// public.listen) its routes join the API's router and it returns nil;
// otherwise it returns the server of its own listener, already serving.
func setupPublic(ctx context.Context, cfg config.Config, svc public.Putter, plugs public.Transforms, e *echo.Echo,
	wrap func(net.Listener) net.Listener, logger *slog.Logger) (*http.Server, error) {
	if len(cfg.Public.Routes) == 0 {
		return nil, nil
	}
	proxies, err := cfg.Public.TrustedProxyNets()
	if err != nil {
		return nil, fmt.Errorf("public.trustedProxies: %w", err)
	}
	h, err := public.New(ctx, public.Options{Routes: cfg.Public.Routes, Putter: svc, Transforms: plugs,
		Region: cfg.Region, AccountID: cfg.AccountID, Logger: logger.With("component", "public"), TrustedProxies: proxies})
	if err != nil {
		return nil, err
	}
	if cfg.Public.Listen == "" {
		for _, p := range h.Paths() {
			e.Any(p, echo.WrapHandler(h))
		}
		logger.Info("public endpoint serving on the API listener (unsigned)", "routes", h.Paths())
		return nil, nil
	}
	ln, err := net.Listen("tcp", cfg.Public.Listen)
	if err != nil {
		return nil, fmt.Errorf("public listen: %w", err)
	}
	hs := httpServer(cfg.HTTP, h, logger)
	go func() {
		if err := hs.Serve(wrap(ln)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("public endpoint stopped", "err", err)
		}
	}()
	logger.Info("public endpoint serving (unsigned)", "addr", ln.Addr().String(), "routes", h.Paths())
	return hs, nil
}
