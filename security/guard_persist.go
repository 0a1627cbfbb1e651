package security

import (
	"strings"
	"time"
)

// Block is a client's block as the integrator stores it, so that blocks
// survive a restart.
type Block struct {
	Client string
	Until  time.Time
	Reason string
	Level  int // blocks so far, this one included; sets the next block's length
}

// Blocks lists the blocks in force, in no particular order.
func (g *Guard) Blocks() []Block {
	now := g.clk.ns()
	var out []Block
	g.clients.lru.each(func(_ stateKey, st *guardState) {
		if now < st.blockEnd {
			out = append(out, Block{Client: st.client, Until: g.clk.at(st.blockEnd), Reason: st.reason, Level: st.level})
		}
	})
	return out
}

// Restore reinstates stored blocks, typically at start-up. Blocks that have
// ended are skipped; a client already known keeps the longer block and the
// higher level.
func (g *Guard) Restore(blocks []Block) {
	now := g.clk.ns()
	for _, b := range blocks {
		if b.Until.IsZero() {
			continue
		}
		end := g.clk.of(b.Until)
		if end <= now {
			continue
		}
		k := g.hash.key(b.Client)
		sh := g.clients.lock(k)
		var st guardState
		p := sh.get(k)
		if p != nil {
			st = *p
		}
		if end > st.blockEnd {
			st.blockEnd = end
			st.reason = b.Reason
		}
		st.level = max(st.level, b.Level, 1)
		st.throttleEnd = max(st.throttleEnd, st.blockEnd+int64(g.cfg.ThrottleFor))
		st.at = max(st.at, now)
		st.expire = g.expiry(st)
		if p != nil {
			*p = st
		} else {
			st.client = strings.Clone(b.Client)
			g.clients.add(sh, k, st, now)
		}
		sh.mu.Unlock()
	}
}

// Lift ends client's block or throttle and forgets its history, points and
// anomaly averages included, as when staff clear a false positive. It
// reports whether the client was blocked.
func (g *Guard) Lift(client string) bool {
	now := g.clk.ns()
	k := g.hash.key(client)
	sh := g.clients.lock(k)
	var blocked bool
	if p := sh.peek(k); p != nil {
		blocked = now < p.blockEnd
		sh.remove(k)
	}
	sh.mu.Unlock()
	g.throttle.keys.forget(k)
	g.anomaly.forget(k)
	return blocked
}

// Len is the number of clients with points or a penalty.
func (g *Guard) Len() int { return g.clients.len() }
