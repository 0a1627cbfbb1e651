package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"safedesk/templates"
	"safedesk/templates/i18n"
)

// home is the front page: the categories as cards, with their article
// counts, then the most viewed articles.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	cats, err := s.db.ListCategories(r.Context())
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	arts, err := s.db.MostViewedArticles(r.Context(), 8)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	l := i18n.From(r.Context())
	p := templates.HomeProps{Page: s.page(r, l.T(i18n.HelpCentre)), Articles: arts}
	for _, c := range cats {
		if c.Articles > 0 {
			p.Categories = append(p.Categories, c)
		}
	}
	p.Head = templates.Head{Canonical: s.cfg.BaseURL.JoinPath("/").String(),
		Description: l.T(i18n.MetaHomeDescription, s.currentBrand().Name)}
	s.render(w, r, http.StatusOK, templates.Home(p))
}

func (s *Server) kbList(w http.ResponseWriter, r *http.Request) {
	arts, err := s.db.ListArticles(r.Context(), false)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.KBList(templates.KBListProps{Page: s.page(r, i18n.T(r.Context(), i18n.HelpArticles)), Articles: arts}))
}

// kbSearch lists the articles and sections that match a query, with the
// assistant's own ranking (bot.Search).
func (s *Server) kbSearch(w http.ResponseWriter, r *http.Request) {
	q := searchQuery(r.URL.Query().Get("q"))
	var results []templates.SearchHit
	if q != "" {
		hits, err := s.chat.bot.Search(r.Context(), q, 20)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		for _, h := range hits {
			sh := templates.SearchHit{Slug: h.Slug, Title: h.Title, Lang: h.Lang}
			for _, sec := range h.Sections {
				sh.Sections = append(sh.Sections, templates.SearchSection{Heading: sec.Heading, URL: sec.URL(h.Slug), Snippet: sec.Snippet})
			}
			results = append(results, sh)
		}
	}
	s.render(w, r, http.StatusOK, templates.KBSearch(templates.KBSearchProps{Page: s.page(r, i18n.T(r.Context(), i18n.SearchHeading)), Query: q, Results: results}))
}

// maxQuery is the longest search query, in characters: the search box's
// maxlength.
const maxQuery = 200

// searchQuery is the query as the search reads and shows it: trimmed,
// valid UTF-8, and cut to maxQuery characters, never inside one.
func searchQuery(q string) string {
	q = strings.TrimSpace(strings.ToValidUTF8(q, "\uFFFD"))
	if utf8.RuneCountInString(q) > maxQuery {
		q = strings.TrimSpace(string([]rune(q)[:maxQuery]))
	}
	return q
}

// answeredCookie marks, on the visitor's device only, that they answered
// "did this answer your question?" on the article its path names: a second
// answer from that browser is thanked but not counted. The server keeps
// nothing about who answered.
const answeredCookie = "safedesk_answered"

// answeredFor is how long a device's answer to an article holds.
const answeredFor = 30 * 24 * time.Hour

// helpfulAnswer reads a "did this answer your question?" form: yes or no,
// and ok false for anything else.
func helpfulAnswer(form url.Values) (helpful, ok bool) {
	switch form.Get("helpful") {
	case "yes":
		return true, true
	case "no":
		return false, true
	}
	return false, false
}

// kbFeedbackPost counts an answer to "did this answer your question?" on
// an article: an aggregate counter, nothing about who answered, and at most
// one per browser (answeredCookie).
func (s *Server) kbFeedbackPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	helpful, ok := helpfulAnswer(r.PostForm)
	if !ok {
		s.serveError(w, r, errBadRequest)
		return
	}
	art, err := s.db.GetArticle(r.Context(), r.PathValue("slug"), false)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if _, err := r.Cookie(answeredCookie); err != nil { // this browser has not answered yet
		if err := s.db.CountArticleFeedback(r.Context(), art.Slug, helpful); err != nil {
			s.serveError(w, r, err)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: answeredCookie, Value: "1", Path: "/kb/" + art.Slug, MaxAge: int(answeredFor / time.Second),
			HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	}
	p := templates.KBFeedbackProps{Slug: art.Slug, Title: art.Title, Helpful: helpful}
	if !isHTMX(r) {
		p.Page = s.page(r, i18n.T(r.Context(), i18n.ThankYou))
	}
	s.render(w, r, http.StatusOK, templates.KBFeedbackThanks(p))
}

// kbArticle serves an article, counts the view (an aggregate counter) and
// lists up to three related articles. A visitor whose session has nothing
// to show (no verified customer, no notice) gets the page every such
// visitor gets, built from publicPage without their session and cached by
// the article's updated_at; anyone else gets their own page, which is
// never cached.
func (s *Server) kbArticle(w http.ResponseWriter, r *http.Request) {
	art, err := s.db.GetArticle(r.Context(), r.PathValue("slug"), false)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if readerView(r) {
		if err := s.db.CountArticleView(r.Context(), art.Slug); err != nil {
			// A view not counted is no reason to withhold the article.
			s.log.Error("article view not counted", "err", err, "request_id", info(r).id)
		}
	}
	shared := s.customerID(r) == 0 && !s.customer.Exists(r.Context(), sessNotice)
	stamp := art.UpdatedAt.UnixNano()
	lang := i18n.From(r.Context()).Lang // the page's words, not the article's
	if shared {
		if page, ok := s.kbCache.get(art.Slug, lang, stamp); ok {
			writeHTML(w, page)
			return
		}
	}
	body, err := RenderMarkdown(art.Body)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if art.Lang == "" {
		if art.Lang, err = s.db.KBLanguage(r.Context()); err != nil {
			s.serveError(w, r, err)
			return
		}
	}
	p, err := s.articleProps(r, art, body)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if p.Related, err = s.relatedArticles(r.Context(), art.Slug); err != nil {
		s.serveError(w, r, err)
		return
	}
	head := articleHead(s.cfg.BaseURL, art)
	if !shared {
		p.Page = s.page(r, art.Title)
		p.Head = head
		s.render(w, r, http.StatusOK, templates.KBArticle(p))
		return
	}
	p.Page = s.publicPage(art.Title)
	p.Page.Path = "/kb/" + art.Slug // never a query: the page is everyone's
	p.Head = head
	c := templates.KBArticle(p)
	var buf bytes.Buffer
	if err := c.Render(withAssets(r.Context()), &buf); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.kbCache.put(art.Slug, lang, stamp, buf.Bytes())
	writeHTML(w, buf.Bytes())
}

// crawlerUA matches the user agents of crawlers that say what they are
// ("Googlebot/2.1;", "bingbot/2.0;", "AhrefsBot/7.0;", "… crawler …").
var crawlerUA = regexp.MustCompile(`(?i)bot[/;]|crawler|spider|^$`)

// readerView reports whether a request for an article is a person reading
// it, to count for "Popular articles": not a HEAD request (a link checker,
// a monitor) nor a crawler that names itself.
func readerView(r *http.Request) bool {
	return r.Method == http.MethodGet && !crawlerUA.MatchString(r.UserAgent())
}

// maxRelated is how many related articles an article page lists.
const maxRelated = 3

// relatedArticles are up to maxRelated other articles about what the
// article with slug is about, in its language (bot.Related).
func (s *Server) relatedArticles(ctx context.Context, slug string) ([]templates.ArticleLink, error) {
	related, err := s.chat.bot.Related(ctx, slug, maxRelated)
	if err != nil {
		return nil, err
	}
	out := make([]templates.ArticleLink, 0, len(related))
	for _, l := range related {
		out = append(out, templates.ArticleLink{Slug: l.Slug, Title: l.Title, Lang: l.Lang})
	}
	return out, nil
}

var (
	htmlType    = []string{"text/html; charset=utf-8"}
	publicCache = []string{"no-cache"}
)

func writeHTML(w http.ResponseWriter, page []byte) {
	h := w.Header()
	h["Content-Type"] = htmlType
	h["Cache-Control"] = publicCache
	w.WriteHeader(http.StatusOK)
	w.Write(page)
}

// privacy is the privacy notice, generated from the configuration
// (web/me.go builds its props).
func (s *Server) privacy(w http.ResponseWriter, r *http.Request) {
	p, err := s.privacyProps(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.Privacy(p))
}

func (s *Server) securityPage(w http.ResponseWriter, r *http.Request) {
	domain := ""
	if at := strings.LastIndexByte(s.cfg.MailFrom, '@'); at >= 0 {
		domain = strings.TrimRight(s.cfg.MailFrom[at+1:], ">")
	}
	s.render(w, r, http.StatusOK, templates.Security(templates.SecurityProps{
		Page: s.page(r, i18n.T(r.Context(), i18n.FooterSecurity)), BaseURL: s.cfg.BaseURL.String(), MailDomain: domain,
	}))
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.db.Ping(r.Context()); err != nil {
		s.log.Error("not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("not ready\n"))
		return
	}
	w.Write([]byte("ready\n"))
}
