package api

import (
	"errors"
	"flag"
	"strings"

	"safedesk/security"
)

// DefaultConfig is the API's command-line defaults: security.TokenLimit's
// rate and burst.
func DefaultConfig() Config {
	return Config{Rate: security.TokenLimit.Rate, Burst: security.TokenLimit.Burst}
}

// Flags adds the API's flags: its rate limit and the webhook hosts exempt
// from the SSRF checks.
func (c *Config) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.allowHosts, "webhook-allow-hosts", c.allowHosts, "comma-separated webhook hosts (host or host:port) exempt from the private-address (SSRF) checks")
	fs.Float64Var(&c.Rate, "api-rate", c.Rate, "API requests per second per token (sustained)")
	fs.IntVar(&c.Burst, "api-burst", c.Burst, "API requests per token at once")
}

// Validate checks the rate limit and splits the allowed hosts into
// AllowHosts; its errors name the flag.
func (c *Config) Validate() error {
	if !(c.Rate > 0) || c.Rate > 1e6 {
		return errors.New("--api-rate must be a positive number of requests per second")
	}
	if c.Burst < 1 || c.Burst > 1e6 {
		return errors.New("--api-burst must be at least 1")
	}
	c.AllowHosts = nil
	for h := range strings.SplitSeq(c.allowHosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			c.AllowHosts = append(c.AllowHosts, h)
		}
	}
	return nil
}
