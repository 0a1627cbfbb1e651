package web

import (
	"context"
	"fmt"
	"time"

	"safedesk/bot/llm"
)

// modelCheckLimit bounds doctor's question to the language model.
const modelCheckLimit = 30 * time.Second

// model: the optional language model answers one made-up question within
// its timeout, in the JSON the envelope checks. It never sends anything
// from the database.
func (d *doctor) model(ctx context.Context) DoctorCheck {
	const name = "llm"
	o := d.in.LLM
	if !o.Enabled() {
		return pass(name, "no language model: the assistant quotes the help articles itself")
	}
	c, err := llm.New(o, d.in.BaseURL)
	if err != nil {
		return fail(name, err.Error(), "check --llm-endpoint and --llm-model")
	}
	ctx, cancel := context.WithTimeout(ctx, modelCheckLimit)
	defer cancel()
	st, err := c.SelfTest(ctx)
	where := fmt.Sprintf("%s (model %s)", o.Host(), o.Model)
	took := st.Took.Round(time.Millisecond)
	if err != nil {
		return fail(name, fmt.Sprintf("%s: a test question fell back (%s) after %s: %v", where, llm.ReasonOf(err), took, err),
			modelFix(llm.ReasonOf(err)))
	}
	detail := fmt.Sprintf("%s answered a test question in %s, in the JSON asked for", where, took)
	if st.Plain {
		detail += " (the endpoint refuses response_format: JSON is asked for in the instructions only)"
	}
	if timeout := o.Timeout; timeout > 0 && st.Took > timeout*3/4 {
		return warn(name, detail+fmt.Sprintf("; that is close to --llm-timeout %s, so busy moments will fall back to quoting", timeout),
			"raise --llm-timeout or use a smaller or closer model")
	}
	return pass(name, detail)
}

// modelFix is what to do about a self-test that fell back for reason r.
func modelFix(r llm.Reason) string {
	switch r {
	case llm.ReasonTimeout:
		return "raise --llm-timeout, or use a smaller model or one on this machine"
	case llm.ReasonUnreachable:
		return "check that the model server runs and listens at --llm-endpoint"
	case llm.ReasonStatus:
		return "check --llm-model names a model the endpoint serves, and --llm-api-key-file"
	case llm.ReasonTooLarge:
		return "raise --llm-max-bytes"
	}
	return "use a model that follows instructions and writes JSON (an instruction-tuned model)"
}
