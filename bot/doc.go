// Package bot is safedesk's chat assistant: pure logic, no HTTP. For each
// message it runs, in order:
//
//  1. size limit (Options.MaxRunes, 2,000 characters by default);
//  2. secret redaction (security.Redact): card numbers, IBANs, SSNs,
//     passwords and codes in context, API and private keys are replaced
//     before anything is stored or echoed, and Reply.Warning tells the
//     visitor why;
//  3. probe detection: security.DetectInjection and security.ScanPayload,
//     then the bot's own signatures (prompt-format markers, the service's
//     credentials and configuration, other people's records and
//     conversations, bulk exports, password resets for someone else). A
//     serious probe (Probe.Serious: other people's data, dumps, demands
//     behind a claimed role, payloads) is refused and counts: the caller
//     records it and ends the conversation after repeated attempts. Other
//     findings, such as prompt-injection phrases that a bot without a
//     language model cannot obey, are declined and logged, nothing more;
//  4. intent: greeting, question, ticket status, account (orders, payments,
//     account changes), human, thanks or abuse, from weighted keywords and
//     rules that find requests about the visitor's own records ("cancel my
//     subscription", "where is order NW-1048392", "what email is my account
//     registered under") while leaving how-to questions ("how do I cancel…")
//     to the knowledge base;
//  5. policy: private intents need a verified customer, whose id comes from
//     the session (Input.CustomerID), never from the message. Unverified,
//     the bot reveals nothing and offers verification or a person; verified,
//     it shows only that customer's own tickets;
//  6. retrieval: FTS5 (BM25, title weighted, Porter stems) with the message's
//     words and their synonyms finds candidates; they are re-ranked with the
//     query's own inverse document frequencies (from the kb_vocab table), so
//     that synonyms of one idea count once and weak words little, with a
//     bonus for title words, neighbouring words found next to each other, and
//     a single passage that covers the question. The confidence is how much
//     of the question's weight the best article and its best passage cover.
//     Above the threshold the reply quotes that passage and links the
//     article; below it the bot says it is not sure, links nothing and offers
//     a person or a request. It never writes an answer of its own.
//
// # Extending the vocabulary
//
// The built-in vocabulary is rules.json. An admin extends it with
// --chat-rules FILE, a JSON file of the same shape; every part is optional:
//
//	{
//	  "intents": {
//	    "human":   {"keywords": {"speak to a barista": 3}},
//	    "account": {"keywords": {"my loyalty points": 3}, "min": 3},
//	    "abuse":   {"keywords": {"scammers": 2, "stupid": 0}}
//	  },
//	  "synonyms":  {"beans box": ["subscription"], "aeropress": ["brewer"]},
//	  "weakwords": ["basically"],
//	  "stopwords": ["pls"]
//	}
//
// Intents that take keywords: greeting, thanks, human, ticket_status,
// account, abuse. A keyword is a phrase of one to six words (a last word
// ending in "*" matches any word starting so) with a weight between -10 and
// 10; an intent wins when its keywords (each counted once) reach its "min".
// A keyword or synonym given again replaces the built-in one; a weight of 0
// removes a keyword. Synonyms map a word or phrase of up to four words to
// up to eight words that are searched for as well. Weak words count a
// quarter as much as other words; stopwords do not count at all. The file is
// read at start; a malformed file stops the server with the reason.
package bot
