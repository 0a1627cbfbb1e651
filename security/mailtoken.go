package security

import (
	"crypto/hmac"
	"encoding/base32"
	"strconv"
	"strings"
)

// Reply tokens thread email by address: our mail about ticket 42 carries
// Reply-To: support+42-k3j5…@example.com, and a reply that comes back to
// that address belongs to ticket 42. The part after the id is an HMAC of
// it under a system key, so nobody can make a token for a ticket they were
// never mailed about, and a ticket number in a subject proves nothing.

// replyTokenMAC is how many bytes of the HMAC a token carries (80 bits).
const replyTokenMAC = 10

// tokenEncoding is lower-case base32 without padding: mail systems may
// lower-case the local part, and it holds only letters and digits.
var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ReplyToken returns the token of ticketID, like "42-k3j5xq7mb2nd6wyc".
func ReplyToken(b *BlindIndex, ticketID int64) string {
	id := strconv.FormatInt(ticketID, 10)
	return id + "-" + tokenEncoding.EncodeToString(replyMAC(b, id))
}

// ParseReplyToken returns the ticket of a token that ReplyToken made with
// the same key; any other string is false. The HMAC is compared in
// constant time.
func ParseReplyToken(b *BlindIndex, token string) (int64, bool) {
	id, mac, ok := strings.Cut(strings.ToLower(strings.TrimSpace(token)), "-")
	if !ok || id == "" || id[0] == '0' || len(id) > 18 {
		return 0, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	got, err := tokenEncoding.DecodeString(mac)
	if err != nil {
		return 0, false
	}
	if !hmac.Equal(got, replyMAC(b, id)) {
		return 0, false
	}
	return n, true
}

func replyMAC(b *BlindIndex, id string) []byte {
	return b.Hash("reply-token", []byte(id))[:replyTokenMAC]
}
