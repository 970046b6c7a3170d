package config_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wasmhose/wasmhose/host/config"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the parsed testdata/*.yaml")

func TestDefaultValidates(t *testing.T) {
	c := config.Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default() does not validate: %v", err)
	}
	exp := config.Config{
		Listen: "127.0.0.1:4573", DataDir: "./wasmhose-data", Region: "us-east-1", AccountID: "000000000000",
		LogLevel: "info", Store: "local",
		WAL:      config.WAL{SegmentBytes: 64 << 20},
		Delivery: config.Delivery{Workers: 2, MaxPendingMB: 256, MaxMemoryMB: 1024, Retention: 24 * time.Hour, DrainTimeout: time.Minute},
		Auth:     config.Auth{Mode: "dev", ClockSkew: 5 * time.Minute},
		Plugins:  config.Plugins{BatchTimeout: 30 * time.Second, MaxModuleBytes: 16 << 20, CompileTimeout: time.Minute},
		HTTP:     config.HTTP{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 30 * time.Second, MaxInFlightMB: 256},
	}
	if !reflect.DeepEqual(c, exp) {
		t.Fatalf("Default() = %+v, want %+v", c, exp)
	}
}

func TestParse(t *testing.T) {
	full := config.Config{
		Listen: "127.0.0.1:4573", DataDir: "./wasmhose-data", Region: "us-east-1", AccountID: "000000000000",
		LogLevel: "info", Store: "s3",
		S3: config.S3{Endpoint: "http://127.0.0.1:7070", Region: "us-east-1", AccessKeyID: "ak", SecretAccessKey: "sk",
			UsePathStyle: true, PartSizeBytes: 16777216},
		WAL:      config.WAL{SegmentBytes: 67108864},
		Delivery: config.Delivery{Workers: 2, MaxPendingMB: 256, MaxMemoryMB: 1024, Retention: 24 * time.Hour, DrainTimeout: time.Minute},
		Auth:     config.Auth{Mode: "dev", ClockSkew: 5 * time.Minute},
		Plugins:  config.Plugins{BatchTimeout: 30 * time.Second, MaxModuleBytes: 16 << 20, CompileTimeout: time.Minute},
		HTTP:     config.HTTP{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 30 * time.Second, MaxInFlightMB: 256},
	}
	partial := config.Default()
	partial.Region = "ap-southeast-2"
	partial.WAL.NoSync = true
	listen := config.Default()
	listen.Listen = "127.0.0.1:1"
	tests := []struct {
		name   string
		in     string
		exp    config.Config
		expErr string
	}{
		{name: "the README's document", in: `
listen: 127.0.0.1:4573
dataDir: ./wasmhose-data
region: us-east-1          # appears in ARNs
accountId: "000000000000"  # appears in ARNs and messages
logLevel: info             # structured JSON log on stderr
store: s3                  # local (objects under <dataDir>/s3/<bucket>/<key>) or s3
s3:                        # used when store: s3
  endpoint: http://127.0.0.1:7070   # empty = AWS
  region: us-east-1
  accessKeyId: ak                   # empty = the AWS default credential chain
  secretAccessKey: sk
  usePathStyle: true                # most S3-compatible servers need it
  partSizeBytes: 16777216           # objects larger than this use multipart upload
wal:
  segmentBytes: 67108864
  noSync: false            # true skips fsync
delivery:
  workers: 2               # objects built and stored at once, per stream
`, exp: full},
		{name: "absent keys keep their defaults", in: "region: ap-southeast-2\nwal:\n  noSync: true\n", exp: partial},
		{name: "empty file", in: "", exp: config.Default()},
		{name: "only comments", in: "# nothing to change\n", exp: config.Default()},
		{name: "an explicit empty document", in: "---\n", exp: config.Default()},
		{name: "null document", in: "~\n", exp: config.Default()},
		{name: "document markers", in: "---\nlisten: 127.0.0.1:1\n...\n", exp: listen},
		{name: "trailing empty document", in: "listen: 127.0.0.1:1\n---\n", exp: listen},
		{name: "unknown top-level key", in: "listen: 127.0.0.1:1\nlistn: 127.0.0.1:2\n", expErr: "field listn not found"},
		{name: "unknown nested key", in: "s3:\n  endpont: http://x\n", expErr: "field endpont not found"},
		{name: "wrong case is unknown", in: "wal:\n  nosync: true\n", expErr: "field nosync not found"},
		{name: "snake case is unknown", in: "data_dir: /tmp\n", expErr: "field data_dir not found"},
		{name: "wrong type", in: "delivery:\n  workers: many\n", expErr: "cannot unmarshal !!str `many` into int"},
		{name: "duplicate key", in: "logLevel: info\nlogLevel: warn\n", expErr: `mapping key "logLevel" already defined`},
		{name: "not a mapping", in: "- listen\n", expErr: "cannot unmarshal !!seq"},
		{name: "a second document", in: "listen: 127.0.0.1:1\n---\nlistn: 127.0.0.1:2\n", expErr: "more than one YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			err := config.Parse([]byte(tt.in), &c)
			if tt.expErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.expErr) {
					t.Fatalf("Parse = %v, want an error containing %q", err, tt.expErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(c, tt.exp) {
				t.Fatalf("Parse = %+v\nwant    %+v", c, tt.exp)
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		path    string
		expErr  []string // substrings of the error
		expList string
	}{
		{name: "file", path: write("ok.yaml", "listen: 127.0.0.1:9999\n"), expList: "127.0.0.1:9999"},
		{name: "empty file", path: write("empty.yaml", ""), expList: config.DefaultListen},
		{name: "missing file", path: filepath.Join(dir, "nope.yaml"), expErr: []string{"nope.yaml", "no such file"}},
		{name: "unknown key names the file and the key", path: write("typo.yaml", "store: local\nstroe: s3\n"),
			expErr: []string{"typo.yaml", "line 2", "stroe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(tt.path)
			if tt.expErr != nil {
				if err == nil {
					t.Fatalf("Load = %+v, want an error", c)
				}
				for _, s := range tt.expErr {
					if !strings.Contains(err.Error(), s) {
						t.Fatalf("Load error %q does not mention %q", err, s)
					}
				}
				if tt.name == "missing file" && !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("Load error %v does not wrap fs.ErrNotExist", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Listen != tt.expList || c.DataDir != config.DefaultDataDir {
				t.Fatalf("Load = %+v", c)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *config.Config)
		expErr []string // every line of the joined error, in order; nil = valid
	}{
		{name: "defaults", mutate: func(*config.Config) {}},
		{name: "empty listen", mutate: func(c *config.Config) { c.Listen = "" }, expErr: []string{"listen: must not be empty"}},
		{name: "empty dataDir", mutate: func(c *config.Config) { c.DataDir = "" }, expErr: []string{"dataDir: must not be empty"}},
		{name: "short accountId", mutate: func(c *config.Config) { c.AccountID = "12345" },
			expErr: []string{`accountId: "12345" must be 12 digits`}},
		{name: "accountId with a letter", mutate: func(c *config.Config) { c.AccountID = "00000000000a" },
			expErr: []string{`accountId: "00000000000a" must be 12 digits`}},
		{name: "empty region", mutate: func(c *config.Config) { c.Region = "" },
			expErr: []string{`region: "" must be a region name such as us-east-1`}},
		{name: "region with capitals", mutate: func(c *config.Config) { c.Region = "US_EAST_1" },
			expErr: []string{`region: "US_EAST_1" must be a region name such as us-east-1`}},
		{name: "unknown logLevel", mutate: func(c *config.Config) { c.LogLevel = "verbose" },
			expErr: []string{`logLevel: "verbose" must be debug, info, warn or error`}},
		{name: "every logLevel", mutate: func(c *config.Config) { c.LogLevel = "warn" }},
		{name: "unknown store", mutate: func(c *config.Config) { c.Store = "gcs" }, expErr: []string{`store: "gcs" must be local or s3`}},
		{name: "catalog source", mutate: func(c *config.Config) { c.Catalog.Source = "hive" }, expErr: []string{`catalog.source: "hive" must be local or glue`}},
		{name: "catalog keys", mutate: func(c *config.Config) { c.Catalog.AccessKeyID = "AKID" }, expErr: []string{"catalog: accessKeyId and secretAccessKey go together"}},
		{name: "s3 with the default credential chain", mutate: func(c *config.Config) { c.Store = "s3" }},
		{name: "s3 with both keys", mutate: func(c *config.Config) {
			c.Store = "s3"
			c.S3.AccessKeyID, c.S3.SecretAccessKey = "ak", "sk"
		}},
		{name: "lone accessKeyId", mutate: func(c *config.Config) {
			c.Store = "s3"
			c.S3.AccessKeyID = "ak"
		}, expErr: []string{"s3: accessKeyId and secretAccessKey go together"}},
		{name: "lone secretAccessKey", mutate: func(c *config.Config) {
			c.Store = "s3"
			c.S3.SecretAccessKey = "sk"
		}, expErr: []string{"s3: accessKeyId and secretAccessKey go together"}},
		{name: "partSizeBytes below 5 MiB", mutate: func(c *config.Config) { c.S3.PartSizeBytes = 5<<20 - 1 },
			expErr: []string{"s3.partSizeBytes: 5242879 is below S3's 5 MiB minimum"}},
		{name: "partSizeBytes of exactly 5 MiB", mutate: func(c *config.Config) { c.S3.PartSizeBytes = 5 << 20 }},
		{name: "negative partSizeBytes", mutate: func(c *config.Config) { c.S3.PartSizeBytes = -1 },
			expErr: []string{"s3.partSizeBytes: -1 is below S3's 5 MiB minimum"}},
		{name: "segmentBytes below 1 MiB", mutate: func(c *config.Config) { c.WAL.SegmentBytes = 1<<20 - 1 },
			expErr: []string{"wal.segmentBytes: 1048575 must be at least 1 MiB"}},
		{name: "segmentBytes of exactly 1 MiB", mutate: func(c *config.Config) { c.WAL.SegmentBytes = 1 << 20 }},
		{name: "no workers", mutate: func(c *config.Config) { c.Delivery.Workers = 0 }, expErr: []string{"delivery.workers: 0 must be 1–64"}},
		{name: "too many workers", mutate: func(c *config.Config) { c.Delivery.Workers = 65 }, expErr: []string{"delivery.workers: 65 must be 1–64"}},
		{name: "64 workers", mutate: func(c *config.Config) { c.Delivery.Workers = 64 }},
		{name: "negative memory budget", mutate: func(c *config.Config) { c.Delivery.MaxMemoryMB = -1 }, expErr: []string{"delivery.maxMemoryMB: -1 must not be negative (0: no bound)"}},
		{name: "no memory budget", mutate: func(c *config.Config) { c.Delivery.MaxMemoryMB = 0 }},
		{name: "retention too short", mutate: func(c *config.Config) { c.Delivery.Retention = time.Second }, expErr: []string{"delivery.retention: 1s must be at least 1m (0: keep records until delivered)"}},
		{name: "retention off", mutate: func(c *config.Config) { c.Delivery.Retention = 0 }},
		{name: "no drain time", mutate: func(c *config.Config) { c.Delivery.DrainTimeout = 0 }, expErr: []string{"delivery.drainTimeout: 0s must be at least 1s"}},
		{name: "sigv4 with a key", mutate: func(c *config.Config) {
			c.Auth.Mode = "sigv4"
			c.Auth.Keys = []config.AuthKey{{AccessKeyID: "AKID", SecretAccessKey: "s"}}
		}},
		{name: "sigv4 without keys", mutate: func(c *config.Config) { c.Auth.Mode = "sigv4" },
			expErr: []string{"auth.keys: sigv4 mode needs at least one key"}},
		{name: "unknown auth mode", mutate: func(c *config.Config) { c.Auth.Mode = "none" },
			expErr: []string{`auth.mode: "none" must be dev or sigv4`}},
		{name: "clockSkew too small", mutate: func(c *config.Config) { c.Auth.ClockSkew = time.Millisecond },
			expErr: []string{"auth.clockSkew: 1ms must be from 1s to 1h"}},
		{name: "clockSkew too large", mutate: func(c *config.Config) { c.Auth.ClockSkew = 2 * time.Hour },
			expErr: []string{"auth.clockSkew: 2h0m0s must be from 1s to 1h"}},
		{name: "bad keys", mutate: func(c *config.Config) {
			c.Auth.Mode = "sigv4"
			c.Auth.Keys = []config.AuthKey{{AccessKeyID: "A"}, {AccessKeyID: "A/B", SecretAccessKey: "s"},
				{AccessKeyID: "C", SecretAccessKey: "s"}, {AccessKeyID: "C", SecretAccessKey: "t"}}
		}, expErr: []string{
			"auth.keys[0]: accessKeyId and secretAccessKey must not be empty",
			`auth.keys[1]: accessKeyId "A/B" must not contain '/', ',', '=' or spaces`,
			`auth.keys[3]: accessKeyId "C" appears twice`,
		}},
		{name: "http read timeout under the header timeout", mutate: func(c *config.Config) { c.HTTP.ReadTimeout = 5 * time.Second },
			expErr: []string{"http.readTimeout: 5s must not be shorter than http.readHeaderTimeout (10s)"}},
		{name: "http unbounded in flight", mutate: func(c *config.Config) { c.HTTP.MaxInFlightMB = 0 }},
		{name: "http negative in flight", mutate: func(c *config.Config) { c.HTTP.MaxInFlightMB = -1 },
			expErr: []string{"http.maxInFlightMB: -1 must not be negative (0: no bound)"}},
		{name: "every problem at once", mutate: func(c *config.Config) {
			*c = config.Config{AccountID: "x", Region: "Nowhere", LogLevel: "loud", Store: "s3",
				S3:  config.S3{AccessKeyID: "ak", PartSizeBytes: 1024},
				WAL: config.WAL{SegmentBytes: 10}, Delivery: config.Delivery{Workers: -1}}
		}, expErr: []string{
			"listen: must not be empty",
			"dataDir: must not be empty",
			`accountId: "x" must be 12 digits`,
			`region: "Nowhere" must be a region name such as us-east-1`,
			`logLevel: "loud" must be debug, info, warn or error`,
			"s3: accessKeyId and secretAccessKey go together",
			"s3.partSizeBytes: 1024 is below S3's 5 MiB minimum",
			"wal.segmentBytes: 10 must be at least 1 MiB",
			"delivery.workers: -1 must be 1–64",
			"delivery.drainTimeout: 0s must be at least 1s",
			`auth.mode: "" must be dev or sigv4`,
			"auth.clockSkew: 0s must be from 1s to 1h",
			"http.readHeaderTimeout: 0s must be from 1s to 1h",
			"http.readTimeout: 0s must be from 1s to 1h",
			"http.idleTimeout: 0s must be from 1s to 1h",
			"plugins.batchTimeout: 0s must be positive",
			"plugins.maxModuleBytes: 0 must be at least 8",
			"plugins.compileTimeout: 0s must be positive",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			tt.mutate(&c)
			err := c.Validate()
			if tt.expErr == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want %q", tt.expErr)
			}
			if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(tt.expErr, "\n") {
				t.Fatalf("Validate reported\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.expErr, "\n  "))
			}
		})
	}
}

// TestGolden parses every testdata/*.yaml and compares the result, as
// indented JSON, with testdata/*.golden.json; -update rewrites the golden
// files.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no testdata/*.yaml: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		t.Run(name, func(t *testing.T) {
			c, err := config.Load(in)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			got, err := json.MarshalIndent(c, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			exp, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, exp) {
				t.Fatalf("%s parses to\n%s\nwant (%s)\n%s", in, got, golden, exp)
			}
		})
	}
}

// TestFullYAML pins testdata/full.yaml to the struct it must give, so the
// golden file cannot drift unnoticed when rewritten with -update.
func TestFullYAML(t *testing.T) {
	c, err := config.Load(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	exp := config.Config{
		Listen:    "0.0.0.0:8443",
		DataDir:   "/var/lib/wasmhose",
		Region:    "eu-west-3",
		AccountID: "123456789012",
		LogLevel:  "debug",
		Store:     "s3",
		S3: config.S3{
			Endpoint:        "http://127.0.0.1:7070",
			Region:          "eu-central-1",
			AccessKeyID:     "AKIDEXAMPLE",
			SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
			SessionToken:    "FwoGZXIvYXdzEXAMPLE",
			UsePathStyle:    true,
			PartSizeBytes:   8 << 20,
		},
		WAL:      config.WAL{SegmentBytes: 128 << 20, NoSync: true},
		Delivery: config.Delivery{Workers: 8, MaxPendingMB: 256, MaxMemoryMB: 512, Retention: 6 * time.Hour, DrainTimeout: 90 * time.Second},
		Auth: config.Auth{Mode: "sigv4", ClockSkew: 2 * time.Minute, Keys: []config.AuthKey{
			{AccessKeyID: "AKIDPRODUCER", SecretAccessKey: "producer-secret"},
			{AccessKeyID: "AKIDADMIN", SecretAccessKey: "admin-secret"},
		}},
		Catalog: config.Catalog{Source: "glue", Endpoint: "http://127.0.0.1:4573", Region: "eu-west-1", CacheTTL: 10 * time.Second},
		Plugins: config.Plugins{BatchTimeout: 5 * time.Second, CompilationCacheDir: "/var/cache/wasmhose",
			MaxModuleBytes: 32 << 20, CompileTimeout: 2 * time.Minute},
		HTTP: config.HTTP{ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 2 * time.Minute, IdleTimeout: 45 * time.Second, MaxInFlightMB: 128},
	}
	if !reflect.DeepEqual(c, exp) {
		t.Fatalf("full.yaml = %+v\nwant        %+v", c, exp)
	}
}

// TestSecurityYAML pins testdata/security.yaml: inline YAML and JSON
// policies become the same JSON, dates stay strings, and relative file
// names are relative to the configuration file.
func TestSecurityYAML(t *testing.T) {
	c, err := config.Load(filepath.Join("testdata", "security.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	keys := c.Auth.Keys
	if got := string(keys[1].Policy); got != `{"Statement":[{"Action":["firehose:Put*","firehose:DescribeDeliveryStream"],"Effect":"Allow","Resource":"arn:aws:firehose:*:*:deliverystream/clicks"}],"Version":"2012-10-17"}` {
		t.Errorf("YAML policy = %s", got)
	}
	if got := string(keys[2].Policy); got != `{"Statement":{"Effect":"Allow","Action":"firehose:List*","Resource":"*"}}` {
		t.Errorf("JSON-string policy = %s", got)
	}
	if keys[0].Policy != nil || keys[1].Name != "producer" {
		t.Errorf("keys = %+v", keys)
	}
	if exp := filepath.Join("testdata", "policies", "file.json"); keys[3].PolicyFile != exp {
		t.Errorf("policyFile = %q, want %q", keys[3].PolicyFile, exp)
	}
	if exp := (config.TLS{CertFile: filepath.Join("testdata", "tls", "cert.pem"), KeyFile: "/etc/wasmhose/key.pem"}); c.TLS != exp {
		t.Errorf("tls = %+v, want %+v", c.TLS, exp)
	}
	r := c.Public.Routes
	if len(r) != 2 || r[0].SchemaFile != filepath.Join("testdata", "clicks.schema.json") || r[0].RateLimit != (config.RateLimit{PerSecond: 20, Burst: 40}) ||
		r[0].CORS.AllowedOrigins[0] != "https://example.com" || r[0].CORS.MaxAgeSeconds != 600 || !r[0].Newline || r[0].MaxBodyBytes != 65536 {
		t.Errorf("routes[0] = %+v", r[0])
	}
	if got := string(r[1].Schema); got != `{"properties":{"email":{"format":"email","type":"string"}},"required":["email"],"type":"object"}` || r[1].Plugin != "add-timestamp" {
		t.Errorf("routes[1] = %+v, schema %s", r[1], got)
	}
}

func TestValidateSecurity(t *testing.T) {
	route := func(mut func(r *config.PublicRoute)) func(c *config.Config) {
		return func(c *config.Config) {
			r := config.PublicRoute{Path: "/v1/clicks", Stream: "clicks", Schema: config.Document(`{"type":"object"}`)}
			mut(&r)
			c.Public.Routes = append(c.Public.Routes, r)
		}
	}
	tests := []struct {
		name   string
		mut    func(c *config.Config)
		expErr string // "" is valid
	}{
		{"a valid route", route(func(r *config.PublicRoute) {}), ""},
		{"cert without key", func(c *config.Config) { c.TLS.CertFile = "c.pem" }, "tls: certFile and keyFile go together"},
		{"policy and policyFile", func(c *config.Config) {
			c.Auth.Keys = []config.AuthKey{{AccessKeyID: "a", SecretAccessKey: "s", Policy: config.Document(`{}`), PolicyFile: "p.json"}}
		}, "auth.keys[0]: give policy or policyFile, not both"},
		{"public listener is the API's", func(c *config.Config) { c.Public.Listen = c.Listen; route(func(*config.PublicRoute) {})(c) }, "public.listen"},
		{"public listener without routes", func(c *config.Config) { c.Public.Listen = "127.0.0.1:8080" }, "public.routes: a public listener needs"},
		{"trusted proxy not an address", func(c *config.Config) { c.Public.TrustedProxies = []string{"10.0.0.0/8", "proxy.example"} }, "public.trustedProxies: \"proxy.example\" is neither"},
		{"trusted proxy bad range", func(c *config.Config) { c.Public.TrustedProxies = []string{"10.0.0.0/33"} }, "public.trustedProxies: \"10.0.0.0/33\""},
		{"relative path", route(func(r *config.PublicRoute) { r.Path = "v1" }), "public.routes[0].path"},
		{"root path", route(func(r *config.PublicRoute) { r.Path = "/" }), "public.routes[0].path"},
		{"wildcard path", route(func(r *config.PublicRoute) { r.Path = "/v1/*" }), "public.routes[0].path"},
		{"the console's path on the shared listener", route(func(r *config.PublicRoute) { r.Path = "/console/x" }), "service's own routes"},
		{"the metrics path", route(func(r *config.PublicRoute) { r.Path = "/metrics" }), "service's own routes"},
		{"twice the same path", func(c *config.Config) {
			route(func(*config.PublicRoute) {})(c)
			route(func(*config.PublicRoute) {})(c)
		}, "public.routes[1].path: \"/v1/clicks\" appears twice"},
		{"bad stream", route(func(r *config.PublicRoute) { r.Stream = "a b" }), "public.routes[0].stream"},
		{"no schema", route(func(r *config.PublicRoute) { r.Schema = nil }), "give schema or schemaFile"},
		{"two schemas", route(func(r *config.PublicRoute) { r.SchemaFile = "s.json" }), "give schema or schemaFile"},
		{"body too large", route(func(r *config.PublicRoute) { r.MaxBodyBytes = 2 << 20 }), "maxBodyBytes"},
		{"negative rate", route(func(r *config.PublicRoute) { r.RateLimit.PerSecond = -1 }), "rateLimit"},
		{"origin with a path", route(func(r *config.PublicRoute) { r.CORS.AllowedOrigins = []string{"https://example.com/"} }), "allowedOrigins"},
		{"origin without scheme", route(func(r *config.PublicRoute) { r.CORS.AllowedOrigins = []string{"example.com"} }), "allowedOrigins"},
		{"upper-case origin", route(func(r *config.PublicRoute) { r.CORS.AllowedOrigins = []string{"https://Example.com"} }), "lower case"},
		{"star origin", route(func(r *config.PublicRoute) { r.CORS.AllowedOrigins = []string{"*", "http://127.0.0.1:8080"} }), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			tt.mut(&c)
			err := c.Validate()
			if tt.expErr == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.expErr) {
				t.Fatalf("Validate = %v, want %q", err, tt.expErr)
			}
		})
	}
}

func TestDocument(t *testing.T) {
	tests := []struct {
		name, yaml, exp, expErr string
	}{
		{"mapping", "d: {a: 1, b: [true, null, 2.5], c: 2012-10-17}", `{"a":1,"b":[true,null,2.5],"c":"2012-10-17"}`, ""},
		{"json string", `d: '{"a": [1]}'`, `{"a":[1]}`, ""},
		{"block scalar", "d: |\n  {\"a\": 1}\n", `{"a":1}`, ""},
		{"anchors", "x: &x [1]\nd: {a: *x}", `{"a":[1]}`, ""},
		{"absent", "x: 1", ``, ""},
		{"not JSON", `d: '{a'`, "", "must be a JSON object"},
		{"a list", `d: [1]`, "", "must be a YAML mapping"},
		{"a number", `d: 5`, "", "must be a YAML mapping"},
		{"non-string key", "d: {[1]: x}", "", "a key must be a string"},
		{"duplicate key", "d: {a: 1, \"a\": 2}", "", "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v struct {
				X any             `yaml:"x"`
				D config.Document `yaml:"d"`
			}
			err := yaml.Unmarshal([]byte(tt.yaml), &v)
			if tt.expErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.expErr) {
					t.Fatalf("Unmarshal = %v (%s), want %q", err, v.D, tt.expErr)
				}
				return
			}
			if err != nil || string(v.D) != tt.exp {
				t.Fatalf("Unmarshal = %s, %v; want %s", v.D, err, tt.exp)
			}
		})
	}
}
