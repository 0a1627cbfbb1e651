package main

import (
	"flag"
	"fmt"
	"time"

	"safedesk/bot"
	"safedesk/web"
)

// chatConfig is the chat's settings: hand-off timing, business hours, the
// assistant's extra vocabulary and how long transcripts are kept.
type chatConfig struct {
	HandoffTimeout time.Duration
	BusinessHours  string
	RulesFile      string
	Retention      period

	hours *bot.Hours
	rules *bot.Rules
}

func defaultChat() chatConfig {
	return chatConfig{HandoffTimeout: 3 * time.Minute, Retention: period(90 * 24 * time.Hour)}
}

func (c *chatConfig) flags(fs *flag.FlagSet) {
	fs.DurationVar(&c.HandoffTimeout, "chat-handoff-timeout", c.HandoffTimeout, "how long a chat handed to a person waits for an agent before it becomes a ticket")
	fs.StringVar(&c.BusinessHours, "business-hours", c.BusinessHours, `when agents answer chats, like "Mon-Fri 09:00-17:00 Europe/Berlin" or "Mon-Thu 09:00-17:00, Fri 09:00-15:00 Europe/Amsterdam"; outside them a hand-off becomes a ticket at once (empty: always)`)
	fs.StringVar(&c.RulesFile, "chat-rules", c.RulesFile, "JSON file that extends the assistant's intent keywords, synonyms and stopwords (see bot/doc.go)")
	fs.Var(&c.Retention, "chat-retention", "delete chat transcripts this long after their last message (like 90d)")
}

func (c *chatConfig) validate() error {
	if c.HandoffTimeout < 10*time.Second || c.HandoffTimeout > 24*time.Hour {
		return usageError{"--chat-handoff-timeout must be between 10s and 24h"}
	}
	h, err := bot.ParseHours(c.BusinessHours)
	if err != nil {
		return usageError{fmt.Sprintf("--business-hours: %v", err)}
	}
	c.hours = h
	if c.rules, err = bot.LoadRules(c.RulesFile); err != nil {
		return usageError{fmt.Sprintf("--chat-rules: %v", err)}
	}
	if r := time.Duration(c.Retention); r < 24*time.Hour {
		return usageError{"--chat-retention must be at least a day"}
	}
	return nil
}

// webConfig copies the chat settings into the web configuration.
func (c *chatConfig) webConfig(w *web.Config) {
	w.ChatHandoffTimeout = c.HandoffTimeout
	w.ChatHours = c.hours
	w.ChatRules = c.rules
	w.ChatRetention = time.Duration(c.Retention)
}
