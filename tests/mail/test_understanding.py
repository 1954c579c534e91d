"""Requests as people write them (nine languages, typos, no legal words), and look-alikes."""

import random

import pytest

from app.enums import RequestType
from app.language import detect
from app.mail.agents import read_agency
from app.mail.classifier import classify
from app.mail.loops import automatic_text_reason
from app.mail.wording import WORDS

A, E, R = RequestType.ACCESS, RequestType.ERASURE, RequestType.RECTIFICATION
S, OBJ, P = RequestType.RESTRICTION, RequestType.OBJECTION, RequestType.PORTABILITY
OPT = RequestType.OPT_OUT


@pytest.mark.parametrize(
    ("subject", "text", "expected"),
    [
        # The misses the independent corpus found, in the words it used.
        ("", "what do you have on me", A),
        ("", "get rid of my account and everything", E),
        ("", "forget me", E),
        ("", "stop emailing me", OBJ),
        ("", "I want a copy of my info", A),
        ("", "remove me from your list", OBJ),
        ("delte acount", "", E),
        ("", "Was habt ihr über mich gespeichert?", A),
        ("", "Bonjour, quelles informations vous avez sur moi ?", A),
        ("", "Vorrei cancellare il mio account e tutti i miei dati", E),
        ("", "Ik wil graag weten welke gegevens jullie van mij hebben", A),
        # Polish and Swedish, never recognised before.
        ("", "Proszę o usunięcie mojego konta i wszystkich danych.", E),
        ("", "Jakie dane o mnie przechowujecie?", A),
        ("", "Przestańcie wysyłać mi maile.", OBJ),
        ("", "Hej, vilka uppgifter har ni om mig?", A),
        ("", "Jag vill att ni raderar mitt konto.", E),
        ("", "Sluta skicka mejl till mig, tack.", OBJ),
        # Inflected forms and everyday phrasing in the other languages.
        ("", "Bitte löscht mein Konto mit allen Daten.", E),
        ("", "Meine Adresse ist falsch, bitte korrigieren Sie meine Daten.", R),
        ("", "Ich möchte keine Werbung mehr von Ihnen bekommen.", OBJ),
        ("", "Merci de supprimer mon compte.", E),
        ("", "Por favor borren mi cuenta y mis datos.", E),
        ("", "Quiero saber qué datos tienen sobre mí.", A),
        ("", "Apaguem a minha conta, por favor.", E),
        ("", "Dimenticatemi, per favore.", E),
        # The other rights without their legal names.
        ("", "My address is wrong, please update my details.", R),
        ("", "Please don't sell my info to anyone.", OPT),
        ("", "I'd like to download all my data as a CSV file for another provider.", P),
        ("", "Please stop using my data until you have looked at my complaint.", S),
        ("", "Please freeze the use of my data for now, but do not delete it.", S),
    ],
)
def test_requests_without_legal_words_are_recognised(
    subject: str, text: str, expected: RequestType
) -> None:
    result = classify(subject, text)
    assert (result.request_type, result.confident) == (expected, True), result.matched
    assert any(label.startswith(f"{expected}: ") for label in result.matched)


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("GDPR question", "Are you GDPR compliant? How do you delete customer data?"),
        ("DPA", "Please send us your data processing agreement (DPA) to sign."),
        ("Bug", "I can't delete my account, the button does nothing."),
        ("Security alert", "Your account will be deleted unless you verify it today."),
        (
            "Newsletter",
            "You are receiving this email because you subscribed. Unsubscribe.",
        ),
        ("Offer", "We remove your data from 500 broker sites. Buy now!"),
        ("Order", "Where is my order? The tracking number does not work."),
        ("Rechnung", "Ich habe eine Frage zu meiner Rechnung vom März."),
    ],
)
def test_look_alikes_are_not_filed(subject: str, text: str) -> None:
    assert not classify(subject, text).confident


@pytest.mark.parametrize(
    ("subject", "text", "expected"),
    [
        # Keeping the data while its use stops is a restriction, not an objection or a
        # correction, even when the keeping is said in another sentence or the subject.
        (
            "Complaint",
            "While you look into my complaint, please stop using my data for ads. "
            "I don't want it deleted, I may need it.",
            S,
        ),
        (
            "Please freeze my data",
            "My score in your system is wrong. Until you have checked it, stop "
            "processing my record. I am not asking for deletion.",
            S,
        ),
        (
            "Verarbeitung stoppen",
            "Bitte verarbeiten Sie meine Daten vorerst nicht weiter. Löschen Sie nichts.",
            S,
        ),
        # "It" after a sentence about the writer's own data.
        (
            "",
            "My visits are recorded in your system. Please don't delete anything, but "
            "restrict it so it isn't used until the case is over.",
            S,
        ),
        # A polite "can I get" asks to be given something; a file format makes it a copy
        # to take elsewhere.
        ("data export", "Hi, can I get a JSON dump of all my account data?", P),
        # The plan in a side clause is not the request.
        (
            "",
            "Before I close my account, please export all my data as CSV for the new tool.",
            P,
        ),
        # Attached pronouns (Spanish, Italian) and German participles.
        ("", "Por favor, dejen de mandarme correos de promociones.", OBJ),
        ("", "Ik wil dat mijn gegevens geblokkeerd worden, niets verwijderen.", S),
        # A detail said to be wrong, then a bare "please correct".
        ("Wrong job title", "Your system lists me as Intern. Can you correct that?", R),
        (
            "",
            "Bij jullie staat mijn emailadres als jan.dekk@example.org. Dat klopt niet. "
            "Graag aanpassen.",
            R,
        ),
        ("zmiana nazwiska", "Proszę wpisać nowe nazwisko w profilu.", R),
        # An opt-out of sale and sharing is the specific right, not a general objection.
        (
            "stop sharing my info",
            "Don't share my browsing info with ad companies. I don't want my data sold.",
            OPT,
        ),
        # Restriction in the other languages, and "I no longer use it" is no objection.
        (
            "",
            "Bitte schränken Sie die Verarbeitung meiner Daten ein, solange mein "
            "Widerspruch geprüft wird.",
            S,
        ),
        ("", "Les pido que bloqueen mis datos mientras se resuelve mi reclamación.", S),
        (
            "",
            "Per favore non usate più i miei dati fino alla decisione del giudice, ma non "
            "cancellateli.",
            S,
        ),
        ("", "Wil je mijn gegevens bevriezen tot de klacht is afgehandeld?", S),
        ("", "Elimina il mio account per favore, non lo uso più.", E),
        # Off a list is an objection, out of a database an erasure, in any language
        # and even when the language is guessed wrong.
        ("", "Nehmt mich aus eurem Verteiler.", OBJ),
        ("", "Ta bort mig från er e-postlista.", OBJ),
        ("", "Retirem-me da vossa lista de emails.", OBJ),
        ("", "Bórrenme de su base de datos.", E),
        # Being forgotten; the CCPA's limit on sensitive data; English that lingua
        # took for Swedish.
        ("", "I want to be forgotten.", E),
        ("", "Limit the use of my sensitive personal information.", OPT),
        # Everyday "stop writing to me", with separable and attached forms.
        ("", "hört auf mir zu schreiben", OBJ),
        ("", "dejad de escribirme", OBJ),
        ("", "przestańcie do mnie pisać", OBJ),
        ("", "hola borrar mi cuneta porfa", E),
        # Short mail the language detector takes for English is read in all languages.
        ("", "Parem de me enviar emails de marketing.", OBJ),
        # Signing off everything is part of a deletion; a new provider is no correction.
        ("", "hola, quiero darme de baja de todo y que eliminen mi cuenta", E),
        (
            "",
            "Preciso de todos os meus dados num ficheiro CSV para mudar de fornecedor.",
            P,
        ),
        (
            "",
            "Please hold off using my data until my complaint is resolved, but don't "
            "erase it.",
            S,
        ),
        # Polish and Swedish names of the rights.
        ("", "Jag vill ha ett registerutdrag.", A),
        ("Wniosek", "Korzystam z prawa do sprzeciwu wobec przetwarzania.", OBJ),
        # A time frame ("for now") or keeping ("kept") makes a stop a restriction; a
        # concessive "while I appreciate" does not.
        ("", "Don't process my data for now, I'm waiting for legal advice.", S),
        ("", "I want my data to be kept but not used anymore.", S),
        (
            "",
            "While I appreciate your service, please stop using my data for marketing.",
            OBJ,
        ),
        # "Ya no existe" is no objection; a changed detail asks for its correction; an
        # objection to marketing is no request for a copy.
        (
            "",
            "Quiero que actualicen mi dirección de correo, la antigua ya no existe.",
            R,
        ),
        ("", "Ho cambiato numero di telefono, aggiornatelo: 333 1234567.", R),
        ("", "No quiero que usen mis datos para enviarme publicidad.", OBJ),
        # A disclaimer's "delete it" is no second request; "how come" is no how-to.
        (
            "",
            "Hi, I moved house. My new address is 3 Elm Road. Please update your "
            "records.\n\nThis e-mail is confidential. If you received it in error, "
            "please notify the sender and delete it.",
            R,
        ),
        (
            "",
            "Hoe kan het dat jullie nog steeds mijn gegevens hebben? Ik wil dat alles "
            "verwijderd wordt.",
            E,
        ),
        # A complaint about an invoice before the request does not make it an invoice
        # query (customer-service words count near the request).
        (
            "Your support is a joke",
            "I have waited three weeks for help with an invoice. Meanwhile you sent me "
            "five newsletters.\n\nStop sending me marketing, I don't want any more.",
            OBJ,
        ),
        # "Not just unsubscribed": the writer wants more than the unsubscribe.
        (
            "",
            "Get me out of your system. I want my details gone, not just unsubscribed.",
            E,
        ),
        # Still requests: a polite or answered condition, a reminder in a reply, a
        # typo after "ge", a verb-final wish, "no me volváis a llamar".
        ("", "If possible, please delete my account and all my data.", E),
        ("", "Czy macie moje dane? Jeśli tak, proszę o kopię moich danych.", A),
        ("Re: Delete my account", "Please delete my account, I asked a week ago.", E),
        ("verwijderen", "Wil je al mijn gegevns verwijderen aub.", E),
        (
            "",
            "Ich will, dass mein Zugang und alles, was zu meiner Person bei Ihnen "
            "gespeichert ist, verschwindet.",
            E,
        ),
        ("", "No me volváis a llamar ni a escribir con publicidad.", OBJ),
        # The deletion is the request; no mail reaches whom it erases.
        ("", "Merci d'effacer mes coordonnées, je ne veux plus être contactée.", E),
        # "Uit alle lijsten" beside "al mijn gegevens": the data go, not only the mail.
        ("", "Ik verwacht dat jullie al mijn gegevens wissen, uit alle lijsten.", E),
        # An heir writes for the deceased.
        (
            "",
            "Min mamma har gått bort. Jag är dödsbodelägare och vill att ni tar bort "
            "alla hennes uppgifter.",
            E,
        ),
        # The account and all the data, said in full, outweigh one billing word.
        (
            "",
            "I cancelled last month and still got an invoice. Please refund it and "
            "then erase my account and all my data.",
            E,
        ),
        (
            "",
            "Bitte erstatten Sie die Zahlung und entfernen Sie danach mein Konto samt "
            "allen Daten.",
            E,
        ),
        # "Take me off it" with a list named earlier: off the list, not an erasure.
        (
            "",
            "Your newsletter still reaches me every week, so I must be on some list. "
            "Take me off it and stop writing to me.",
            OBJ,
        ),
        # French "accord" is consent too.
        ("", "Je retire mon accord pour vos offres commerciales par mail.", OBJ),
        # "Not much use to me" is an opinion, no objection to the use of the data.
        (
            "",
            "I am switching tools. Please send me all my info as a JSON file; a "
            "screenshot is not much use to me.",
            P,
        ),
        # "pfv" asks: "exclui" is then no report of a deletion done.
        ("", "Exclui o meu perfil e os meus dados, pfv. Já não uso isto.", E),
        # Renewing a plan is billing, no typo of "remove".
        ("", "No quiero renovar el plan. Eliminad mi cuenta, por favor.", E),
        # A broken unsubscribe link forbids nothing.
        (
            "Abmelden",
            "Ich will euren Newsletter nicht mehr. Der Abmeldelink funktioniert nicht.",
            OBJ,
        ),
        # Words of the mail's language that English reads otherwise: Spanish "sale"
        # (appears), Portuguese "no" (in the), "portanto" (so, no typo of "portar").
        (
            "datos mal",
            "Mi apellido sale como 'Gomes', no 'Gómez'. ¿Podéis corregirlo?",
            R,
        ),
        (
            "",
            "Quero saber o que guardaram sobre mim, o que escreveram no vosso sistema. "
            "Mandem-me uma cópia de tudo.",
            A,
        ),
        (
            "",
            "Vou fazer queixa. Portanto não apaguem os meus dados, mas não os usem "
            "para nada até lá.",
            S,
        ),
        # One detail taken off beside an objection to marketing is the objection.
        (
            "",
            "Tirem o meu nome e a minha foto da vossa página de clientes e parem de "
            "usar os meus dados para marketing.",
            OBJ,
        ),
        # A copy as a file, asked in a reply's own lines, not only in its subject.
        (
            "Sv: Vi saknar dig",
            "Innan ni stänger kontot: skicka mig gärna allt ni har sparat om mig som "
            "användare under åren, som CSV eller JSON.",
            P,
        ),
        # The ask to correct beside a "can't change it myself".
        (
            "dados errados",
            "O meu apelido está registado como Sousa e a morada é a antiga. O correto "
            "é Souza, Rua Nova 5. Agradeço que corrijam, pois não consigo alterar "
            "pelo painel.",
            R,
        ),
        # "In jullie bestanden" are the records, no file format.
        (
            "Foute gegevens",
            "Jullie hebben mijn naam verkeerd gespeld. Kunnen jullie dat aanpassen in "
            "jullie bestanden?",
            R,
        ),
        # Kept for a dispute, its use stopped: "mettre de côté", "nergens meer voor",
        # a login history that is the writer's data.
        (
            "",
            "Ne supprimez pas mon compte, j'en ai besoin pour un litige : mettez-le de "
            "côté, vous n'avez plus à vous en servir.",
            S,
        ),
        (
            "",
            "Ik heb een geschil over mijn account. Kunnen jullie die gegevens laten "
            "staan maar nergens meer voor gebruiken tot het voorbij is?",
            S,
        ),
        (
            "",
            "Jag bestrider att min inloggningshistorik stämmer. Tills det är utrett ska "
            "ni inte använda uppgifterna, men radera dem inte.",
            S,
        ),
        # A court-appointed guardian writes "about him", "om henne": the person's own.
        (
            "",
            "Jag är god man för Ulla Berg (ulla.berg@example.se). Jag begär att alla "
            "uppgifter om henne raderas.",
            E,
        ),
        (
            "",
            "I am the legal guardian of Tom Berg (tom.berg@example.net). Please erase "
            "everything you hold about him.",
            E,
        ),
        # "How did you get my address?" complains; it asks no how-to.
        (
            "Re: Uw offerte",
            "Hoe komen jullie eigenlijk aan mijn adres? Haal me van jullie lijst.",
            OBJ,
        ),
        # "Il nome corretto è …" says the name held is wrong: "correggerlo" asks.
        (
            "",
            "Mi avete registrato come Marco Rosi. Il nome corretto è Marco Rossi: "
            "potete correggerlo?",
            R,
        ),
        # Italian "liste" are mailing lists: taken off them, not erased.
        ("", "Non chiamatemi più. Toglietemi da tutte le liste.", OBJ),
        # A "not" after the mail word goes with the next verb ("non so perché").
        (
            "",
            "Vorrei sapere quali dati avete su di me: ricevo le vostre email e non so "
            "perché.",
            A,
        ),
        # A bare "stop" answering our newsletter, its unsubscribe link quoted.
        ("Re: November picks", "Stop\n\n> November picks\n> Unsubscribe", OBJ),
        ("Re: Picks", "stop\n\n> Our picks\n> Unsubscribe | Preferences", OBJ),
        # An executor with a certificate still acts for the deceased; a parent for a
        # child.
        (
            "",
            "I am my late father's executor. Please delete his account; the death "
            "certificate is attached.",
            E,
        ),
        (
            "",
            "Mein Sohn (14) hat bei euch ein Konto. Bitte löscht das Konto und alle "
            "seine Daten.",
            E,
        ),
        # "Sans pour autant les effacer" keeps the data: a restriction.
        (
            "",
            "Je conteste mon adresse enregistrée. D'ici là, n'utilisez plus mes "
            "données, sans pour autant les effacer.",
            S,
        ),
        # "My own" beside a "she": still the writer's.
        (
            "Re: import",
            "Once Priya (she owns the workspace now) has taken over, can you erase my "
            "own personal data?",
            E,
        ),
        # Informal Portuguese "para de".
        ("", "para de me mandar email de promoção", OBJ),
        # "Was erased" reports; the stop beside it is the ask.
        (
            "Re: done",
            "You told me everything was erased, and now another promo came. Just stop "
            "sending me marketing.",
            OBJ,
        ),
        # "Any update?" in a reply above the request itself sends it again.
        (
            "RE: Borrar mis datos",
            "¿Alguna novedad?\n\nDe: Ana\nAsunto: Borrar mis datos\n\nBorren mi cuenta y "
            "todos mis datos, por favor.",
            E,
        ),
        # A reply whose body makes a new demand: the subject names the old one.
        (
            "Re: eliminar mi cuenta",
            "Dijisteis que estaba todo borrado y sigo recibiendo vuestras ofertas. "
            "Sacadme de esa lista ya.",
            OBJ,
        ),
        # A doubt denied is no doubt that the mail is ours.
        (
            "",
            "Je ne dis pas que c'est vous, mais je veux recevoir une copie de tout ce "
            "que vous gardez sur moi.",
            A,
        ),
        # "Your files" are the records held, not a file format.
        ("Mon adresse", "Mon adresse est fausse. Corrigez ça dans vos fichiers.", R),
        # Sales calls and offers.
        ("", "Rufen Sie mich nicht mehr an, danke.", OBJ),
        ("", "Schicken Sie mir keine Angebote mehr.", OBJ),
        # Who received the data is asked by access, even with a file wanted.
        (
            "",
            "Proszę o informację, jakie moje dane macie i komu je przekazaliście. "
            "Może być w pliku.",
            A,
        ),
        # The wish that the mail stop, said after the mail words.
        ("", "Honestly I just want your newsletters to stop.", OBJ),
        # "Quoi que ce soit" is anything: a sale refused, not a copy asked for.
        (
            "",
            "Je ne veux pas que vous vendiez quoi que ce soit sur moi à des "
            "annonceurs. J'habite en Californie.",
            OPT,
        ),
        # German "austragen" takes the writer off a list.
        ("Newsletter", "Bitte austragen, danke.", OBJ),
        # A file of one's data asked for with "may I": a request, not a how-to.
        ("", "Mag ik een bestand met mijn gegevens, als csv?", P),
        # Sharing held off until a dispute is settled is a restriction.
        (
            "",
            "Until this is cleared up, I don't want you sharing my profile with "
            "anyone, put it on hold.",
            S,
        ),
        # Art. 20's words for the format, with no verb the reader knows.
        (
            "",
            "Mi servirebbe tutto ciò che ho caricato da voi in un formato strutturato "
            "e di uso comune.",
            P,
        ),
    ],
)
def test_requests_read_from_the_whole_mail(
    subject: str, text: str, expected: RequestType
) -> None:
    result = classify(subject, text)
    assert (result.request_type, result.confident) == (expected, True), result.matched


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        # Controllers asking how to honour their own visitors' requests.
        (
            "Löschanfrage eines Besuchers nach Art. 17",
            "Ein Besucher unserer Webseite hat die Löschung seiner Daten nach Art. 17 "
            "DSGVO verlangt. Wie finde ich seine Daten in eurem Tool?",
        ),
        (
            "Do Not Sell link",
            'We are adding a "Do Not Sell or Share My Personal Information" link to our '
            "footer. When a visitor clicks it, how do we stop the tag?",
        ),
        # A journalist and a vendor name the rights for other people.
        (
            "Presseanfrage: Auskunftsanfragen nach DSGVO",
            "Wir würden gerne wissen, wie viele Auskunftsanfragen Sie im Jahr erhalten.",
        ),
        (
            "Fråga till en artikel",
            "Jag skriver en artikel om hur företag hanterar begäranden om "
            "registerutdrag. Hur många fick ni förra året?",
        ),
        (
            "Automate your DSAR workflow",
            "Our platform automates DSAR intake out of the box. Open to a quick call?",
        ),
        # How-tos, however they go on.
        (
            "change login email",
            "How do I change the email I log in with? I want my new address there.",
        ),
        ("", "Can I delete my account myself?"),
        # Cancelling a paid plan, and a bounce's own words.
        ("rezygnacja z subskrypcji", "Chcę zrezygnować z planu Pro."),
        (
            "Undelivered",
            "Your message could not be delivered to one or more recipients.",
        ),
        # A forum comment, a colleague's account, a company's VAT number, a data sheet.
        ("", "Eliminad mi comentario del foro."),
        ("", "Remove my colleague's account from our team."),
        ("", "Can you correct the VAT number on my invoice?"),
        ("", "Could you send me the data sheet for your product?"),
        # Test data are nobody's personal data; "…, how?" asks how, and so does the
        # subject above it.
        ("", "Bitte löscht meine Testdaten aus dem Dashboard, das waren nur Versuche."),
        ("", "¿Pueden eliminar mis datos de prueba del panel?"),
        ("Change email", "I want to change my login email to new@example.com, how?"),
        # What the writer did, or someone else's data, is no request.
        ("", "I deleted my account by mistake, can you restore it?"),
        ("", "Thanks for deleting my account last week, all good now."),
        ("", "My colleague wants his data deleted, he'll write to you himself."),
        (
            "Security issue",
            "I have not downloaded any data beyond two records, which I have deleted.",
        ),
        # Read in all languages, a Polish bug report stays one ("ma" is no French "my").
        (
            "eksport CSV jest pusty",
            "Kiedy eksportuję raport do CSV, plik ma tylko nagłówki, bez danych.",
        ),
        # A deletion reported done, or a reply to our confirmation of it.
        ("Re: Konto gelöscht", "Danke, alles erledigt. Wann kommt die Gutschrift?"),
        ("", "Mein Konto wurde gestern gelöscht, danke schön."),
        ("Sv: Bekräftelse", "Tack, det ser bra ut."),
        ("RE: Conferma eliminazione account", "Ricevuto, grazie mille."),
        # A condition of the writer's, asked as a question, is no request yet.
        ("", "If I ever close my account, will you delete my data too?"),
        ("", "Se un giorno chiudessi l'account, i miei dati verrebbero cancellati?"),
        # Not to delete, not to unsubscribe.
        ("", "Por favor, no borréis mi cuenta, solo quiero cambiar de plan."),
        ("", "Não me descadastrem, só quero trocar o e-mail da newsletter."),
        ("", "Bitte auf keinen Fall mein Konto oder meine Daten löschen."),
        # Someone else's data, asked for by a third person.
        ("", "Kan ni skicka mig vad han har gjort i ert verktyg?"),
        ("", "Podem dizer-me que dados vocês têm sobre ele?"),
        # A footer's offer and a recruiter's.
        ("", "Jeśli nie chcesz otrzymywać od nas ofert, daj znać."),
        (
            "",
            "Wenn Sie kein Interesse haben, lösche ich Ihre Kontaktdaten aus meiner Liste.",
        ),
        # A company's billing address, a colleague's records of processing, a survey
        # that names a right, phishing that names an article.
        ("", "Uppdatera gärna vår faktureringsadress till Storgatan 1."),
        (
            "Registro dei trattamenti",
            "Ho aggiornato il registro con il nuovo fornitore di email.",
        ),
        (
            "Encuesta sobre el derecho de acceso",
            "Estamos preparando una encuesta sobre el derecho de acceso (art. 15 RGPD).",
        ),
        (
            "Ditt konto raderas",
            "Ditt konto raderas enligt GDPR artikel 17. Verifiera nu.",
        ),
        # A condition before a Spanish "¿", a relative's or neighbour's data.
        ("", "Si cancelo la suscripción, ¿se borran mis datos automáticamente?"),
        ("", "Jeśli zamknę konto, czy moje dane zostaną usunięte?"),
        ("", "¿Qué datos tienen de mi exmarido? Se llama Juan Pérez."),
        ("", "Podem dizer-me que dados têm sobre o meu vizinho?"),
        # A product's test dashboards are no personal data.
        ("", "Vous pouvez effacer ces tableaux de test pour moi ?"),
        # The writer takes an earlier request back.
        (
            "Previous mail",
            "Please ignore my last message about deleting my account, I still need it.",
        ),
        (
            "Meine letzte Mail",
            "Ignorieren Sie bitte meine Mail von gestern zur Löschung meines Kontos, "
            "es soll bleiben.",
        ),
        # A login e-mail is the account's sign-in, a company's details are not the
        # writer's, and an invoice e-mail is billing.
        (
            "",
            "Could you change my login email to anna@example.com? Everything else stays.",
        ),
        ("", "Potreste aggiornare l'indirizzo email di accesso del mio account?"),
        (
            "alterar e-mail das faturas",
            "Pedimos que as faturas sigam para contas@example.com em vez do e-mail do "
            "antigo contabilista.",
        ),
        # A question after a conditional question goes on with its condition.
        (
            "",
            "Se chiudo l'abbonamento, cosa succede ai miei dati? Li eliminate subito?",
        ),
        (
            "",
            "If I cancel my plan, what happens to my data? Do you delete it straight "
            "away?",
        ),
        # A Polish deletion reported done ("usunęliście", "zniknęły").
        (
            "Re: Konto usunięte",
            "Usunęliście moje konto, ale zniknęły też raporty zespołu. Da się je "
            "odzyskać?",
        ),
        # "My mum's account" is not the writer's: "it" later is not the writer's either.
        (
            "my mum's account",
            "She passed away in May and I have no papers yet. Can you just close it "
            "and delete it?",
        ),
        # Merging two accounts, a thesis, what the writer does with an export.
        (
            "fusion de comptes",
            "J'ai deux comptes. Pouvez-vous les fusionner ? Ensuite vous pouvez "
            "supprimer mon compte perso.",
        ),
        (
            "Vraag voor mijn scriptie",
            "Voor mijn scriptie onderzoek ik hoe bedrijven verzoeken om mijn gegevens "
            "te wissen afhandelen.",
        ),
        ("", "Je supprime ce soir l'export brut de mon poste."),
        # A controller asks where in the product they can remove a visitor.
        (
            "Fwd: erase my data",
            "A customer of our shop asked us to erase her data. Is there a button "
            "where we can remove one visitor from our workspace?\n\n"
            "---------- Forwarded message ----------\n"
            "Please erase all the data you hold on me.",
        ),
        # Mail meant for another company: a gym, a bank; or one not sure it is us.
        (
            "ending my membership",
            "Hi, I'd like to end my gym membership and have you delete my account and "
            "all my personal data.",
        ),
        (
            "Kontokündigung",
            "Ich möchte mein Girokonto kündigen und dass Sie alle meine Daten löschen.",
        ),
        (
            "welk bedrijf?",
            "De app van mijn sportclub bewaart mijn gegevens. Ik wil weten welke "
            "gegevens jullie van mij hebben. Zijn jullie dat?",
        ),
        # A chain letter objects to no one in particular.
        (
            "FW: FW: important!!",
            "Copy this text and send it to everyone you know! I object under Art. 21 "
            "GDPR to any use of my data and photos.",
        ),
        # A colleague forwards news that names a right.
        (
            "Fwd: Newsletter: guidance on the right to erasure",
            "FYI, some new guidance on the right to erasure and backups.",
        ),
        # A deletion reported done: Polish "usunięte", French "était déjà fermé".
        ("Re: Twoje konto", "Dzięki, wszystko usunięte."),
        (
            "Re: Fermeture de mon compte",
            "Merci. Mais vous m'avez encore débité alors que le compte était déjà "
            "fermé, pouvez-vous me rembourser ?",
        ),
        # A mistake supposed in an "if" clause says no detail is wrong.
        (
            "school platform",
            "My email address is on some school platform, maybe yours. If this is a "
            "mistake, sorry.",
        ),
        # Someone else's data, from a writer who says they hold no authority.
        (
            "cuenta de mi padre",
            "Mi padre murió el año pasado. ¿Me podéis decir qué datos tenéis de él? No "
            "soy el albacea, lo lleva mi tía.",
        ),
        # A joke about the mail's frequency.
        (
            "Re: We miss you!",
            "You miss me? You send me four emails a week, no time to miss me. Just "
            "kidding, I still use it daily.",
        ),
        # A domain name is no person's name; a login address is administration.
        (
            "changement de domaine",
            "Bonjour, je change de nom de domaine. Pouvez-vous mettre à jour mon "
            "adresse de connexion ?",
        ),
        # "What happens to my data?": the next question goes on with its condition.
        (
            "thinking of leaving",
            "Before I decide, what happens to my data when I cancel? Do you delete it "
            "at once or keep it for a while?",
        ),
        # "Ohne dass" negates like "not": the account is to stay.
        (
            "Team-Bereich schließen",
            "Wir möchten den Team-Bereich schließen. Geht das, ohne dass mein Konto "
            "verschwindet?",
        ),
        # A newsletter's greeting and footer, an internal training, a guideline.
        (
            "Privacy-Ticker 3/2026",
            "Liebe Leserinnen und Leser, diesmal: das Recht auf Auskunft und der "
            "Widerspruch gegen Werbung. Zum Abbestellen des Newsletters hier klicken.",
        ),
        (
            "Szkolenie",
            "Przypominam: szkolenie o prawie dostępu i prawie do usunięcia danych w "
            "piątek.",
        ),
        (
            "EDPB guidelines",
            "Team, the EDPB guidelines on the right of access are out; summary in the "
            "wiki.",
        ),
        # A signature's privacy notice lists the reader's rights.
        (
            "Re: pytanie",
            "Dziękuję za szybką odpowiedź!\n\nMa Pani/Pan prawo dostępu do swoich "
            "danych, ich sprostowania i usunięcia (art. 15-17 RODO).",
        ),
        # A company's billing identity, the account's ownership, a leaver's seat.
        (
            "Neue Rechnungsanschrift",
            "Bitte ändern Sie unsere Rechnungsanschrift auf Musterweg 3, 12345 Berlin. "
            "Die USt-IdNr. bleibt gleich.",
        ),
        (
            "Changement de titulaire",
            "Mon associé part. Pouvez-vous transférer la propriété du compte à mon "
            "adresse ?",
        ),
        (
            "Delete user - leaver",
            "Tom left the company on Friday. Please remove him from our workspace.",
        ),
        (
            "Konto pracownika",
            "Pani Ewa już u nas nie pracuje. Prosimy przenieść jej raporty na moje "
            "konto.",
        ),
        # Sub-processors and transfer clauses asked for a client company.
        (
            "Sub-processors",
            "Voor onze cliënt graag de lijst van subverwerkers en informatie over de "
            "standaardcontractbepalingen.",
        ),
        # A visitor's consent on the writer's own site, not the writer's.
        (
            "cookies",
            "Si une visiteuse retire son consentement, ses cookies sont-ils supprimés ?",
        ),
        # A shop passes on its shopper's request: it is not to us.
        (
            "Fwd: data request",
            "One of our shoppers asked for a copy of all personal data we hold about "
            "her, see below. What can you send us?\n\n---------- Forwarded message "
            "---------\nI want a copy of all my personal data (GDPR Art. 15).",
        ),
        # "Forget my last mail" takes the request back.
        (
            "Re: Konto löschen",
            "Vergesst meine letzte Mail, das Konto bleibt!\n> Bitte löscht mein Konto.",
        ),
        # A new job is the writer's life, not a record to correct; the login is theirs.
        (
            "New job",
            "Hi, I'm changing jobs but keeping my personal account. Can you update my "
            "login to a@example.org?",
        ),
        # A relative named before the account holds it; a word may stand between
        # "my" and the relative; a short line naming one is theirs too.
        (
            "",
            "Mi hermana tenía un perfil con vosotros y quiero que borréis sus datos y "
            "su teléfono de contacto.",
        ),
        ("", "Supprimez les données de mon ancienne collègue, elle est partie."),
        ("usunąć konto byłej pracownicy", "Już u nas nie pracuje."),
        # "Don't use" of a relative's data is no objection of the writer's.
        ("", "Mi hermano tiene una cuenta aquí y no quiere que uséis sus datos."),
        # A death alone makes no agent: no executor, no certificate.
        (
            "",
            "My late uncle had an account with you. Please delete his account and data.",
        ),
        # A newsletter's row of links, alone or after its last sentence.
        (
            "Monthly picks",
            "The best of analytics this month.\n\nUnsubscribe | Manage my data | Your "
            "privacy rights",
        ),
        (
            "Lettre du mois",
            "Le meilleur du mois. Vous recevez ce message car vous êtes inscrit. Se "
            "désinscrire | Gérer mes données | Vos droits",
        ),
        # The keyword a mailing asks its reader to send back.
        (
            "Directorio de empresas",
            "Cien mil contactos verificados. ¿Prefiere no saber más de nosotros? "
            "Responda BORRARME a este mensaje.",
        ),
        # An unsubscribe link offered "here"; figures aggregated for a report.
        (
            "Rechtsprechung im Überblick",
            "Neue Urteile zum Recht auf Löschung nach Art. 17 DSGVO.\n\nKeine Lust "
            "mehr? Hier abmelden.",
        ),
        (
            "export per la riunione",
            "Mi serve l'export dei dati del mese, aggregati per paese.",
        ),
        # Asking after an earlier request, in a new mail or in a colleague's forward.
        (
            "where is my copy?",
            "Three weeks ago I asked you for a copy of my data. Any update?",
        ),
        (
            "Fwd: Löschung meiner Daten",
            "Ist das schon bearbeitet?\n\n---------- Forwarded message ---------\n"
            "Bitte löschen Sie mein Konto und alle meine Daten.",
        ),
        # A sign-in step or a role taken off the writer: account administration.
        ("sin acceso", "No me llegan los códigos. ¿Me podéis quitar el 2FA?"),
        (
            "nuovo titolare",
            "Passo lo spazio di lavoro a Lucia e vorrei togliere me come admin. Il "
            "mio profilo resta.",
        ),
        # The address one signs in with, however far the new address stands.
        (
            "",
            "Quiero cambiar el correo con el que entro, el nuevo es ana.g@correo.example.",
        ),
        (
            "",
            "Ik wil voortaan inloggen met kees.de.boer@thuis.example in plaats van mijn "
            "kantooradres.",
        ),
        # A former employee, written as one word.
        ("borrar usuario de exempleada", "Ya no trabaja con nosotros."),
        # A forward of a customer's request, with the shop owner's own question.
        (
            "Fwd: usunięcie moich danych",
            "Klient przysłał mi to. Czy to wy usuwacie czy ja?\n\n---------- "
            "Forwarded message ---------\nProszę usunąć moje dane.",
        ),
        # A firm's newsletter greeting its clients.
        (
            "Newsletter Mai",
            "Liebe Mandanten,\n\ndas Recht auf Auskunft nach Art. 15 DSGVO wurde neu "
            "ausgelegt. Mehr in unserem Blog.",
        ),
        # A footer's offer: "if you don't want messages, click".
        (
            "Praca: analityk danych",
            "Szukamy analityka. Jeśli nie chcesz dostawać wiadomości, kliknij tutaj.",
        ),
        # A newsletter whose footer asks the reader whether to stay on the list.
        (
            "Privacy bulletin: access and erasure rights",
            "Recht op inzage en recht op vergetelheid: wat verandert er.\n"
            "Vous ne souhaitez plus recevoir ce bulletin ? Cliquez.",
        ),
        # A course invitation that lists the rights it teaches.
        (
            "Corso privacy: accesso, cancellazione, opposizione",
            "Quattro ore online. Iscrizioni aperte. Disiscriviti.",
        ),
        # A feature that fails: the support ticket names "delete".
        (
            "Dashboard löschen geht nicht",
            "Können Sie das bitte löschen oder mir sagen, was ich falsch mache?",
        ),
        # A colleague asking about anyone's objection: a procedure.
        (
            "bezwaar tegen marketing",
            "Als iemand bezwaar maakt tegen marketing, komt die dan op de lijst? "
            "Kunnen we dat nagaan?",
        ),
        # The company's own address on an invoice is account administration.
        (
            "Re: Ihre Auskunft",
            "Danke. Auf der Rechnung steht meine alte Firmenadresse, bitte korrigiert "
            "schicken.",
        ),
        # A relative's account after their death, with no proof of authority.
        ("", "Mein Onkel ist verstorben, bitte alles löschen."),
        ("", "Mijn oom is overleden. Kunnen jullie alles wissen?"),
        # A reply saying we took the request in hand asks after it.
        (
            "Re: Cancellazione",
            "Ho chiesto la cancellazione dei miei dati a maggio ed è stata presa in "
            "carico, grazie.",
        ),
    ],
)
def test_look_alikes_read_from_the_whole_mail_are_not_filed(
    subject: str, text: str
) -> None:
    assert not classify(subject, text).confident


def test_a_changed_detail_without_an_ask_is_acknowledged() -> None:
    result = classify("", "You have my old address, I moved to 5 High St.")
    assert (result.request_type, result.confident) == (R, False)
    assert result.looks_like_request


def test_a_how_to_question_is_acknowledged_and_says_why() -> None:
    result = classify("", "How do I delete my account?")
    assert result.looks_like_request
    assert not result.confident
    assert any("how-to" in label for label in result.matched)


def test_unsure_mail_that_looks_like_a_request_is_marked_so() -> None:
    result = classify("Refund", "I was charged twice, refund me or delete my account.")
    assert not result.confident
    assert result.looks_like_request
    assert not classify("Hello", "When do you open on Saturday?").looks_like_request


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I want a copy of my info", "en"),
        ("Was habt ihr über mich gespeichert", "de"),
        ("quelles informations vous avez sur moi", "fr"),
        ("quiero borrar mi cuenta", "es"),
        ("cancellare il mio account e tutti i miei dati", "it"),
        ("welke gegevens jullie van mij hebben", "nl"),
        ("apaguem a minha conta por favor", "pt"),
        ("Proszę usunąć moje konto", "pl"),
        ("Ta bort mitt konto tack", "sv"),
        ("I want to be forgotten.", "en"),
        ("Ok", None),
    ],
)
def test_language_of_short_text(text: str, language: str | None) -> None:
    assert detect(text) == language


def test_a_lone_surrogate_does_not_stop_language_detection() -> None:
    # No stop words decide it, so the statistical detector reads it (it refused surrogates).
    assert (
        detect("Löschung Datenschutz Kundenkonto Verarbeitung \udcff Grundverordnung")
        == "de"
    )


def test_polish_is_not_taken_for_portuguese() -> None:
    result = classify(
        "Usunięcie danych", "Dzień dobry, proszę usunąć moje dane osobowe."
    )
    assert (result.language, result.request_type) == ("pl", E)


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Automatic reply: Your privacy request", "Thanks for your mail."),
        ("Abwesenheitsnotiz: Ihre Anfrage", "Vielen Dank für Ihre Nachricht."),
        ("Re: [DSR-7K3MQ9XA] Request", "Ich bin bis zum 12. März nicht im Büro."),
        ("Réponse automatique", "Je suis absente jusqu'au 3 avril."),
        ("Re: your mail", "I am currently out of the office with limited access."),
        ("Odpowiedź automatyczna: Wniosek", ""),
        ("Autosvar: Din begäran", ""),
        ("Re: hello", "Your message is awaiting verification. Confirm you are human."),
    ],
)
def test_auto_replies_without_headers_are_recognised(subject: str, text: str) -> None:
    assert automatic_text_reason(subject, text) is not None


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Delete my data", "Please delete my data. I was on vacation last month."),
        ("Semester project", "Hello"),
        ("Re: [DSR-7K3MQ9XA]", "Yes, it was me.\n> I am out of the office"),
    ],
)
def test_people_writing_about_holidays_are_not_auto_replies(
    subject: str, text: str
) -> None:
    assert automatic_text_reason(subject, text) is None


def test_agency_names_the_client_and_their_address() -> None:
    agency = read_agency(
        "Dear team, I write on behalf of my client, Jane Doe (jane.doe@example.net). "
        "Please delete all her data.",
        [],
        sender="counsel@lawfirm.example",
        ours="example.com",
    )
    assert agency is not None
    assert (agency.subject_name, agency.subject_email) == (
        "Jane Doe",
        "jane.doe@example.net",
    )


def test_agency_from_a_power_of_attorney_alone() -> None:
    agency = read_agency(
        "Bitte löschen Sie die Daten von Herrn Weber.",
        ["Vollmacht_Weber.pdf"],
        sender="kanzlei@example.de",
        ours="example.com",
    )
    assert agency is not None
    assert agency.subject_email is None
    assert agency.evidence == "attachment Vollmacht_Weber.pdf"


def test_a_guardian_is_an_agent_for_the_person_named() -> None:
    agency = read_agency(
        "Jag är god man för Ulla Berg (ulla.berg@example.se), förordnandet bifogas.",
        [],
        sender="gm@example.se",
        ours="example.com",
    )
    assert agency is not None
    assert (agency.subject_name, agency.subject_email) == (
        "Ulla Berg",
        "ulla.berg@example.se",
    )


def test_own_requests_are_not_agency() -> None:
    text = "Please delete my account. My colleague jo@example.org asked too."
    assert read_agency(text, ["id.jpg"], sender="me@example.org", ours=None) is None


def test_any_mix_of_the_word_classes_reads_without_error() -> None:
    """Whatever the words, reading gives a verdict: no rule may fail on a combination."""
    stems = sorted(
        {
            stem.strip(" $*")
            for classes in WORDS.values()
            for words in classes.values()
            for stem in words.split(",")
        }
    )
    chance = random.Random(13)  # the same mixes every run
    marks = [". ", "? ", ", ", " ", "\n\n"]
    for _ in range(400):
        words = chance.choices(stems, k=chance.randint(1, 24))
        text = "".join(word + chance.choice(marks) for word in words)
        result = classify(chance.choice(stems), text)
        # A verdict's parts agree: a type only with a score, confidence only with a type.
        assert (result.request_type is None) == (max(result.scores.values()) == 0)
        assert result.request_type is not None or not result.confident
