package web

import (
	"cmp"
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
)

// The staff panel's API page (/admin/api): personal tokens, OAuth2 clients
// and webhook delivery logs. Every route needs tokens:manage and a passkey
// assertion in the last five minutes (step-up), viewing included: the page
// is where credentials to the whole help desk are made.

// scopePermissions is what a staff member must hold to hand out a scope: no
// one can make a token that does more than they may do themselves.
var scopePermissions = map[string][]security.Permission{
	store.ScopeTicketsRead:    {security.PermTicketsRead},
	store.ScopeTicketsWrite:   {security.PermTicketsWrite},
	store.ScopeCustomersRead:  {security.PermCustomersRead, security.PermPIIReveal}, // the API shows addresses unmasked
	store.ScopeCustomersErase: {security.PermCustomersErase},
	store.ScopeKBRead:         {security.PermKBRead},
	store.ScopeKBWrite:        {security.PermKBWrite},
	store.ScopeAuditRead:      {security.PermAuditRead},
	store.ScopeSecurityRead:   {security.PermSecurityRead},
	store.ScopeWebhooksWrite:  {security.PermTokensManage},
}

// grantableScopes are the scopes role may hand out.
func grantableScopes(role security.Role) []string {
	var out []string
	for _, sc := range store.APIScopes {
		ok := true
		for _, p := range scopePermissions[sc] {
			ok = ok && role.Can(p)
		}
		if ok {
			out = append(out, sc)
		}
	}
	return out
}

func (s *Server) adminAPI(w http.ResponseWriter, r *http.Request) {
	s.renderAdminAPI(w, r, http.StatusOK, templates.AdminAPIProps{})
}

// renderAdminAPI fills the lists into p and renders the page, never cached:
// it may show a secret.
func (s *Server) renderAdminAPI(w http.ResponseWriter, r *http.Request, status int, p templates.AdminAPIProps) {
	ctx := r.Context()
	var err error
	if p.Tokens, err = s.db.ListTokens(ctx); err == nil {
		if p.Clients, err = s.db.ListClients(ctx); err == nil {
			p.Webhooks, err = s.db.ListWebhooks(ctx)
		}
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	p.AdminPage = s.adminPageProps(r, "API access", "api")
	p.Scopes = grantableScopes(s.currentStaff(r).Role)
	p.Now = s.db.Now()
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, templates.AdminAPI(p))
}

// apiAdminForm reads a token or client form and checks what the store
// cannot: that the scopes are the person's to give and the addresses parse.
func (s *Server) apiAdminForm(r *http.Request, kind string) (templates.AdminAPIForm, []string, []netip.Prefix, map[string]string, error) {
	if err := r.ParseForm(); err != nil {
		return templates.AdminAPIForm{}, nil, nil, nil, formError(err)
	}
	f := templates.AdminAPIForm{Kind: kind, Name: r.PostForm.Get("name"), Scopes: r.PostForm["scope"],
		TTL: r.PostForm.Get("ttl"), AllowFrom: r.PostForm.Get("allow_from")}
	errs := map[string]string{}
	scopes, err := store.ParseScopes(strings.Join(f.Scopes, " "))
	grantable := grantableScopes(s.currentStaff(r).Role)
	if err != nil || slices.ContainsFunc(scopes, func(sc string) bool { return !slices.Contains(grantable, sc) }) {
		errs["scopes"] = "Choose among the scopes shown."
	}
	allow, err := store.ParseAllowFrom(f.AllowFrom)
	if err != nil {
		errs["allow_from"] = "Use addresses or CIDRs like 203.0.113.7 or 10.0.0.0/8, separated by commas."
	}
	return f, scopes, allow, errs, nil
}

func (s *Server) adminTokenCreatePost(w http.ResponseWriter, r *http.Request) {
	f, scopes, allow, errs, err := s.apiAdminForm(r, "token")
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	offered := slices.ContainsFunc(templates.TokenTTLs, func(o struct{ Value, Label string }) bool { return o.Value == f.TTL })
	ttl, err := time.ParseDuration(cmp.Or(f.TTL, "0s")) // "" is no expiry
	if !offered || err != nil {
		errs["ttl"] = "Choose one of the lifetimes offered."
	}
	if len(errs) > 0 {
		s.renderAdminAPI(w, r, http.StatusUnprocessableEntity, templates.AdminAPIProps{Form: f, Errors: errs})
		return
	}
	_, secret, err := s.db.CreateToken(r.Context(), store.NewToken{Name: f.Name, Scopes: scopes, TTL: ttl, AllowFrom: allow}, s.staffActor(r))
	s.renderCreated(w, r, f, err, templates.AdminAPIProps{NewSecret: secret})
}

func (s *Server) adminClientCreatePost(w http.ResponseWriter, r *http.Request) {
	f, scopes, allow, errs, err := s.apiAdminForm(r, "client")
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if len(errs) > 0 {
		s.renderAdminAPI(w, r, http.StatusUnprocessableEntity, templates.AdminAPIProps{Form: f, Errors: errs})
		return
	}
	c, secret, err := s.db.CreateClient(r.Context(), store.NewClient{Name: f.Name, Scopes: scopes, AllowFrom: allow}, s.staffActor(r))
	s.renderCreated(w, r, f, err, templates.AdminAPIProps{NewSecret: secret, NewClientID: c.ClientID})
}

// renderCreated answers the creation of a token or client: the form again
// with what the store refused (422), or the page showing the new secret
// this once.
func (s *Server) renderCreated(w http.ResponseWriter, r *http.Request, f templates.AdminAPIForm, err error, created templates.AdminAPIProps) {
	var verr *store.ValidationError
	switch {
	case errors.As(err, &verr):
		s.renderAdminAPI(w, r, http.StatusUnprocessableEntity, templates.AdminAPIProps{Form: f, Errors: verr.Fields})
	case err != nil:
		s.serveError(w, r, err)
	default:
		s.renderAdminAPI(w, r, http.StatusOK, created)
	}
}

// adminAPIAction runs a revoke or enable/disable on the path's id and goes
// back to the page with a notice.
func (s *Server) adminAPIAction(w http.ResponseWriter, r *http.Request, notice string, fn func(id int64, a store.Actor) error) {
	id, err := pathID(r)
	if err == nil {
		err = fn(id, s.staffActor(r))
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.flash(r, notice)
	http.Redirect(w, r, "/admin/api", http.StatusSeeOther)
}

func (s *Server) adminTokenRevokePost(w http.ResponseWriter, r *http.Request) {
	s.adminAPIAction(w, r, "Token revoked.", func(id int64, a store.Actor) error { return s.db.RevokeToken(r.Context(), id, a) })
}

func (s *Server) adminClientRevokePost(w http.ResponseWriter, r *http.Request) {
	s.adminAPIAction(w, r, "Client and its access tokens revoked.", func(id int64, a store.Actor) error { return s.db.RevokeClient(r.Context(), id, a) })
}

func (s *Server) adminWebhookEnablePost(w http.ResponseWriter, r *http.Request) {
	s.setWebhookActive(w, r, true, "Webhook enabled; queued deliveries resume.")
}

func (s *Server) adminWebhookDisablePost(w http.ResponseWriter, r *http.Request) {
	s.setWebhookActive(w, r, false, "Webhook disabled.")
}

func (s *Server) setWebhookActive(w http.ResponseWriter, r *http.Request, active bool, notice string) {
	s.adminAPIAction(w, r, notice, func(id int64, a store.Actor) error {
		_, err := s.db.UpdateWebhook(r.Context(), id, store.WebhookUpdate{Active: &active}, a)
		s.webhooks.Wake()
		return err
	})
}

func (s *Server) adminWebhookLog(w http.ResponseWriter, r *http.Request) {
	h, err := byID(r, s.db.GetWebhook)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	log, err := s.db.ListDeliveryLog(r.Context(), h.ID, 0, 200)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.AdminWebhookLog(templates.AdminWebhookLogProps{
		AdminPage: s.adminPageProps(r, "Webhook deliveries", "api"), Webhook: h, Log: log,
	}))
}
