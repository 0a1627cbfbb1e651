package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"safedesk/bot"
	"safedesk/store"
	"safedesk/templates"
)

// Example questions: the article editor lists each section with its
// example questions, to add and remove, and the chat insight page's "this
// is answered by…" adds a customer's question to a section in one click.

// exampleSections is art's sections, the top first, each with its example
// questions. An example whose section has gone (the store moves them to
// the top when an edit removes a heading) shows at the top.
func (s *Server) exampleSections(ctx context.Context, art store.Article) ([]templates.KBExampleSection, error) {
	exs, err := s.db.SectionExamples(ctx, art.ID)
	if err != nil {
		return nil, err
	}
	out := []templates.KBExampleSection{{}}
	at := map[string]int{"": 0}
	for _, sec := range store.Sections(art.Body) {
		if sec.Anchor != "" {
			at[sec.Anchor] = len(out)
			out = append(out, templates.KBExampleSection{Anchor: sec.Anchor, Heading: sec.Heading})
		}
	}
	for _, ex := range exs {
		i := at[ex.Anchor] // 0, the top, for an anchor the body lacks
		out[i].Examples = append(out[i].Examples, ex)
	}
	return out, nil
}

// adminKBExampleAddPost adds an example question to a section of the
// article; a refused one is shown again under its section with the reason.
func (s *Server) adminKBExampleAddPost(w http.ResponseWriter, r *http.Request) {
	art, err := withForm(r, func(r *http.Request) (store.Article, error) {
		return s.db.GetArticle(r.Context(), r.PathValue("slug"), true)
	})
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	anchor, question := r.PostForm.Get("anchor"), r.PostForm.Get("question")
	_, err = s.db.AddSectionExample(r.Context(), art.ID, anchor, question, s.staffActor(r))
	if msg := validationMessage(err); msg != "" {
		p, err := s.kbEditProps(r, art, false)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		p.ExampleForm = templates.ExampleForm{Anchor: anchor, Question: question, Error: msg}
		s.render(w, r, http.StatusUnprocessableEntity, templates.AdminKBEdit(p))
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.flash(r, "Example question added.")
	http.Redirect(w, r, "/admin/kb/"+art.Slug+"/edit#examples", http.StatusSeeOther)
}

// validationMessage is the first message of a store.ValidationError (by
// field name), or "" for any other error.
func validationMessage(err error) string {
	var verr *store.ValidationError
	if !errors.As(err, &verr) {
		return ""
	}
	for _, f := range []string{"question", "anchor"} {
		if m := verr.Fields[f]; m != "" {
			return m
		}
	}
	return "Check the example question."
}

// adminKBExampleDeletePost removes one of the article's example questions.
func (s *Server) adminKBExampleDeletePost(w http.ResponseWriter, r *http.Request) {
	art, err := s.db.GetArticle(r.Context(), r.PathValue("slug"), true)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	id, err := pathID(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	exs, err := s.db.SectionExamples(r.Context(), art.ID)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if !slices.ContainsFunc(exs, func(ex store.SectionExample) bool { return ex.ID == id }) {
		s.serveError(w, r, store.ErrNotFound) // another article's: not through this one's page
		return
	}
	if err := s.db.DeleteSectionExample(r.Context(), id, s.staffActor(r)); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.flash(r, "Example question removed.")
	http.Redirect(w, r, "/admin/kb/"+art.Slug+"/edit#examples", http.StatusSeeOther)
}

// adminKBExampleFromChatPost is the insight page's "this is answered by…":
// it adds the question (personal data removed again by the store) to the
// section chosen ("slug#anchor", or the section's /kb/ address) and goes
// back to the page, saying what happened.
func (s *Server) adminKBExampleFromChatPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	back := "/admin/chats/insight"
	if days := optionalInt(r.PostForm.Get("days")); days > 0 {
		back += "?days=" + strconv.FormatInt(days, 10)
	}
	slug, anchor := parseSectionRef(r.PostForm.Get("section"))
	art, err := s.db.GetArticle(r.Context(), slug, true)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.flash(r, "Not added: there is no article “"+slug+"”. Choose a section from the list.")
	case err != nil:
		s.serveError(w, r, err)
		return
	default:
		_, err = s.db.AddSectionExample(r.Context(), art.ID, anchor, r.PostForm.Get("question"), s.staffActor(r))
		if msg := validationMessage(err); msg != "" {
			s.flash(r, "Not added to “"+art.Title+"”: "+msg)
		} else if err != nil {
			s.serveError(w, r, err)
			return
		} else {
			s.flash(r, "Added as an example question of “"+art.Title+"”.")
		}
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// parseSectionRef reads a section reference: "slug#anchor", "slug" (the
// article's top), or the section's address "/kb/slug#anchor", full or not.
func parseSectionRef(ref string) (slug, anchor string) {
	ref = strings.TrimSpace(ref)
	if u, err := url.Parse(ref); err == nil && strings.Contains(u.Path, "/kb/") {
		_, ref, _ = strings.Cut(u.Path, "/kb/")
		return strings.Trim(ref, "/"), u.Fragment
	}
	slug, anchor, _ = strings.Cut(ref, "#")
	return strings.TrimSpace(slug), strings.TrimSpace(anchor)
}

// maxSectionOptions bounds the list "this is answered by…" offers: a
// larger knowledge base lists its first sections, and any other is typed
// as slug#anchor or pasted as its address.
const maxSectionOptions = 2000

// offerExamples fills in the insight page's "this is answered by…": the
// sections to choose from and, for each question (firsts, one per gap),
// the question as it would be saved and the section proposed: the one the
// assistant quoted when the customer said it did not answer (unhelpful),
// otherwise the one the search ranks first.
func (s *Server) offerExamples(ctx context.Context, p *templates.AdminChatInsightProps, firsts, unhelpful []store.ChatMessage) error {
	arts, err := s.db.ListArticles(ctx, true)
	if err != nil {
		return err
	}
	for _, a := range arts {
		p.Sections = append(p.Sections, templates.SectionOption{Value: a.Slug, Label: a.Title})
		for _, sec := range store.Sections(a.Body) {
			if sec.Anchor != "" && len(p.Sections) < maxSectionOptions {
				p.Sections = append(p.Sections, templates.SectionOption{Value: a.Slug + "#" + sec.Anchor, Label: a.Title + " › " + sec.Heading})
			}
		}
	}
	if len(p.Sections) > maxSectionOptions {
		p.Sections = p.Sections[:maxSectionOptions]
	}
	labels := map[string]string{}
	for _, o := range p.Sections {
		labels[o.Value] = o.Label
	}
	marked := map[int64]bool{}
	for _, m := range unhelpful {
		marked[m.ID] = true
	}
	for i, m := range firsts {
		q := store.CleanExample(m.Body)
		if utf8.RuneCountInString(q) > store.MaxExampleRunes {
			continue
		}
		p.Gaps[i].Example = q
		if p.Gaps[i].Section, err = s.proposeSection(ctx, m, q, marked[m.ID]); err != nil {
			return err
		}
		p.Gaps[i].SectionLabel = labels[p.Gaps[i].Section]
	}
	return nil
}

// proposeSection is the section a question is proposed for: after an
// answer the customer said did not help, the section that answer quoted;
// otherwise the search's first. "" when there is none.
func (s *Server) proposeSection(ctx context.Context, m store.ChatMessage, q string, quoted bool) (string, error) {
	if quoted {
		later, err := s.db.ListChatMessages(ctx, m.ConversationID, m.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
		for _, b := range later {
			if b.Author != store.ChatAuthorBot {
				continue
			}
			if src := bot.DecodeExtra(b.Extra).Source; src != nil {
				return sectionRef(src.Slug, src.Anchor), nil
			}
			break
		}
	}
	hits, err := s.chat.bot.Search(ctx, q, 1)
	if err != nil || len(hits) == 0 || len(hits[0].Sections) == 0 {
		return "", err
	}
	return sectionRef(hits[0].Slug, hits[0].Sections[0].Anchor), nil
}

// sectionRef is the reference "this is answered by…" takes: "slug#anchor",
// or the slug alone for the article's top.
func sectionRef(slug, anchor string) string {
	if anchor == "" {
		return slug
	}
	return slug + "#" + anchor
}
