package bot

import (
	"context"

	"safedesk/bot/llm"
)

// maxModelSections is how many sections the model is given: the best, and
// those ranked close to it.
const maxModelSections = 3

// modelRatio is how close to the best section's rank another must come to
// be given to the model.
const modelRatio = 0.6

// phrase asks the language model to answer from the sections retrieval
// found. Only published knowledge-base sections and the question go to it
// (llm removes personal data from the question and the visitor's Known
// values); the answer replaces the bot's sentence only if the model cited
// sections it was given. On any failure the quote stays, and r.Model names
// why.
func (b *Bot) phrase(ctx context.Context, in Input, m match, r *Reply) error {
	srcs, err := b.ret.modelSections(ctx, m)
	if err != nil {
		return err
	}
	req := llm.Request{Question: r.Message, Known: in.Known, Lang: r.Lang}
	byID := map[string]Source{}
	for _, s := range srcs {
		id := s.ID()
		byID[id] = s
		req.Sections = append(req.Sections, llm.Section{ID: id, Title: s.Title, Heading: s.Section, Text: s.Quote})
	}
	a, err := b.opts.Model.Answer(ctx, req)
	if err != nil {
		r.Model = string(llm.ReasonOf(err))
		return nil
	}
	r.Model, r.Text, r.Also = llm.Used, a.Text, nil
	for _, id := range a.Sources {
		s := byID[id]
		s.Quote = ""
		r.Cited = append(r.Cited, s)
	}
	return nil
}

// ID is how the model cites the section: its slug and anchor.
func (s Source) ID() string {
	if s.Anchor == "" {
		return s.Slug
	}
	return s.Slug + "#" + s.Anchor
}

// modelSections are the sections the model may answer from: the best one
// (with its quote), then up to maxModelSections-1 more that reached the
// threshold and rank close to it.
func (r *retriever) modelSections(ctx context.Context, m match) ([]Source, error) {
	out := []Source{m.source}
	hits := m.rk.hits
	for i := 1; i < len(hits) && len(out) < maxModelSections; i++ {
		h := hits[i]
		if h.conf < r.threshold || h.rank < modelRatio*hits[0].rank {
			break
		}
		s, err := r.source(ctx, m.rk, h)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
