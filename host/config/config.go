// Package config is the service's configuration: the YAML file given to
// `wasmhose serve --config`, its defaults and its validation. Every field
// has a default, so the service runs with no file at all (the embedded
// defaults: loopback listener, ./wasmhose-data, local object store).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Defaults.
const (
	DefaultListen    = "127.0.0.1:4573"
	DefaultDataDir   = "./wasmhose-data"
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "000000000000"
)

// Config is the whole configuration file.
type Config struct {
	// Listen is the address of the HTTP listener (Firehose API and service routes).
	Listen string `yaml:"listen"`
	// DataDir holds the registry, the write-ahead logs and the local object store.
	DataDir string `yaml:"dataDir"`
	// Region appears in ARNs (default us-east-1).
	Region string `yaml:"region"`
	// AccountID appears in ARNs and messages (default 000000000000).
	AccountID string `yaml:"accountId"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"logLevel"`
	// Store selects the object store: "local" (default) or "s3".
	Store string `yaml:"store"`
	// S3 configures the S3 object store.
	S3 S3 `yaml:"s3"`
	// WAL configures the write-ahead logs.
	WAL WAL `yaml:"wal"`
	// Delivery configures the delivery workers.
	Delivery Delivery `yaml:"delivery"`
	// Auth configures request authentication on the Firehose API.
	Auth Auth `yaml:"auth"`
	// HTTP configures the listeners' timeouts and their bound on request
	// bytes in flight.
	HTTP HTTP `yaml:"http"`
	// TLS serves every listener over HTTPS.
	TLS TLS `yaml:"tls"`
	// Public is the opt-in public endpoint (unsigned POST routes for web pages).
	Public Public `yaml:"public"`
	// Catalog is where format conversion reads table schemas.
	Catalog Catalog `yaml:"catalog"`
	// Plugins configures the Wasm transform runtime.
	Plugins Plugins `yaml:"plugins"`
}

// Auth modes.
const (
	// AuthDev accepts any credentials, or none (the default, for laptops).
	AuthDev = "dev"
	// AuthSigV4 verifies AWS Signature Version 4 against Keys.
	AuthSigV4 = "sigv4"
)

// Auth configures how Firehose API requests are authenticated.
type Auth struct {
	// Mode is "dev" (default: any credentials are accepted, and the
	// service says so at start-up) or "sigv4" (every request must be
	// signed with one of Keys).
	Mode string `yaml:"mode"`
	// ClockSkew is how far a request's X-Amz-Date may be from the
	// server's clock (default 5m, the AWS rule).
	ClockSkew time.Duration `yaml:"clockSkew"`
	// Keys are the access keys clients sign with (sigv4 mode).
	Keys []AuthKey `yaml:"keys"`
}

// AuthKey is one access key clients may sign requests with.
type AuthKey struct {
	// AccessKeyID identifies the key.
	AccessKeyID string `yaml:"accessKeyId"`
	// SecretAccessKey signs requests.
	SecretAccessKey string `yaml:"secretAccessKey"`
	// Name is the IAM user name AccessDenied messages show (default: the access key ID).
	Name string `yaml:"name"`
	// Policy is the key's IAM policy document, inline (YAML, or a string
	// holding JSON). A key with neither Policy nor PolicyFile has full access.
	Policy Document `yaml:"policy"`
	// PolicyFile is a file holding the key's IAM policy document (JSON).
	PolicyFile string `yaml:"policyFile"`
}

// S3 configures delivery to S3 or an S3-compatible server.
type S3 struct {
	// Endpoint is the server URL; empty uses AWS's endpoint for Region.
	Endpoint string `yaml:"endpoint"`
	// Region of the buckets (default: the service region).
	Region string `yaml:"region"`
	// AccessKeyID is the static access key; empty uses the AWS default credential chain.
	AccessKeyID string `yaml:"accessKeyId"`
	// SecretAccessKey goes with AccessKeyID.
	SecretAccessKey string `yaml:"secretAccessKey"`
	// SessionToken is an optional session token for temporary credentials.
	SessionToken string `yaml:"sessionToken"`
	// UsePathStyle addresses buckets as endpoint/bucket (most S3-compatible servers need it).
	UsePathStyle bool `yaml:"usePathStyle"`
	// PartSizeBytes is the multipart part size (default 16 MiB, minimum 5 MiB).
	PartSizeBytes int64 `yaml:"partSizeBytes"`
}

// WAL configures the write-ahead logs.
type WAL struct {
	// SegmentBytes is the size at which a log rolls to a new file (default 64 MiB).
	SegmentBytes int64 `yaml:"segmentBytes"`
	// NoSync skips fsync: faster, and records acknowledged shortly before a
	// power loss or kernel crash can be lost (a process crash loses nothing).
	NoSync bool `yaml:"noSync"`
}

// Delivery configures the delivery of objects.
type Delivery struct {
	// Workers is the number of objects each stream builds and stores at once (default 2).
	Workers int `yaml:"workers"`
	// MaxPendingMB bounds, per stream, the MiB of records accepted but not
	// yet stored (default 256), which also bounds the memory they hold.
	// When the destination falls that far behind, PutRecord answers
	// ServiceUnavailableException "Slow down." (HTTP 503) and
	// PutRecordBatch fails the records one by one, as Firehose throttles,
	// instead of making producers wait.
	MaxPendingMB int `yaml:"maxPendingMB"`
	// MaxMemoryMB bounds the same across all streams together (default
	// 1024), so many streams cannot together exhaust memory; past it puts
	// to any stream are throttled the same way. 0: no bound.
	MaxMemoryMB int `yaml:"maxMemoryMB"`
	// Retention is how long records wait for a destination that keeps
	// failing (default 24h, as Firehose keeps DirectPut data). After it,
	// they are discarded, as Firehose does, but never silently: an
	// S3.RetentionExpired entry in the error log and the service log, and
	// wasmhose_expired_records_total. 0 keeps them until delivered.
	Retention time.Duration `yaml:"retention"`
	// DrainTimeout is how long SIGTERM waits for buffers to be flushed and
	// uploads to finish (default 60s); what is not stored by then stays in
	// the write-ahead log for the next start.
	DrainTimeout time.Duration `yaml:"drainTimeout"`
}

// Default returns the embedded defaults.
func Default() Config {
	return Config{
		Listen:    DefaultListen,
		DataDir:   DefaultDataDir,
		Region:    DefaultRegion,
		AccountID: DefaultAccountID,
		LogLevel:  "info",
		Store:     "local",
		WAL:       WAL{SegmentBytes: 64 << 20},
		Delivery:  Delivery{Workers: 2, MaxPendingMB: 256, MaxMemoryMB: 1024, Retention: 24 * time.Hour, DrainTimeout: time.Minute},
		Auth:      Auth{Mode: AuthDev, ClockSkew: 5 * time.Minute},
		Plugins: Plugins{BatchTimeout: DefaultPluginBatchTimeout, MaxModuleBytes: DefaultPluginMaxModuleBytes,
			CompileTimeout: DefaultPluginCompileTimeout},
		HTTP: defaultHTTP(),
	}
}

// Load reads a YAML file over the defaults. Unknown keys are errors, so a
// typo does not pass silently.
func Load(path string) (Config, error) {
	c := Default()
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	if err := Parse(b, &c); err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	c.resolvePaths(filepath.Dir(path))
	return c, nil
}

// Parse decodes YAML into c (fields absent from b keep their values). An
// empty document is fine; a second document is an error, since its keys
// would otherwise be ignored without a word.
func Parse(b []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	for {
		var extra yaml.Node
		err := dec.Decode(&extra)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if n := &extra; len(n.Content) > 0 && !(n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null") {
			return fmt.Errorf("line %d: more than one YAML document; the configuration is one document", n.Content[0].Line)
		}
	}
}

// Validate returns every problem with its field path.
func (c *Config) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("listen: must not be empty"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("dataDir: must not be empty"))
	}
	if len(c.AccountID) != 12 || strings.Trim(c.AccountID, "0123456789") != "" {
		errs = append(errs, fmt.Errorf("accountId: %q must be 12 digits", c.AccountID))
	}
	if c.Region == "" || strings.Trim(c.Region, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		errs = append(errs, fmt.Errorf("region: %q must be a region name such as us-east-1", c.Region))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("logLevel: %q must be debug, info, warn or error", c.LogLevel))
	}
	switch c.Store {
	case "local":
	case "s3":
		if (c.S3.AccessKeyID == "") != (c.S3.SecretAccessKey == "") {
			errs = append(errs, errors.New("s3: accessKeyId and secretAccessKey go together"))
		}
	default:
		errs = append(errs, fmt.Errorf("store: %q must be local or s3", c.Store))
	}
	if c.S3.PartSizeBytes != 0 && c.S3.PartSizeBytes < 5<<20 {
		errs = append(errs, fmt.Errorf("s3.partSizeBytes: %d is below S3's 5 MiB minimum", c.S3.PartSizeBytes))
	}
	if c.WAL.SegmentBytes < 1<<20 {
		errs = append(errs, fmt.Errorf("wal.segmentBytes: %d must be at least 1 MiB", c.WAL.SegmentBytes))
	}
	if c.Delivery.Workers < 1 || c.Delivery.Workers > 64 {
		errs = append(errs, fmt.Errorf("delivery.workers: %d must be 1–64", c.Delivery.Workers))
	}
	if c.Delivery.MaxPendingMB < 0 {
		errs = append(errs, fmt.Errorf("delivery.maxPendingMB: %d must not be negative (0: no bound)", c.Delivery.MaxPendingMB))
	}
	if c.Delivery.MaxMemoryMB < 0 {
		errs = append(errs, fmt.Errorf("delivery.maxMemoryMB: %d must not be negative (0: no bound)", c.Delivery.MaxMemoryMB))
	}
	if c.Delivery.Retention < 0 || c.Delivery.Retention > 0 && c.Delivery.Retention < time.Minute {
		errs = append(errs, fmt.Errorf("delivery.retention: %s must be at least 1m (0: keep records until delivered)", c.Delivery.Retention))
	}
	if c.Delivery.DrainTimeout < time.Second {
		errs = append(errs, fmt.Errorf("delivery.drainTimeout: %s must be at least 1s", c.Delivery.DrainTimeout))
	}
	errs = append(errs, c.Auth.validate()...)
	errs = append(errs, c.HTTP.validate()...)
	errs = append(errs, c.validateSecurity()...)
	errs = append(errs, c.Catalog.validate()...)
	errs = append(errs, c.Plugins.validate()...)
	return errors.Join(errs...)
}

func (a *Auth) validate() []error {
	var errs []error
	switch a.Mode {
	case AuthDev:
	case AuthSigV4:
		if len(a.Keys) == 0 {
			errs = append(errs, errors.New("auth.keys: sigv4 mode needs at least one key"))
		}
	default:
		errs = append(errs, fmt.Errorf("auth.mode: %q must be dev or sigv4", a.Mode))
	}
	if a.ClockSkew < time.Second || a.ClockSkew > time.Hour {
		errs = append(errs, fmt.Errorf("auth.clockSkew: %s must be from 1s to 1h", a.ClockSkew))
	}
	seen := map[string]bool{}
	for i, k := range a.Keys {
		switch {
		case k.AccessKeyID == "" || k.SecretAccessKey == "":
			errs = append(errs, fmt.Errorf("auth.keys[%d]: accessKeyId and secretAccessKey must not be empty", i))
		case strings.ContainsAny(k.AccessKeyID, "/ ,="):
			errs = append(errs, fmt.Errorf("auth.keys[%d]: accessKeyId %q must not contain '/', ',', '=' or spaces", i, k.AccessKeyID))
		case seen[k.AccessKeyID]:
			errs = append(errs, fmt.Errorf("auth.keys[%d]: accessKeyId %q appears twice", i, k.AccessKeyID))
		}
		seen[k.AccessKeyID] = true
	}
	return errs
}
