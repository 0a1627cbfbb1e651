package bot

import (
	"context"
	"maps"
	"testing"
	"testing/fstest"
)

// TestTranslationsLinked: each of the demo's twelve translations is linked
// to the English article it translates, and its sections to the
// original's that they translate; a knowledge base in one language links
// nothing.
func TestTranslationsLinked(t *testing.T) {
	b := newTestBot(t, newTestStore(t))
	idx, err := b.ret.x.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for a, o := range idx.translationOf {
		got[idx.arts[a].slug] = idx.arts[o].slug
	}
	want := map[string]string{
		"passwort-zuruecksetzen": "reset-your-password", "restablecer-la-contrasena": "reset-your-password",
		"ruecksendung-und-erstattung": "returns-and-refunds", "retours-et-remboursements": "returns-and-refunds",
		"retourneren-en-terugbetaling": "returns-and-refunds", "versandzeiten-und-kosten": "shipping-times-and-costs",
		"livraison-delais-et-frais": "shipping-times-and-costs", "envios-plazos-y-costes": "shipping-times-and-costs",
		"verzendtijden-en-kosten": "shipping-times-and-costs", "detartrer-votre-bouilloire": "descale-your-electric-kettle",
		"cancelar-o-cambiar-un-pedido": "cancel-or-change-an-order", "je-bestelling-volgen": "track-your-order",
	}
	if !maps.Equal(got, want) {
		t.Errorf("translations %v, want %v", got, want)
	}
	sections := map[string]string{}
	for s, o := range idx.sectionOf {
		sections[idx.arts[idx.secs[s].art].slug+"#"+idx.secs[s].anchor] = idx.arts[idx.secs[o].art].slug + "#" + idx.secs[o].anchor
	}
	for from, to := range map[string]string{
		"versandzeiten-und-kosten#schwere-artikel":            "shipping-times-and-costs#heavy-and-bulky-items",
		"je-bestelling-volgen#bezorgd-maar-niet-ontvangen":    "track-your-order#marked-as-delivered-but-not-there",
		"cancelar-o-cambiar-un-pedido#el-plazo-de-60-minutos": "cancel-or-change-an-order#the-60-minute-window",
		"detartrer-votre-bouilloire#a-quelle-frequence":       "descale-your-electric-kettle#how-often",
		"ruecksendung-und-erstattung#erstattung":              "returns-and-refunds#refunds",
	} {
		if sections[from] != to {
			t.Errorf("%s translates %q, want %s", from, sections[from], to)
		}
	}

	english := newTestBot(t, newStoreWith(t, fstest.MapFS{
		"returns.md":  {Data: []byte("# Returns\n\nSend it back within 30 days.\n")},
		"shipping.md": {Data: []byte("# Shipping\n\nWe ship in 2 days.\n")},
	}))
	idx, err = english.ret.x.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if idx.translationOf != nil || idx.sectionOf != nil {
		t.Errorf("a knowledge base in one language has translations %v, sections %v", idx.translationOf, idx.sectionOf)
	}
}

// TestTranslationPreferred: a question written in Dutch whose English
// original ranks first is answered from the Dutch translation, and the
// original is not named as also relevant (it says the same).
func TestTranslationPreferred(t *testing.T) {
	db := newTestStore(t)
	dropExamples(t, db)
	b := newTestBot(t, db)
	ctx := context.Background()
	const q = "status van mijn bestelling"
	idx, err := b.ret.x.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	linked := idx.translated
	idx.translated = nil
	rk, err := b.ret.rank(ctx, q)
	idx.translated = linked
	if err != nil {
		t.Fatal(err)
	}
	if got := rk.name(rk.hits[0]).Slug; got != "track-your-order" {
		t.Fatalf("without translations %q ranks %s first; the test needs the English original first", q, got)
	}
	m, err := b.ret.find(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !m.ok || m.source.Slug != "je-bestelling-volgen" {
		t.Errorf("%q: %s (ok %v), want je-bestelling-volgen", q, m.source.URL(), m.ok)
	}
	if m.also != nil && m.also.Slug == "track-your-order" {
		t.Errorf("%q names its original %s as also relevant", q, m.also.URL())
	}
}
