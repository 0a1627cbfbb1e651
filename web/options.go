package web

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
	_ "time/tzdata" // --timezone names a zone; a minimal server may have no zoneinfo

	"github.com/robfig/cron/v3"

	"safedesk/bot"
	"safedesk/bot/llm"
	"safedesk/security"
	"safedesk/store"
	"safedesk/web/monitor"
)

// The command-line settings the web layer owns. Each group has defaults,
// Flags, which binds its flags to a FlagSet, and Validate, which checks the
// values, derives the parsed forms, and names the flag in each error, on
// one line. main registers every group on the serve flags and puts the
// results into Config.

// ParseBaseURL reads the site's public origin (--base-url): http or https,
// a host that is a domain name, since passkeys (WebAuthn) do not work on IP
// addresses, and no path or query.
func ParseBaseURL(base string) (*url.URL, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("--base-url %q: want an origin like https://help.example.com", base)
	}
	if net.ParseIP(u.Hostname()) != nil {
		return nil, fmt.Errorf("--base-url %q: use a domain name, not an IP address: passkeys (WebAuthn) do not work on IP addresses; on one machine use http://localhost:PORT", base)
	}
	u.Path = ""
	return u, nil
}

// SessionOptions are the session timeouts and the staff's concurrent-session
// policy; Config embeds them.
type SessionOptions struct {
	CustomerIdle     time.Duration
	CustomerLifetime time.Duration
	// Staff sessions: NIST 800-63B AAL3 figures by default (15 min idle,
	// 12 h absolute) and the concurrent-session policy.
	StaffIdle     time.Duration
	StaffLifetime time.Duration
	StaffSessions string // store.SessionsReplace or store.SessionsBlock
}

// DefaultSessionOptions are the defaults of SessionOptions, which New also
// applies to zero fields.
func DefaultSessionOptions() SessionOptions {
	return SessionOptions{CustomerIdle: 30 * time.Minute, CustomerLifetime: 24 * time.Hour,
		StaffIdle: 15 * time.Minute, StaffLifetime: 12 * time.Hour, StaffSessions: store.SessionsReplace}
}

// Flags adds the session flags.
func (o *SessionOptions) Flags(fs *flag.FlagSet) {
	fs.DurationVar(&o.CustomerIdle, "customer-idle-timeout", o.CustomerIdle, "customer session idle timeout")
	fs.DurationVar(&o.CustomerLifetime, "customer-max-lifetime", o.CustomerLifetime, "customer session absolute lifetime")
	fs.DurationVar(&o.StaffIdle, "staff-idle-timeout", o.StaffIdle, "staff session idle timeout (only the person's own actions count)")
	fs.DurationVar(&o.StaffLifetime, "staff-max-lifetime", o.StaffLifetime, "staff session absolute lifetime")
	fs.StringVar(&o.StaffSessions, "staff-sessions", o.StaffSessions, "concurrent staff sessions: replace (a new sign-in ends the others) or block (refused while another lives)")
}

// Validate checks that each idle timeout fits in its lifetime and that the
// policy is known.
func (o *SessionOptions) Validate() error {
	if o.CustomerIdle <= 0 || o.CustomerLifetime < o.CustomerIdle {
		return errors.New("--customer-idle-timeout must be positive and no longer than --customer-max-lifetime")
	}
	if o.StaffIdle <= 0 || o.StaffLifetime < o.StaffIdle {
		return errors.New("--staff-idle-timeout must be positive and no longer than --staff-max-lifetime")
	}
	if o.StaffSessions != store.SessionsReplace && o.StaffSessions != store.SessionsBlock {
		return fmt.Errorf("--staff-sessions %q: want replace or block", o.StaffSessions)
	}
	return nil
}

// SecurityOptions are the settings of client addresses, rate limits, abuse
// detection and audit checkpoints. Limits are written RATE/UNIT,BURST
// (security.ParseLimit); Validate parses them into Abuse and Proxies.
type SecurityOptions struct {
	TrustedProxies     string // comma-separated CIDRs or addresses
	ClientLimit        string
	SessionLimit       string
	EmailCodeLimit     string
	CodeClientLimit    string
	VerifyClientLimit  string
	VerifyAddressLimit string
	AbuseExempt        string        // comma-separated CIDRs, or "none"
	CheckpointEvery    time.Duration // 0 is hourly

	proxies []netip.Prefix
	abuse   AbuseConfig
}

// limitFlag is one limit flag: its name, help and default, where its text
// is and where the parsed value goes.
type limitFlag struct {
	name, help string
	def        security.LimitConfig
	val        *string
	dst        *security.LimitConfig
}

func (o *SecurityOptions) limitFlags() []limitFlag {
	a := &o.abuse
	return []limitFlag{
		{"client-limit", "requests per client address (an IPv6 /64) except /static/", security.ClientLimit, &o.ClientLimit, &a.ClientLimit},
		{"session-limit", "requests per signed-in session except /static/", security.SessionLimit, &o.SessionLimit, &a.SessionLimit},
		{"email-code-limit", "one-time codes sent to one email address", security.EmailCodeLimit, &o.EmailCodeLimit, &a.EmailCodeLimit},
		{"code-client-limit", "one-time codes sent at one client's request", security.CodeClientLimit, &o.CodeClientLimit, &a.CodeClientLimit},
		{"verify-client-limit", "one-time codes checked by one client", VerifyClientLimit, &o.VerifyClientLimit, &a.VerifyClientLimit},
		{"verify-address-limit", "one-time codes checked for one email address", VerifyAddressLimit, &o.VerifyAddressLimit, &a.VerifyAddressLimit},
	}
}

// DefaultSecurityOptions are the built-in limits, loopback exempt and an
// hourly checkpoint.
func DefaultSecurityOptions() SecurityOptions {
	o := SecurityOptions{AbuseExempt: "127.0.0.0/8,::1/128", CheckpointEvery: time.Hour}
	for _, l := range o.limitFlags() {
		*l.val = l.def.String()
	}
	return o
}

// Flags adds the flags of client addresses, limits, abuse detection and
// checkpoints.
func (o *SecurityOptions) Flags(fs *flag.FlagSet) {
	fs.StringVar(&o.TrustedProxies, "trusted-proxies", o.TrustedProxies, "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed")
	for _, l := range o.limitFlags() {
		fs.StringVar(l.val, l.name, *l.val, l.help+": RATE/UNIT,BURST")
	}
	fs.StringVar(&o.AbuseExempt, "abuse-exempt", o.AbuseExempt, `comma-separated CIDRs never rate limited or blocked (but counted); "none" for none`)
	fs.DurationVar(&o.CheckpointEvery, "audit-checkpoint-every", o.CheckpointEvery, "how often to sign a checkpoint of the audit log (also at every backup and at shutdown)")
}

// Validate parses the proxies, the limits and the exempt networks.
func (o *SecurityOptions) Validate() error {
	var err error
	if o.proxies, err = parsePrefixes("--trusted-proxies", o.TrustedProxies); err != nil {
		return err
	}
	for _, l := range o.limitFlags() {
		lc, err := security.ParseLimit(*l.val)
		if err != nil {
			return fmt.Errorf("--%s %q: %s", l.name, *l.val, strings.TrimPrefix(err.Error(), "security: "))
		}
		*l.dst = lc
	}
	o.abuse.Exempt = []netip.Prefix{}
	if strings.TrimSpace(o.AbuseExempt) != "none" {
		exempt, err := parsePrefixes("--abuse-exempt", o.AbuseExempt)
		if err != nil {
			return err
		}
		o.abuse.Exempt = append(o.abuse.Exempt, exempt...)
	}
	if o.CheckpointEvery != 0 && o.CheckpointEvery < time.Minute {
		return errors.New("--audit-checkpoint-every must be at least 1m")
	}
	return nil
}

// Proxies are the parsed trusted proxies, for Config.TrustedProxies.
func (o SecurityOptions) Proxies() []netip.Prefix { return o.proxies }

// Abuse is the parsed limits and exempt networks, for Config.Abuse.
func (o SecurityOptions) Abuse() AbuseConfig { return o.abuse }

// parsePrefixes reads a comma-separated list of CIDRs or addresses.
func parsePrefixes(flagName, s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, fmt.Errorf("%s %q: not a CIDR or address", flagName, f)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// DefaultPrivacyConfig keeps resolved tickets two years and security
// events 90 days, applied daily at 03:30 UTC.
func DefaultPrivacyConfig() PrivacyConfig {
	return PrivacyConfig{Schedule: "30 3 * * *",
		Retention: store.Retention{ResolvedTickets: 730 * 24 * time.Hour, SecurityEvents: 90 * 24 * time.Hour}}
}

// Flags adds the retention and notification flags.
func (c *PrivacyConfig) Flags(fs *flag.FlagSet) {
	fs.Var((*store.Period)(&c.Retention.ResolvedTickets), "retain-tickets", "delete solved and closed tickets this long after their last change, and customers with nothing left this long after they last confirmed their email (like 730d, 26w, 8760h; off keeps them)")
	fs.Var((*store.Period)(&c.Retention.SecurityEvents), "retain-security-events", "delete security events and ended staff sessions (network addresses) after this long (like 90d; off keeps them)")
	fs.StringVar(&c.Schedule, "retention-schedule", c.Schedule, "when to apply retention, a cron spec in UTC; expired sessions and codes go then too")
	fs.BoolVar(&c.NotifyText, "notify-text", c.NotifyText, "put a staff reply's text into the email that announces it (off: emails only say there is a reply and link to the portal)")
}

// Validate checks the schedule and that what is kept is kept a day at
// least.
func (c *PrivacyConfig) Validate() error {
	if _, err := cron.ParseStandard(c.Schedule); err != nil {
		return fmt.Errorf("--retention-schedule %q: %v", c.Schedule, err)
	}
	if d := c.Retention.ResolvedTickets; d != 0 && d < 24*time.Hour {
		return errors.New("--retain-tickets: keep tickets at least a day (or off)")
	}
	if d := c.Retention.SecurityEvents; d != 0 && d < 24*time.Hour {
		return errors.New("--retain-security-events: keep security events at least a day (or off)")
	}
	return nil
}

// ChatOptions are the chat's settings: hand-off timing, business hours, the
// assistant's vocabulary and how long transcripts are kept; Config embeds
// them.
type ChatOptions struct {
	// ChatHandoffTimeout is how long a hand-off waits for an agent before
	// it becomes a ticket (3 minutes when zero).
	ChatHandoffTimeout time.Duration
	// ChatHours is when staff answer chats and the clock of ticket due
	// times (nil or none configured: always), parsed from --business-hours.
	ChatHours *bot.Hours
	// ChatRules is the assistant's vocabulary (nil: built in), read from
	// --chat-rules.
	ChatRules *bot.Rules
	// ChatRetention is how long transcripts are kept after their last
	// message, as the pages state it (monitor.DefaultChatRetention when
	// zero; the monitor, which deletes them, takes the same figure).
	ChatRetention time.Duration
	// ChatModel is the optional language model that phrases the
	// assistant's answers (bot/llm); off unless --llm-endpoint is set.
	ChatModel llm.Options
	// Zone is the business's time zone (--timezone, an IANA name; UTC by
	// default): every time the portal, the chat, customer mail and the
	// admin panel show is in it, and so are business hours that name no
	// zone of their own.
	Zone *time.Location

	businessHours, rulesFile, timezone string
}

// DefaultChatOptions are the defaults of ChatOptions.
func DefaultChatOptions() ChatOptions {
	return ChatOptions{ChatHandoffTimeout: 3 * time.Minute, ChatRetention: monitor.DefaultChatRetention, timezone: "UTC"}
}

// Flags adds the chat flags.
func (o *ChatOptions) Flags(fs *flag.FlagSet) {
	fs.DurationVar(&o.ChatHandoffTimeout, "chat-handoff-timeout", o.ChatHandoffTimeout, "how long a chat handed to a person waits for an agent before it becomes a ticket")
	fs.StringVar(&o.businessHours, "business-hours", o.businessHours, `when agents answer chats, like "Mon-Fri 09:00-17:00 Europe/Berlin" or "Mon-Thu 09:00-17:00, Fri 09:00-15:00 Europe/Amsterdam"; outside them a hand-off becomes a ticket at once, and ticket due times count only these hours (empty: none configured; whether a person is offered then depends only on who is available)`)
	fs.StringVar(&o.rulesFile, "chat-rules", o.rulesFile, "JSON file that extends the assistant's intent keywords, synonyms, concepts (words in five languages) and stopwords (see bot/doc.go)")
	fs.Var((*store.Period)(&o.ChatRetention), "chat-retention", "delete chat transcripts this long after their last message (like 90d)")
	o.ChatModel.Flags(fs)
	fs.StringVar(&o.timezone, "timezone", o.timezone, "the business's time zone, an IANA name like Europe/Berlin: times on the portal, in the chat, in customer mail and in the admin panel are shown in it, and business hours that name no zone count in it")
}

// Validate checks the timeout and the retention, reads the business hours
// and the rules file, and checks the language model's settings.
func (o *ChatOptions) Validate() error {
	if o.ChatHandoffTimeout < 10*time.Second || o.ChatHandoffTimeout > 24*time.Hour {
		return errors.New("--chat-handoff-timeout must be between 10s and 24h")
	}
	zone, err := time.LoadLocation(o.timezone)
	if err != nil || o.timezone == "" || o.timezone == "Local" {
		return fmt.Errorf("--timezone %q: not a time zone; want an IANA name like Europe/Berlin or UTC", o.timezone)
	}
	o.Zone = zone
	h, err := bot.ParseHoursIn(o.businessHours, zone)
	if err != nil {
		return fmt.Errorf("--business-hours: %v", err)
	}
	o.ChatHours = h
	if o.ChatRules, err = bot.LoadRules(o.rulesFile); err != nil {
		return fmt.Errorf("--chat-rules: %v", err)
	}
	if o.ChatRetention < 24*time.Hour {
		return errors.New("--chat-retention must be at least a day")
	}
	return o.ChatModel.Validate()
}
