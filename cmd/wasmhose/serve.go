package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"
	_ "time/tzdata" // CustomTimeZone must work on machines without a zoneinfo database

	"github.com/labstack/echo/v4"

	"github.com/wasmhose/wasmhose/host/api"
	"github.com/wasmhose/wasmhose/host/config"
	"github.com/wasmhose/wasmhose/host/console"
	"github.com/wasmhose/wasmhose/host/convert"
	"github.com/wasmhose/wasmhose/host/crypt"
	"github.com/wasmhose/wasmhose/host/metrics"
	"github.com/wasmhose/wasmhose/host/objstore"
	"github.com/wasmhose/wasmhose/host/pluginstore"
	"github.com/wasmhose/wasmhose/host/service"
	"github.com/wasmhose/wasmhose/host/wal"
	"github.com/wasmhose/wasmhose/plugins"
	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "YAML configuration file (optional; flags override it)")
	listen := fs.String("listen", "", "listen address (default "+config.DefaultListen+")")
	dataDir := fs.String("data-dir", "", "data folder (default "+config.DefaultDataDir+")")
	logLevel := fs.String("log-level", "", "debug, info, warn or error (default info)")
	tlsCert := fs.String("tls-cert", "", "PEM certificate file: serve HTTPS (with --tls-key; SIGHUP reloads both)")
	tlsKey := fs.String("tls-key", "", "PEM private key file of --tls-cert")
	compileCache := fs.String("compilation-cache", "", "folder of compiled plugins, may be shared by several data dirs (default <data-dir>/plugins/cache)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file until shutdown (for performance work)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg := config.Default()
	if *cfgPath != "" {
		var err error
		if cfg, err = config.Load(*cfgPath); err != nil {
			fmt.Fprintln(stderr, "wasmhose serve:", err)
			return 2
		}
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	if *logLevel != "" {
		cfg.LogLevel = *logLevel
	}
	if *compileCache != "" {
		cfg.Plugins.CompilationCacheDir = *compileCache
	}
	if *tlsCert != "" || *tlsKey != "" {
		cfg.TLS = config.TLS{CertFile: *tlsCert, KeyFile: *tlsKey}
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, "wasmhose serve: invalid configuration:", err)
		return 2
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "wasmhose serve:", err)
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "wasmhose serve:", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, stderr, nil); err != nil {
		fmt.Fprintln(stderr, "wasmhose serve:", err)
		return 1
	}
	return 0
}

// serve runs the service until ctx ends. ready, when not nil, receives the
// listener's address once requests are accepted.
func serve(ctx context.Context, cfg config.Config, logOut io.Writer, ready chan<- string) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return fmt.Errorf("log level: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: level}))

	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	// The keyring stands in for KMS: it seals encrypted streams' logs and,
	// for the local store, encrypts the objects of streams with a
	// KMSEncryptionConfig (S3 does that itself with SSE-KMS).
	keys, err := crypt.OpenKeyring(filepath.Join(cfg.DataDir, crypt.DirName))
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	if local, ok := store.(*objstore.Local); ok {
		store = crypt.NewStore(local, keys)
	}
	// Transform plugins: one Wasm runtime for the process, sharing the
	// compilation cache with `wasmhose plugin`.
	pluginDir := filepath.Join(cfg.DataDir, pluginstore.DirName)
	cacheDir := cfg.Plugins.CompilationCacheDir
	if cacheDir == "" {
		cacheDir = pluginstore.CompilationCacheDir(pluginDir)
	}
	rt, err := wasmrt.New(ctx, wasmrt.NewConfig().
		WithCompilationCacheDir(cacheDir).
		WithBatchTimeout(cfg.Plugins.BatchTimeout).
		WithMaxModuleBytes(cfg.Plugins.MaxModuleBytes).
		WithCompileTimeout(cfg.Plugins.CompileTimeout).
		WithLogger(logger.With("component", "plugin")))
	if err != nil {
		return fmt.Errorf("plugin runtime: %w", err)
	}
	defer rt.Close(context.Background())
	plugs, err := pluginstore.Open(pluginDir, plugins.Catalogue(), rt, logger)
	if err != nil {
		return err
	}
	defer plugs.Close(context.Background()) // after the service: deferred calls run last-in first-out
	glue, reg, err := glueAPI(cfg)          // the Glue Data Catalog (AWSGlue.* targets) on the same listener
	if err != nil {
		return fmt.Errorf("schema registry: %w", err)
	}
	tables, err := catalogSource(ctx, cfg, reg) // where format conversion reads table schemas
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	svc, err := service.New(service.Options{
		DataDir:    cfg.DataDir,
		Region:     cfg.Region,
		AccountID:  cfg.AccountID,
		Store:      store,
		Logger:     logger,
		Log:        wal.Options{SegmentBytes: cfg.WAL.SegmentBytes, NoSync: cfg.WAL.NoSync},
		Workers:    cfg.Delivery.Workers,
		Transforms: plugs,
		Converters: convert.New(convert.Options{Source: tables}),
		Keys:       keys,

		MaxPendingBytes: int64(cfg.Delivery.MaxPendingMB) << 20,
		MaxMemoryBytes:  int64(cfg.Delivery.MaxMemoryMB) << 20,
		Retention:       retention(cfg.Delivery.Retention),
	})
	if err != nil {
		return err
	}
	m := metrics.New(svc.Snapshot)
	m.WatchPluginRuntime(func() (int64, int64, int64) {
		st := rt.Stats()
		return st.Instances, st.Created, st.Recycled
	})
	opts := api.Options{Logger: logger, Observer: m, LoopbackOnly: isLoopback(cfg.Listen), MaxInFlightBytes: cfg.HTTP.MaxInFlightBytes()}
	if err := setupAuth(cfg, &opts, logger); err != nil {
		_ = svc.Close(context.Background())
		return fmt.Errorf("auth: %w", err)
	}
	wrapTLS, err := setupTLS(ctx, cfg, logger)
	if err != nil {
		_ = svc.Close(context.Background())
		return err
	}
	opts.Services = append(opts.Services, glue)
	srv := api.New(svc, opts)
	srv.Echo().GET("/metrics", echo.WrapHandler(m.Handler()))
	srv.Echo().GET("/readyz", func(c echo.Context) error {
		rctx, cancel := context.WithTimeout(c.Request().Context(), 5*time.Second)
		defer cancel()
		// Damage found in a stream's log is reported in the body with a
		// 200: the service serves; ?strict makes it a 503 (RATIONALE.md).
		_, strict := c.QueryParams()["strict"]
		return c.String(svc.Readiness(rctx, strict))
	})
	con := console.New(svc, console.Options{Logger: logger}) // the web console at /console/ (GET / redirects there)
	defer con.Close()
	con.Register(srv.Echo())
	pub, err := setupPublic(ctx, cfg, svc, plugs, srv.Echo(), wrapTLS, logger)
	if err != nil {
		_ = svc.Close(context.Background())
		return err
	}
	if pub != nil {
		defer pub.Close()
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		_ = svc.Close(context.Background())
		return fmt.Errorf("listen: %w", err)
	}
	ln = wrapTLS(ln)
	hs := httpServer(cfg.HTTP, srv, logger)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	logger.Info("wasmhose serving", "version", version, "addr", ln.Addr().String(), "dataDir", cfg.DataDir, "store", cfg.Store)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			_ = svc.Close(context.Background())
			return fmt.Errorf("http: %w", err)
		}
	}
	logger.Info("shutting down: draining requests, flushing buffers")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		logger.Warn("http shutdown", "err", err)
	}
	if pub != nil {
		if err := pub.Shutdown(sctx); err != nil {
			logger.Warn("public endpoint shutdown", "err", err)
		}
	}
	dctx, dcancel := context.WithTimeout(context.Background(), cfg.Delivery.DrainTimeout)
	defer dcancel()
	if err := svc.Close(dctx); err != nil {
		logger.Error("delivery shutdown incomplete; undelivered records stay in the write-ahead log", "err", err)
		return nil
	}
	logger.Info("stopped cleanly")
	return nil
}

func openStore(ctx context.Context, cfg config.Config) (objstore.Store, error) {
	switch cfg.Store {
	case "s3":
		region := cfg.S3.Region
		if region == "" {
			region = cfg.Region
		}
		return objstore.NewS3(ctx, objstore.S3Config{
			Endpoint:        cfg.S3.Endpoint,
			Region:          region,
			AccessKeyID:     cfg.S3.AccessKeyID,
			SecretAccessKey: cfg.S3.SecretAccessKey,
			SessionToken:    cfg.S3.SessionToken,
			UsePathStyle:    cfg.S3.UsePathStyle,
			PartSize:        cfg.S3.PartSizeBytes,
		})
	default:
		return objstore.NewLocal(filepath.Join(cfg.DataDir, "s3"))
	}
}

// httpServer is the http.Server of a listener, with the timeouts of
// cfg: a client that sends its request slowly or keeps an idle connection
// open is cut off, so connections cannot pile up.
func httpServer(cfg config.HTTP, h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: cfg.ReadHeaderTimeout, ReadTimeout: cfg.ReadTimeout, IdleTimeout: cfg.IdleTimeout,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
}

// isLoopback reports whether a listen address binds loopback only.
func isLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// retention maps delivery.retention to deliver's: 0 in the file means keep
// records until delivered, which deliver spells as a negative period.
func retention(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
