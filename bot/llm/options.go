package llm

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"safedesk/security"
)

// Defaults of Options.
const (
	// DefaultTimeout bounds one request to the model, answer included: a
	// visitor waits for it, and past it the assistant quotes the section.
	DefaultTimeout = 8 * time.Second
	// DefaultMaxBytes caps the response body read from the model.
	DefaultMaxBytes = 64 << 10
)

// Options are the settings of the optional language model, from the flags
// of `safedesk serve`. The zero value is off.
type Options struct {
	// Endpoint is the base URL of an OpenAI-compatible API, such as
	// http://127.0.0.1:11434/v1 (Ollama); "" leaves the model off.
	Endpoint string
	// Model names the model the endpoint should use.
	Model string
	// APIKeyFile holds the endpoint's API key, if it needs one; the file
	// must be private to this user.
	APIKeyFile string
	// Timeout bounds one request (DefaultTimeout when zero).
	Timeout time.Duration
	// MaxBytes caps the response read (DefaultMaxBytes when zero).
	MaxBytes int64

	url *url.URL // Endpoint, parsed by Validate
	key string   // the API key, read by Validate
}

// Flags adds the model's flags.
func (o *Options) Flags(fs *flag.FlagSet) {
	fs.StringVar(&o.Endpoint, "llm-endpoint", o.Endpoint, "base URL of an OpenAI-compatible chat API that phrases the assistant's answers from help articles, such as http://127.0.0.1:11434/v1 (Ollama); it receives public article sections and the question with personal data removed (empty: off)")
	fs.StringVar(&o.Model, "llm-model", o.Model, "the model the --llm-endpoint should use, such as llama3.2")
	fs.StringVar(&o.APIKeyFile, "llm-api-key-file", o.APIKeyFile, "file holding the --llm-endpoint's API key, readable by this user only (a local server needs none)")
	fs.DurationVar(&o.Timeout, "llm-timeout", o.Timeout, "how long the assistant waits for the model before it quotes the article instead (default 8s)")
	fs.Int64Var(&o.MaxBytes, "llm-max-bytes", o.MaxBytes, "largest model response read, in bytes (default 65536)")
}

// Enabled reports whether a model is configured.
func (o Options) Enabled() bool { return o.Endpoint != "" }

// Host is the endpoint's host name, which the privacy page and the chat's
// consent notice name; "" when the model is off.
func (o Options) Host() string {
	if u, err := url.Parse(o.Endpoint); err == nil && o.Enabled() {
		return u.Hostname()
	}
	return ""
}

// Validate checks the settings and reads the API key file. Its errors name
// the flag, on one line.
func (o *Options) Validate() error {
	if !o.Enabled() {
		if o.Model != "" || o.APIKeyFile != "" {
			return errors.New("--llm-model and --llm-api-key-file need --llm-endpoint")
		}
		return nil
	}
	u, err := parseEndpoint(o.Endpoint)
	if err != nil {
		return err
	}
	o.url = u
	if strings.TrimSpace(o.Model) == "" {
		return errors.New("--llm-endpoint needs --llm-model")
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Timeout < 500*time.Millisecond || o.Timeout > time.Minute {
		return errors.New("--llm-timeout must be between 500ms and 1m")
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxBytes < 1<<10 || o.MaxBytes > 4<<20 {
		return errors.New("--llm-max-bytes must be between 1024 and 4194304")
	}
	if o.APIKeyFile != "" {
		if o.key, err = readKey(o.APIKeyFile); err != nil {
			return err
		}
	}
	return nil
}

// parseEndpoint checks an endpoint URL: http or https, a host, no user
// name, query or fragment. Plain http is allowed only to this machine or a
// private address, where nothing crosses the internet unencrypted.
func parseEndpoint(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("--llm-endpoint %q is not a valid URL", raw)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("--llm-endpoint %q must start with http:// or https://", raw)
	case u.Hostname() == "":
		return nil, fmt.Errorf("--llm-endpoint %q must name a host", raw)
	case u.User != nil:
		return nil, errors.New("--llm-endpoint must not hold a user name or key: use --llm-api-key-file")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("--llm-endpoint %q must not have a query or fragment", raw)
	case u.Scheme == "http" && !local(u.Hostname()):
		return nil, fmt.Errorf("--llm-endpoint %q: use https:// for a host that is not on this machine or a private network", raw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// local reports whether host is this machine or a private address.
func local(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && (a.IsLoopback() || a.IsPrivate())
}

// readKey reads the API key from a private file; a trailing newline is not
// part of the key.
func readKey(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("--llm-api-key-file: %w", err)
	}
	if perm := fi.Mode().Perm(); !security.PrivateFile(path, perm) {
		return "", fmt.Errorf("--llm-api-key-file %s has mode %04o: others may read the key; run: chmod 600 %s", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--llm-api-key-file: %w", err)
	}
	key := strings.TrimRight(string(b), "\r\n")
	if key == "" || strings.ContainsAny(key, "\r\n") {
		return "", fmt.Errorf("--llm-api-key-file %s must hold the key on one line", path)
	}
	return key, nil
}

// hostPort is the endpoint's host and port, the one address the client
// may dial.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return net.JoinHostPort(u.Hostname(), port)
}
