package bot

import "fmt"

// The assistant's fixed sentences, in every language it speaks. It answers
// in the language of the article it quotes, and otherwise in the language
// the question seems to be in (the site's language when it cannot tell).
var sentences = map[string]map[string]string{
	"greeting": {
		langEN: "Hello! I'm %s automated assistant, not a person: I answer from our help articles. What can I help you with? You can ask for a person at any time.",
		langDE: "Hallo! Ich bin der automatische Assistent von %s, kein Mensch: Ich antworte aus unseren Hilfeartikeln. Wobei kann ich helfen? Sie können jederzeit nach einem Menschen fragen.",
		langFR: "Bonjour ! Je suis l'assistant automatique de %s, pas une personne : je réponds à partir de nos articles d'aide. Que puis-je faire pour vous ? Vous pouvez demander une personne à tout moment.",
		langES: "¡Hola! Soy el asistente automático de %s, no una persona: respondo a partir de nuestros artículos de ayuda. ¿En qué puedo ayudarle? Puede pedir hablar con una persona en cualquier momento.",
		langNL: "Hallo! Ik ben de automatische assistent van %s, geen mens: ik antwoord vanuit onze helpartikelen. Waarmee kan ik helpen? U kunt altijd om een medewerker vragen.",
	},
	"thanks": {
		langEN: "You're welcome! Is there anything else I can help with?",
		langDE: "Gern geschehen! Kann ich sonst noch helfen?",
		langFR: "Avec plaisir ! Puis-je vous aider pour autre chose ?",
		langES: "¡De nada! ¿Puedo ayudarle con algo más?",
		langNL: "Graag gedaan! Kan ik u nog ergens anders mee helpen?",
	},
	"abuse": {
		langEN: "I'm an automated assistant and I'd like to help. If you'd rather talk to a person, choose “Talk to a person” and someone from our team will take over.",
		langDE: "Ich bin ein automatischer Assistent und möchte gern helfen. Wenn Sie lieber mit einem Menschen sprechen, wählen Sie „Mit einem Menschen sprechen“, dann übernimmt jemand aus unserem Team.",
		langFR: "Je suis un assistant automatique et j'aimerais vous aider. Si vous préférez parler à une personne, choisissez « Parler à une personne » et quelqu'un de notre équipe prendra le relais.",
		langES: "Soy un asistente automático y me gustaría ayudarle. Si prefiere hablar con una persona, elija «Hablar con una persona» y alguien de nuestro equipo le atenderá.",
		langNL: "Ik ben een automatische assistent en help u graag. Wilt u liever een mens spreken, kies dan ‘Met een medewerker praten’ en iemand van ons team neemt het over.",
	},
	"handoff": {
		langEN: "Of course: I'll ask a person from our team to join this conversation.",
		langDE: "Natürlich: Ich bitte jemanden aus unserem Team, sich dem Gespräch anzuschließen.",
		langFR: "Bien sûr : je demande à une personne de notre équipe de rejoindre la conversation.",
		langES: "Por supuesto: pediré a una persona de nuestro equipo que se una a la conversación.",
		langNL: "Natuurlijk: ik vraag iemand van ons team om aan dit gesprek deel te nemen.",
	},
	"unsure": {
		langEN: "I'm not sure I have an answer to that, and I'd rather not guess. You can ask in other words, talk to a person, or send us a request and we'll reply by email.",
		langDE: "Ich bin nicht sicher, ob ich darauf eine Antwort habe, und möchte nicht raten. Sie können anders fragen, mit einem Menschen sprechen oder uns eine Anfrage senden; wir antworten per E-Mail.",
		langFR: "Je ne suis pas sûr d'avoir une réponse et je préfère ne pas deviner. Vous pouvez reformuler, parler à une personne ou nous envoyer une demande : nous répondrons par e-mail.",
		langES: "No estoy seguro de tener una respuesta y prefiero no adivinar. Puede preguntarlo de otra forma, hablar con una persona o enviarnos una solicitud y le responderemos por correo.",
		langNL: "Ik weet niet zeker of ik daar een antwoord op heb, en ik gok liever niet. U kunt het anders vragen, een medewerker spreken of ons een verzoek sturen; we antwoorden per e-mail.",
	},
	"answer": {
		langEN: "This is what our help article “%s” says:",
		langDE: "Das steht in unserem Hilfeartikel „%s“:",
		langFR: "Voici ce que dit notre article d'aide « %s » :",
		langES: "Esto es lo que dice nuestro artículo de ayuda «%s»:",
		langNL: "Dit staat in ons helpartikel „%s”:",
	},
	"meanwhile": {
		langEN: " Meanwhile, this is what our help article “%s” says:",
		langDE: " In der Zwischenzeit steht in unserem Hilfeartikel „%s“:",
		langFR: " En attendant, voici ce que dit notre article d'aide « %s » :",
		langES: " Mientras tanto, esto es lo que dice nuestro artículo de ayuda «%s»:",
		langNL: " Intussen staat dit in ons helpartikel „%s”:",
	},
	"fallback": {
		langEN: "Sorry, I can't look that up right now. A person from our team can help: talk to one now, or send us a request and we'll answer by email.",
		langDE: "Entschuldigung, ich kann das gerade nicht nachschlagen. Jemand aus unserem Team hilft Ihnen: Sprechen Sie jetzt mit einem Menschen oder senden Sie uns eine Anfrage, wir antworten per E-Mail.",
		langFR: "Désolé, je ne peux pas chercher cela pour le moment. Une personne de notre équipe peut vous aider : parlez-lui maintenant, ou envoyez-nous une demande et nous répondrons par e-mail.",
		langES: "Lo siento, ahora mismo no puedo buscarlo. Una persona de nuestro equipo puede ayudarle: hable con ella ahora o envíenos una solicitud y le responderemos por correo.",
		langNL: "Sorry, ik kan dat nu niet opzoeken. Iemand van ons team helpt u graag: spreek nu een medewerker, of stuur ons een verzoek en we antwoorden per e-mail.",
	},
	"refused": {
		langEN: "I can't help with that. I answer questions from our help articles, and I never share anything about other customers, our staff, or how this service is run.",
		langDE: "Dabei kann ich nicht helfen. Ich beantworte Fragen aus unseren Hilfeartikeln und gebe nie etwas über andere Kunden, unser Team oder den Betrieb dieses Dienstes preis.",
		langFR: "Je ne peux pas vous aider pour cela. Je réponds aux questions à partir de nos articles d'aide et je ne partage jamais rien sur d'autres clients, notre équipe ou le fonctionnement de ce service.",
		langES: "No puedo ayudar con eso. Respondo preguntas a partir de nuestros artículos de ayuda y nunca comparto nada sobre otros clientes, nuestro equipo o el funcionamiento de este servicio.",
		langNL: "Daar kan ik niet mee helpen. Ik beantwoord vragen vanuit onze helpartikelen en deel nooit iets over andere klanten, ons team of hoe deze dienst werkt.",
	},
	"declined": {
		langEN: "I'm an automated assistant: I answer questions from our help articles, and I can't change how I work or share anything about how this service is run. What can I help you with?",
		langDE: "Ich bin ein automatischer Assistent: Ich beantworte Fragen aus unseren Hilfeartikeln und kann weder meine Arbeitsweise ändern noch etwas über den Betrieb dieses Dienstes preisgeben. Wobei kann ich helfen?",
		langFR: "Je suis un assistant automatique : je réponds aux questions à partir de nos articles d'aide, et je ne peux ni changer ma façon de fonctionner ni partager quoi que ce soit sur le fonctionnement de ce service. Que puis-je faire pour vous ?",
		langES: "Soy un asistente automático: respondo preguntas a partir de nuestros artículos de ayuda y no puedo cambiar mi forma de trabajar ni compartir nada sobre el funcionamiento de este servicio. ¿En qué puedo ayudarle?",
		langNL: "Ik ben een automatische assistent: ik beantwoord vragen vanuit onze helpartikelen en kan mijn werkwijze niet veranderen of iets delen over hoe deze dienst werkt. Waarmee kan ik u helpen?",
	},
	"gatedAccount": {
		langEN: "I can't see or change anyone's orders, payments or account details, and before we can discuss your account we need to confirm it's you: type your email address here and I'll send you a 6-digit code. You can also talk to a person.",
		langDE: "Ich kann keine Bestellungen, Zahlungen oder Kontodaten sehen oder ändern, und bevor wir über Ihr Konto sprechen, müssen wir bestätigen, dass Sie es sind: Geben Sie hier Ihre E-Mail-Adresse ein, dann sende ich Ihnen einen 6-stelligen Code. Sie können auch mit einem Menschen sprechen.",
		langFR: "Je ne peux ni voir ni modifier les commandes, paiements ou données de compte de qui que ce soit, et avant de parler de votre compte nous devons confirmer que c'est bien vous : saisissez ici votre adresse e-mail et je vous enverrai un code à 6 chiffres. Vous pouvez aussi parler à une personne.",
		langES: "No puedo ver ni cambiar pedidos, pagos ni datos de cuenta de nadie, y antes de hablar de su cuenta debemos confirmar que es usted: escriba aquí su correo electrónico y le enviaré un código de 6 dígitos. También puede hablar con una persona.",
		langNL: "Ik kan geen bestellingen, betalingen of accountgegevens zien of wijzigen, en voordat we over uw account praten moeten we bevestigen dat u het bent: typ hier uw e-mailadres en ik stuur u een code van 6 cijfers. U kunt ook een medewerker spreken.",
	},
	"privateAccount": {
		langEN: "I can't see or change orders, payments or account settings from this chat, but a person from our team can: choose “Talk to a person”.",
		langDE: "Ich kann Bestellungen, Zahlungen oder Kontoeinstellungen in diesem Chat weder sehen noch ändern, aber jemand aus unserem Team kann es: Wählen Sie „Mit einem Menschen sprechen“.",
		langFR: "Je ne peux ni voir ni modifier les commandes, paiements ou réglages du compte dans ce chat, mais une personne de notre équipe le peut : choisissez « Parler à une personne ».",
		langES: "Desde este chat no puedo ver ni cambiar pedidos, pagos ni ajustes de la cuenta, pero una persona de nuestro equipo sí: elija «Hablar con una persona».",
		langNL: "Ik kan in deze chat geen bestellingen, betalingen of accountinstellingen zien of wijzigen, maar iemand van ons team wel: kies ‘Met een medewerker praten’.",
	},
	"gatedTickets": {
		langEN: "I can tell you about your requests once you've confirmed your email address: type it here and I'll send you a 6-digit code. Until then I can't see or share anything about any request or account.",
		langDE: "Ich kann Ihnen Auskunft über Ihre Anfragen geben, sobald Sie Ihre E-Mail-Adresse bestätigt haben: Geben Sie sie hier ein, dann sende ich Ihnen einen 6-stelligen Code. Bis dahin kann ich nichts über Anfragen oder Konten sehen oder mitteilen.",
		langFR: "Je peux vous renseigner sur vos demandes une fois votre adresse e-mail confirmée : saisissez-la ici et je vous enverrai un code à 6 chiffres. D'ici là, je ne peux rien voir ni partager sur aucune demande ni aucun compte.",
		langES: "Puedo informarle sobre sus solicitudes cuando haya confirmado su correo electrónico: escríbalo aquí y le enviaré un código de 6 dígitos. Hasta entonces no puedo ver ni compartir nada sobre ninguna solicitud o cuenta.",
		langNL: "Ik kan u over uw verzoeken vertellen zodra u uw e-mailadres hebt bevestigd: typ het hier en ik stuur u een code van 6 cijfers. Tot dan kan ik niets over verzoeken of accounts zien of delen.",
	},
	"recent": {
		langEN: "Here are your most recent requests:", langDE: "Hier sind Ihre neuesten Anfragen:",
		langFR: "Voici vos demandes les plus récentes :", langES: "Estas son sus solicitudes más recientes:",
		langNL: "Dit zijn uw meest recente verzoeken:",
	},
	"oneTicket": {
		langEN: "Here is request #%d:", langDE: "Hier ist Anfrage #%d:", langFR: "Voici la demande n° %d :",
		langES: "Esta es la solicitud n.º %d:", langNL: "Hier is verzoek #%d:",
	},
	"notYours": {
		langEN: "I can't find request #%d among yours. Here are your most recent requests:",
		langDE: "Ich finde Anfrage #%d nicht unter Ihren Anfragen. Hier sind Ihre neuesten:",
		langFR: "Je ne trouve pas la demande n° %d parmi les vôtres. Voici vos demandes les plus récentes :",
		langES: "No encuentro la solicitud n.º %d entre las suyas. Estas son sus solicitudes más recientes:",
		langNL: "Ik kan verzoek #%d niet bij uw verzoeken vinden. Dit zijn uw meest recente:",
	},
	"noTickets": {
		langEN: "You have no requests with us yet. If you need help, ask me here, talk to a person, or send us a request.",
		langDE: "Sie haben noch keine Anfragen bei uns. Wenn Sie Hilfe brauchen, fragen Sie mich hier, sprechen Sie mit einem Menschen oder senden Sie uns eine Anfrage.",
		langFR: "Vous n'avez encore aucune demande chez nous. Si vous avez besoin d'aide, demandez-moi ici, parlez à une personne ou envoyez-nous une demande.",
		langES: "Todavía no tiene solicitudes con nosotros. Si necesita ayuda, pregúnteme aquí, hable con una persona o envíenos una solicitud.",
		langNL: "U hebt nog geen verzoeken bij ons. Hebt u hulp nodig, vraag het mij hier, spreek een medewerker of stuur ons een verzoek.",
	},
}

// say returns the sentence key in lang (English when lang has none), with
// args filled in.
func say(lang, key string, args ...any) string {
	s, ok := sentences[key][lang]
	if !ok {
		s = sentences[key][langEN]
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// chosen is lang when the bot speaks it, else "".
func chosen(lang string) string {
	for _, l := range languages {
		if l == lang {
			return l
		}
	}
	return ""
}

// DetectLanguage is the language text seems to be written in, by its
// stopwords in the built-in rules, and false when it has none of any
// language to tell by.
func DetectLanguage(text string) (string, bool) {
	l := detectLanguage(words(text), builtin.stop, "")
	return l, l != ""
}
