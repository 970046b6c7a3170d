package config

import (
	"errors"
	"fmt"
	"time"
)

// Catalog sources.
const (
	// CatalogLocal reads table schemas from the service's own Glue-compatible
	// registry under the data dir (the default).
	CatalogLocal = "local"
	// CatalogGlue reads them from AWS Glue (or any Glue API endpoint).
	CatalogGlue = "glue"
)

// Catalog selects where record format conversion reads table schemas.
// The local registry is always served on the API listener (AWSGlue.*
// targets); with source glue the pipeline reads another catalog instead.
type Catalog struct {
	// Source is "local" (default) or "glue".
	Source string `yaml:"source"`
	// Endpoint overrides the Glue endpoint (empty: AWS's, by region).
	Endpoint string `yaml:"endpoint"`
	// Region is the Glue client's region (default: the service's region).
	Region string `yaml:"region"`
	// AccessKeyID and SecretAccessKey sign Glue requests; empty uses the
	// AWS SDK's default credential chain (environment, profile, role).
	AccessKeyID string `yaml:"accessKeyId"`
	// SecretAccessKey goes with AccessKeyID.
	SecretAccessKey string `yaml:"secretAccessKey"`
	// CacheTTL is how long a resolved table is reused (default 30s), so a
	// LATEST table follows a new version within that time.
	CacheTTL time.Duration `yaml:"cacheTTL"`
}

func (c *Catalog) validate() []error {
	var errs []error
	switch c.Source {
	case "", CatalogLocal, CatalogGlue:
	default:
		errs = append(errs, fmt.Errorf("catalog.source: %q must be local or glue", c.Source))
	}
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		errs = append(errs, errors.New("catalog: accessKeyId and secretAccessKey go together"))
	}
	if c.CacheTTL < 0 {
		errs = append(errs, fmt.Errorf("catalog.cacheTTL: %s must not be negative", c.CacheTTL))
	}
	return errs
}
