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
//  6. retrieval, over an in-memory index of the published articles split
//     into sections by heading (index.go), every word stemmed (Snowball) in
//     its article's language and keyed by that language. The question
//     becomes groups of alternatives (query.go): each word's stems in every
//     language, other forms of it, its synonyms from the rules (found by
//     the words' stems in English and in the question's languages too; a
//     synonym of several words is a phrase whose words must all be found,
//     counting in full where they stand together and less where they are
//     apart, phrases.go;
//     a German or Dutch verb's separable particle is put back on it,
//     particles.go), the words that name the same idea in the site's
//     language when the question is in another (the rules' concepts,
//     concepts.go, concepts.json: a partly translated knowledge base
//     answers a French question from its English article), else the
//     knowledge base's word it is a typo of (one edit up to seven letters,
//     two from eight) or the words it is part of (compounds). A country or
//     a larger city (places.go, places.txt) is its country's names in every
//     language and, more weakly, its region (the EU, or outside it), so
//     "do you ship to Antwerp" finds "Netherlands and Belgium". Groups weigh by
//     how rare they are over sections. A section's score (retrieve.go) adds
//     how much of the question it has in its heading and text, its
//     article's coverage and title, the words that tell its article's
//     sections apart, and the kind of answer asked for (how long, how much,
//     how often, what time, how to: a section that gives a duration, a
//     price, a frequency, a time of day or steps, or whose heading names
//     it); a heading that asks about what went wrong ("Didn't get the
//     email?") ranks up for a question that says something did, and an
//     article in the question's language for a question whose words tell
//     one. An article in another language than the site's is linked to
//     the site-language article it translates, and its sections to the
//     original's, by their words rendered by the concepts
//     (translations.go); a question written in that language whose best
//     section is the original's gets the translation's instead. A
//     section's example questions (store.SectionExample, written
//     by editors or added from the chats) are a field of it, like its
//     heading and text, and the nearest of them counts as a whole
//     (examples.go): a question that shares no word with a section can
//     still find it. The features are weighed by weights learned on the
//     evaluation's tuning half and development set (rerank.go,
//     TestTrainRanker). The confidence is how
//     much of the question the best section and its article cover with
//     their title, headings and text, or how like the question the
//     section's nearest example is, never how many of the examples' words
//     it has (they grow with their number). Above
//     the threshold the reply quotes that section and links it
//     (/kb/{slug}#{anchor}), naming a second one that ranks nearly as well
//     as "also relevant"; below it the bot says it is not sure, links
//     nothing and offers a person or a request. It never writes an answer
//     of its own. The help-centre search (Search) ranks with the same code;
//  7. optionally (Options.Model, off by default), for a question retrieval
//     answered and a conversation whose consent covers it
//     (Input.UseModel), a language model phrases the answer from the best
//     sections (model.go). It gets only published sections and the
//     question with personal data removed (bot/llm), and its answer is
//     shown only if it cites sections it was given, as plain text;
//     otherwise the quote stands and Reply.Model says why. Private intents
//     never reach it.
//
// # Extending the vocabulary
//
// The built-in vocabulary is rules.json, and concepts.json for the
// concepts. An admin extends it with --chat-rules FILE, a JSON file of the
// same shape; every part is optional:
//
//	{
//	  "intents": {
//	    "human":   {"keywords": {"speak to a barista": 3}},
//	    "account": {"keywords": {"my loyalty points": 3}, "min": 3},
//	    "abuse":   {"keywords": {"scammers": 2, "stupid": 0}}
//	  },
//	  "synonyms":  {"beans box": ["subscription"], "aeropress": ["brewer"]},
//	  "concepts":  [{"en": ["beans box"], "de": ["bohnenbox"], "nl": ["bonenbox"]}],
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
// up to eight words or phrases that are searched for as well (a phrase,
// "gift card", counts only where all its words are found). A concept is a
// row of words and phrases (one to four words) that name one idea in two
// or more of the languages en, de, fr, es and nl; a question in one of them
// finds the row's words in the site's language at 0.8 (0.6 for a word the
// knowledge base has in the question's language), below the word itself;
// concepts are added to the built-in ones. Weak words count a
// quarter as much as other words; stopwords do not count at all. The file is
// read at start; a malformed file stops the server with the reason.
package bot
