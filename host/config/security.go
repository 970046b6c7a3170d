package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// TLS serves every listener (the API and console, and the public endpoint
// when it has its own) over HTTPS. The files are read at start and again
// on SIGHUP; a reload that fails keeps the certificate in use.
type TLS struct {
	// CertFile is the PEM certificate chain, leaf first.
	CertFile string `yaml:"certFile"`
	// KeyFile is the PEM private key of the leaf certificate.
	KeyFile string `yaml:"keyFile"`
}

// Enabled reports whether TLS is configured.
func (t TLS) Enabled() bool { return t.CertFile != "" }

// Public is the opt-in public endpoint: unsigned POST routes, one per
// stream, for web pages (the API Gateway proxy of Firehose's click-event
// architecture). It serves no management operation.
type Public struct {
	// Listen is the public listener's address; empty serves the routes on
	// the API's listener.
	Listen string `yaml:"listen"`
	// Routes are the public routes.
	Routes []PublicRoute `yaml:"routes"`
	// TrustedProxies are the addresses (CIDR ranges or single IPs) of the
	// reverse proxies in front of the public endpoint. A request from one
	// of them is attributed, for the rate limits, to the client its
	// X-Forwarded-For header names: the rightmost address that is not a
	// trusted proxy. Empty: every request is its TCP peer's, and the header
	// is ignored (a client could write anything in it).
	TrustedProxies []string `yaml:"trustedProxies"`
}

// TrustedProxyNets parses TrustedProxies (validated by Validate).
func (p Public) TrustedProxyNets() ([]*net.IPNet, error) {
	out := make([]*net.IPNet, 0, len(p.TrustedProxies))
	for _, s := range p.TrustedProxies {
		if !strings.Contains(s, "/") {
			ip := net.ParseIP(s)
			if ip == nil {
				return nil, fmt.Errorf("%q is neither a CIDR range nor an IP address", s)
			}
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR range nor an IP address", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// PublicRoute is one public POST route into a delivery stream.
type PublicRoute struct {
	// Path is the route, such as /v1/clicks.
	Path string `yaml:"path"`
	// Stream is the delivery stream the records go to.
	Stream string `yaml:"stream"`
	// SchemaFile is a JSON Schema file the body must satisfy (relative
	// paths are relative to the configuration file).
	SchemaFile string `yaml:"schemaFile"`
	// Schema is the JSON Schema inline (YAML, or a string holding JSON);
	// give Schema or SchemaFile.
	Schema Document `yaml:"schema"`
	// Template makes the record from the body: a Go text/template over
	// the decoded JSON, with a json function ('{{json .}}'). Empty sends
	// the body as compact JSON.
	Template string `yaml:"template"`
	// Plugin names an installed transform plugin (Lambda function name or
	// ARN) that turns the body, after the template, into the record: one
	// record in, one out.
	Plugin string `yaml:"plugin"`
	// Newline appends "\n" to each record.
	Newline bool `yaml:"newline"`
	// MaxBodyBytes bounds a request body (0: 65536; at most 1024000).
	MaxBodyBytes int64 `yaml:"maxBodyBytes"`
	// RateLimit bounds requests per client IP address.
	RateLimit RateLimit `yaml:"rateLimit"`
	// CORS lists the web origins whose pages may post to the route.
	CORS CORS `yaml:"cors"`
}

// RateLimit is a token bucket per client.
type RateLimit struct {
	// PerSecond is the sustained rate (0: 20).
	PerSecond float64 `yaml:"perSecond"`
	// Burst is the bucket size (0: twice PerSecond, at least 1).
	Burst int `yaml:"burst"`
}

// CORS configures cross-origin requests from browsers.
type CORS struct {
	// AllowedOrigins are origins such as https://example.com, or "*".
	AllowedOrigins []string `yaml:"allowedOrigins"`
	// MaxAgeSeconds is how long a browser may cache a preflight answer (0: 600).
	MaxAgeSeconds int `yaml:"maxAgeSeconds"`
}

// Document is a JSON document written inline in the YAML file, either as
// YAML (a mapping) or as a string holding JSON. It holds the JSON text;
// empty means absent.
type Document []byte

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Document) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		b := bytes.TrimSpace([]byte(n.Value))
		if !json.Valid(b) || len(b) == 0 || b[0] != '{' {
			return fmt.Errorf("line %d: a JSON document in a string must be a JSON object", n.Line)
		}
		var out bytes.Buffer
		if err := json.Compact(&out, b); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		*d = out.Bytes()
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		*d = nil
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a document must be a YAML mapping or a string holding a JSON object", n.Line)
	}
	v, err := yamlToJSON(n, 0)
	if err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = b
	return nil
}

// MarshalJSON implements json.Marshaler: the document itself, or null.
func (d Document) MarshalJSON() ([]byte, error) {
	if len(d) == 0 {
		return []byte("null"), nil
	}
	return []byte(d), nil
}

// yamlToJSON converts a YAML node to a value encoding/json writes as the
// same document. Scalars keep their YAML types, except that anything that
// is not a number, a boolean or null (a date such as 2012-10-17, the
// Version of an IAM policy) stays the string it was written as.
func yamlToJSON(n *yaml.Node, depth int) (any, error) {
	if depth > 64 {
		return nil, fmt.Errorf("line %d: the document nests too deeply", n.Line)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return yamlToJSON(n.Content[0], depth+1)
	case yaml.AliasNode:
		return yamlToJSON(n.Alias, depth+1)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a key must be a string", k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: key %q appears twice", k.Line, k.Value)
			}
			v, err := yamlToJSON(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := yamlToJSON(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	default:
		switch n.Tag {
		case "!!int", "!!float", "!!bool", "!!null":
			var v any
			if err := n.Decode(&v); err != nil {
				return nil, fmt.Errorf("line %d: %w", n.Line, err)
			}
			return v, nil
		}
		return n.Value, nil
	}
}

// resolvePaths makes the relative file names of the configuration relative
// to dir, the configuration file's folder.
func (c *Config) resolvePaths(dir string) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	abs(&c.TLS.CertFile)
	abs(&c.TLS.KeyFile)
	abs(&c.Plugins.CompilationCacheDir)
	for i := range c.Auth.Keys {
		abs(&c.Auth.Keys[i].PolicyFile)
	}
	for i := range c.Public.Routes {
		abs(&c.Public.Routes[i].SchemaFile)
	}
}

func (c *Config) validateSecurity() []error {
	var errs []error
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		errs = append(errs, errors.New("tls: certFile and keyFile go together"))
	}
	for i, k := range c.Auth.Keys {
		if len(k.Policy) > 0 && k.PolicyFile != "" {
			errs = append(errs, fmt.Errorf("auth.keys[%d]: give policy or policyFile, not both", i))
		}
	}
	p := c.Public
	if p.Listen != "" && p.Listen == c.Listen {
		errs = append(errs, fmt.Errorf("public.listen: %q is the API's listener; leave it empty to share that listener", p.Listen))
	}
	if p.Listen != "" && len(p.Routes) == 0 {
		errs = append(errs, errors.New("public.routes: a public listener needs at least one route"))
	}
	if _, err := p.TrustedProxyNets(); err != nil {
		errs = append(errs, fmt.Errorf("public.trustedProxies: %w", err))
	}
	seen := map[string]bool{}
	for i, r := range p.Routes {
		at := fmt.Sprintf("public.routes[%d]", i)
		switch {
		case !strings.HasPrefix(r.Path, "/") || r.Path == "/" || strings.ContainsAny(r.Path, "?#*:{} ") || strings.Contains(r.Path, "/.."):
			errs = append(errs, fmt.Errorf("%s.path: %q must be an absolute path other than /, without ?, #, *, :, braces, spaces or ..", at, r.Path))
		case seen[r.Path]:
			errs = append(errs, fmt.Errorf("%s.path: %q appears twice", at, r.Path))
		case p.Listen == "":
			// The service's own routes, which a route on the API's listener must not shadow.
			for _, res := range [...]string{"/healthz", "/readyz", "/metrics", "/console"} {
				if r.Path == res || strings.HasPrefix(r.Path, res+"/") {
					errs = append(errs, fmt.Errorf("%s.path: %q is one of the service's own routes; choose another path or give public.listen", at, r.Path))
				}
			}
		}
		seen[r.Path] = true
		if r.Stream == "" || len(r.Stream) > 64 || strings.Trim(r.Stream, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != "" {
			errs = append(errs, fmt.Errorf("%s.stream: %q must be a delivery stream name", at, r.Stream))
		}
		if (r.SchemaFile == "") == (len(r.Schema) == 0) {
			errs = append(errs, fmt.Errorf("%s: give schema or schemaFile (exactly one): every public body is validated", at))
		}
		if r.MaxBodyBytes < 0 || r.MaxBodyBytes > 1_024_000 {
			errs = append(errs, fmt.Errorf("%s.maxBodyBytes: %d must be 0 (default 65536) to 1024000", at, r.MaxBodyBytes))
		}
		if r.RateLimit.PerSecond < 0 || r.RateLimit.Burst < 0 {
			errs = append(errs, fmt.Errorf("%s.rateLimit: perSecond and burst must not be negative", at))
		}
		if r.CORS.MaxAgeSeconds < 0 || r.CORS.MaxAgeSeconds > 86400 {
			errs = append(errs, fmt.Errorf("%s.cors.maxAgeSeconds: %d must be 0 (default 600) to 86400", at, r.CORS.MaxAgeSeconds))
		}
		for _, o := range r.CORS.AllowedOrigins {
			if err := checkOrigin(o); err != nil {
				errs = append(errs, fmt.Errorf("%s.cors.allowedOrigins: %q: %w", at, o, err))
			}
		}
	}
	return errs
}

// checkOrigin accepts "*" or a web origin: scheme://host[:port].
func checkOrigin(o string) error {
	if o == "*" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New(`must be "*" or scheme://host[:port], as a browser sends in Origin`)
	}
	if strings.ToLower(o) != o {
		return errors.New("must be lower case, as browsers send it")
	}
	return nil
}
