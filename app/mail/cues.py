"""The classifier's cue table: the names of the rights and laws, and article numbers.

The cue table holds what lawyers, templates and statutes write: "right to erasure",
"Auskunft nach Art. 15 DSGVO", "Do Not Sell or Share My Personal Information", "1798.120".
Everyday phrasing ("delete my data", "kopie van mijn gegevens") is the intent reader's
(`intents.py` over `wording.py`), which reads it from its parts in every language; a
phrase here that the intent reader already understands only doubles it. Write phrases as
people write them (accents, apostrophes, any case): the classifier folds case, accents,
apostrophes and dashes the same way in the mail and here. A trailing `*` matches any word
ending ("auskunft*" also finds "Auskunftsersuchen"). Weights: STRONG names the right on
its own ("right to be forgotten"), CLEAR names it less surely ("access request"), HINT
only supports other cues.
"""

from typing import Final

from app.enums import Regulation, RequestType

STRONG: Final = 3.0
CLEAR: Final = 2.0
HINT: Final = 1.0

Cues = dict[str, dict[str, float]]  # language -> phrase -> weight

_ACCESS: Cues = {
    "en": {
        "subject access request": STRONG,
        "data subject access request": STRONG,
        "right of access": STRONG,
        "right to access": STRONG,
        "copy of all personal data": STRONG,
        "copy of all the personal data": STRONG,
        "copy of the personal data": CLEAR,
        "what personal data you hold": STRONG,
        "what personal data you have": STRONG,
        "personal information you have collected": STRONG,
        "request to know": STRONG,
        "right to know": CLEAR,
        "dsar": CLEAR,
        "access request": CLEAR,
    },
    "de": {
        "auskunft nach art": STRONG,
        "recht auf auskunft": STRONG,
        "auskunftsrecht": STRONG,
        "auskunftsersuchen": STRONG,
        "auskunftsanfrage": STRONG,
        "auskunftsantrag": STRONG,
        "auskunft*": CLEAR,
    },
    "fr": {
        "droit d'accès": STRONG,
        "quelles données vous détenez": STRONG,
        "demande d'accès": CLEAR,
    },
    "es": {
        "derecho de acceso": STRONG,
        "qué datos personales": CLEAR,
        "solicitud de acceso": CLEAR,
    },
    "it": {
        "diritto di accesso": STRONG,
        "accesso ai dati personali": CLEAR,
        "quali dati personali": CLEAR,
    },
    "nl": {
        "inzageverzoek": STRONG,
        "recht op inzage": STRONG,
        "welke persoonsgegevens": CLEAR,
        "inzage": CLEAR,
    },
    "pt": {
        "direito de acesso": STRONG,
        "confirmação da existência de tratamento": STRONG,
        "quais dados pessoais": CLEAR,
    },
    "ja": {"開示請求": STRONG, "保有個人データの開示": STRONG, "個人情報の開示": CLEAR},
    "pl": {
        "prawo dostępu": STRONG,
        "prawa dostępu": STRONG,
        "prawo do dostępu": STRONG,
        "wniosek o dostęp do danych": STRONG,
    },
    "sv": {
        "registerutdrag": STRONG,
        "rätt till tillgång": STRONG,
        "begäran om tillgång": STRONG,
    },
}

_ERASURE: Cues = {
    "en": {
        "right to be forgotten": STRONG,
        "right to erasure": STRONG,
        "request to delete": STRONG,
        "erasure request": STRONG,
        "deletion request": CLEAR,
        "delete everything": HINT,
    },
    "de": {
        "recht auf löschung": STRONG,
        "recht auf vergessenwerden": STRONG,
        "löschantrag": STRONG,
        "konto löschen": CLEAR,
        "löschung*": HINT,
    },
    "fr": {
        "droit à l'effacement": STRONG,
        "droit à l'oubli": STRONG,
    },
    "es": {
        "derecho de supresión": STRONG,
        "derecho al olvido": STRONG,
        "derecho de cancelación": STRONG,
    },
    "it": {
        "diritto all'oblio": STRONG,
        "diritto alla cancellazione": STRONG,
        "cancellazione dei dati personali": STRONG,
    },
    "nl": {
        "recht op vergetelheid": STRONG,
        "recht op gegevenswissing": STRONG,
    },
    "pt": {
        "direito ao esquecimento": STRONG,
        "direito ao apagamento": STRONG,
        "eliminação dos dados pessoais": STRONG,
    },
    "ja": {"削除請求": STRONG, "個人情報の削除": CLEAR, "データを削除": CLEAR},
    "pl": {
        "prawo do usunięcia danych": STRONG,
        "prawa do usunięcia danych": STRONG,
        "prawo do bycia zapomnianym": STRONG,
    },
    "sv": {
        "rätt till radering": STRONG,
        "rätten att bli bortglömd": STRONG,
        "rätt att bli bortglömd": STRONG,
    },
}

_RECTIFICATION: Cues = {
    "en": {
        "right to rectification": STRONG,
        "rectification": STRONG,
        "request to correct": STRONG,
        "inaccurate personal data": CLEAR,
        "incorrect personal data": CLEAR,
    },
    "de": {
        "recht auf berichtigung": STRONG,
        "berichtigung*": STRONG,
        "unrichtige daten": CLEAR,
        "falsch gespeichert": HINT,
    },
    "fr": {
        "droit de rectification": STRONG,
    },
    "es": {
        "derecho de rectificación": STRONG,
    },
    "it": {
        "diritto di rettifica": STRONG,
    },
    "nl": {
        "recht op rectificatie": STRONG,
        "rectificatie": STRONG,
    },
    "pt": {
        "direito de retificação": STRONG,
        "dados incompletos, inexatos": CLEAR,
    },
    "ja": {"訂正請求": STRONG, "訂正": HINT},
    "pl": {"prawo do sprostowania": STRONG, "prawa do sprostowania": STRONG},
    "sv": {"rätt till rättelse": STRONG},
}

_PORTABILITY: Cues = {
    "en": {
        "data portability": STRONG,
        "right to portability": STRONG,
        "machine-readable": CLEAR,
        "machine readable": CLEAR,
    },
    "de": {
        "datenübertragbarkeit": STRONG,
        "datenportabilität": STRONG,
        "maschinenlesbar*": CLEAR,
    },
    "fr": {"portabilité": STRONG, "lisible par machine": CLEAR},
    "es": {"portabilidad": STRONG, "lectura mecánica": CLEAR},
    "it": {"portabilità": STRONG, "leggibile da dispositivo automatico": CLEAR},
    "nl": {
        "overdraagbaarheid": STRONG,
        "dataportabiliteit": STRONG,
        "machineleesbaar": CLEAR,
    },
    "pt": {"portabilidade": STRONG, "leitura automática": CLEAR},
    "pl": {
        "prawo do przenoszenia danych": STRONG,
        "prawa do przenoszenia danych": STRONG,
    },
    "sv": {"dataportabilitet": STRONG},
}

_RESTRICTION: Cues = {
    "en": {
        "restriction of processing": STRONG,
        "restrict the processing": STRONG,
        "restrict processing": STRONG,
        "right to restriction": STRONG,
    },
    "de": {"einschränkung der verarbeitung": STRONG, "recht auf einschränkung": STRONG},
    "fr": {"limitation du traitement": STRONG, "droit à la limitation": STRONG},
    "es": {"limitación del tratamiento": STRONG, "derecho a la limitación": STRONG},
    "it": {"limitazione del trattamento": STRONG, "diritto di limitazione": STRONG},
    "nl": {"beperking van de verwerking": STRONG, "recht op beperking": STRONG},
    "pt": {
        "limitação do tratamento": STRONG,
    },
    "ja": {"利用停止": CLEAR},
    "pl": {
        "prawo do ograniczenia przetwarzania": STRONG,
        "prawa do ograniczenia przetwarzania": STRONG,
    },
    "sv": {"rätt till begränsning av behandling": STRONG},
}

_OBJECTION: Cues = {
    "en": {
        "right to object": STRONG,
        "object to the processing": STRONG,
        "object to processing": STRONG,
        "object to direct marketing": STRONG,
        "objection to direct marketing": STRONG,
        "objection to the processing": STRONG,
        "i object": CLEAR,
        "for direct marketing": HINT,
        "stop using my data for marketing": CLEAR,
    },
    "de": {
        "widerspruch gegen die verarbeitung": STRONG,
        "widerspreche der verarbeitung": STRONG,
        "widerspruchsrecht": STRONG,
        "werbewiderspruch": STRONG,
        "widerspruch*": CLEAR,
    },
    "fr": {"droit d'opposition": STRONG, "je m'oppose au traitement": STRONG},
    "es": {"derecho de oposición": STRONG, "me opongo al tratamiento": STRONG},
    "it": {"diritto di opposizione": STRONG, "mi oppongo al trattamento": STRONG},
    "nl": {
        "recht van bezwaar": STRONG,
        "maak bezwaar tegen": STRONG,
        "bezwaar tegen": CLEAR,
    },
    "pt": {"direito de oposição": STRONG, "oponho-me ao tratamento": STRONG},
    "pl": {
        "prawo do sprzeciwu": STRONG,
        "prawa do sprzeciwu": STRONG,
        "sprzeciw wobec przetwarzania": STRONG,
    },
    "sv": {"rätt att göra invändningar": STRONG},
}

# CCPA rights to opt out of sale/sharing and to limit sensitive data (Cal. Civ. Code
# 1798.120, 1798.121). "Unsubscribe" is deliberately absent: it manages a newsletter.
_OPT_OUT: Cues = {
    "en": {
        "do not sell or share my personal information": STRONG,
        "do not sell my personal information": STRONG,
        "do not share my personal information": STRONG,
        "do not sell my data": STRONG,
        "do not sell my info": STRONG,
        "opt out of the sale": STRONG,
        "opt out of sale": STRONG,
        "opt out of sharing": STRONG,
        "opt out of the sharing": STRONG,
        "limit the use of my sensitive personal information": STRONG,
        "sale of my personal information": CLEAR,
        "global privacy control": HINT,
    },
    "es": {
        "no vender ni compartir mi información personal": STRONG,
        "no vender mi información personal": STRONG,
        "no vendan mi información personal": STRONG,
    },
}

CUES: Final[dict[RequestType, Cues]] = {
    RequestType.ACCESS: _ACCESS,
    RequestType.ERASURE: _ERASURE,
    RequestType.RECTIFICATION: _RECTIFICATION,
    RequestType.PORTABILITY: _PORTABILITY,
    RequestType.RESTRICTION: _RESTRICTION,
    RequestType.OBJECTION: _OBJECTION,
    RequestType.OPT_OUT: _OPT_OUT,
}

# Statute sections named in US requests; they count like STRONG phrases.
CCPA_SECTIONS: Final[dict[str, RequestType]] = {
    "1798.100": RequestType.ACCESS,
    "1798.110": RequestType.ACCESS,
    "1798.115": RequestType.ACCESS,
    "1798.105": RequestType.ERASURE,
    "1798.106": RequestType.RECTIFICATION,
    "1798.120": RequestType.OPT_OUT,
    "1798.121": RequestType.OPT_OUT,
}

# GDPR Chapter III (same numbers in the UK GDPR). Art. 19 is a duty, not a request.
GDPR_ARTICLES: Final[dict[int, RequestType]] = {
    15: RequestType.ACCESS,
    16: RequestType.RECTIFICATION,
    17: RequestType.ERASURE,
    18: RequestType.RESTRICTION,
    20: RequestType.PORTABILITY,
    21: RequestType.OBJECTION,
}

# LGPD Art. 18 lists all rights as items (incisos) of one article.
LGPD_ITEMS: Final[dict[str, RequestType]] = {
    "i": RequestType.ACCESS,  # confirmation that processing exists
    "ii": RequestType.ACCESS,
    "iii": RequestType.RECTIFICATION,
    "iv": RequestType.RESTRICTION,  # anonymising, blocking or deleting excess data
    "v": RequestType.PORTABILITY,
    "vi": RequestType.ERASURE,
    "ix": RequestType.OBJECTION,  # withdrawal of consent
}

# Words for "article" that precede an article number.
ARTICLE_WORDS: Final = (
    "art",
    "arts",
    "article",
    "articles",
    "artikel",
    "artikels",
    "articolo",
    "articoli",
    "articulo",
    "articulos",
    "artigo",
    "artigos",
)

# Names of laws, most specific first: "UK GDPR" must win over the "GDPR" inside it.
LAWS: Final[dict[Regulation, tuple[str, ...]]] = {
    Regulation.UK_GDPR: ("uk gdpr", "data protection act 2018", "dpa 2018"),
    Regulation.LGPD: (
        "lgpd",
        "lei geral de proteção de dados",
        "lei 13.709",
        "13.709/2018",
    ),
    Regulation.CCPA: (
        "ccpa",
        "cpra",
        "california consumer privacy act",
        "california privacy rights act",
    ),
    Regulation.VCDPA: ("vcdpa", "virginia consumer data protection act"),
    Regulation.CPA: ("colorado privacy act",),
    Regulation.PIPEDA: ("pipeda",),
    Regulation.GDPR: (
        "gdpr",
        "dsgvo",
        "ds-gvo",
        "rgpd",
        "avg",
        "2016/679",
        "general data protection regulation",
        "datenschutz-grundverordnung",
        "règlement général sur la protection des données",
        "reglamento general de protección de datos",
        "regolamento generale sulla protezione dei dati",
        "algemene verordening gegevensbescherming",
        "regulamento geral sobre a proteção de dados",
        "rodo",
        "ogólne rozporządzenie o ochronie danych",
        "dataskyddsförordningen",
    ),
}

# Without one of these (or a law name) an article number could cite any contract or law.
DATA_PROTECTION_WORDS: Final = (
    "data protection",
    "datenschutz*",
    "protection des données",
    "protección de datos",
    "protezione dei dati",
    "gegevensbescherming",
    "proteção de dados",
    "ochrony danych",
    "ochronie danych",
    "dataskydd*",
)

# Everyday customer-service words: each distinct one raises the bar for confidence.
# They count in the subject and near the request itself ("refund me or delete my
# account"), not in a complaint a few sentences before "stop sending me marketing".
NOISE: Final[dict[str, tuple[str, ...]]] = {
    "en": (
        "invoice",
        "refund",
        "charged",
        "billing",
        "payment",
        "subscription",
        "order number",
        "tracking number",
        "password reset",
        "where is my order",
        "bug",
        "not working",
        "doesn t work",
        "error message",
    ),
    "de": ("rechnung", "erstattung", "abbuchung", "zahlung", "bestellnummer"),
    "fr": ("facture", "rembours*", "paiement", "commande"),
    "es": ("factura", "reembolso", "pago", "mi pedido", "número de pedido"),
    "it": ("fattura", "rimborso", "pagamento", "il mio ordine", "numero d'ordine"),
    "nl": ("factuur", "terugbetaling", "betaling", "bestelling"),
    "pt": (
        "fatura",
        "reembolso",
        "estorno",
        "pagamento",
        "encomenda",
        "número do pedido",
    ),
    "pl": ("faktur*", "płatność", "płatności", "zwrot pieniędzy", "zamówieni*"),
    "sv": ("betalning*", "återbetalning", "beställning*"),  # "faktur*" is above
}

# What makes a whole mail a newsletter, a business or a sales mail: these count wherever
# they stand, like the words above.
BUSINESS: Final = (
    # Newsletters' footers.
    "manage preferences",
    "manage your preferences",
    "view in browser",
    "view this email in your browser",
    "you are receiving this email",
    # Business mail about data protection: vendors, procurement, security reviews.
    "data processing agreement",
    "dpa",
    "security questionnaire",
    "vendor",
    "procurement",
    "soc 2",
    "iso 27001",
    "sub processor",
    "our customers",
    "our users",
    "auftragsverarbeitung",
    "fragebogen",
    "unsere kunden",
    # A company's identifiers and product papers.
    "vat id",
    "vat number",
    "tax id",
    "ust id",
    "umsatzsteuer*",
    "numéro de tva",
    "partita iva",
    "btw nummer",
    "data sheet",
    "datasheet",
    # Journalists ask about requests in general.
    "journalist",
    "presseanfrage",
    "press inquiry",
    "press enquiry",
    # "An article", not "Article 15": a piece of writing.
    "an article",
    "einen artikel",
    "un article",
    "un artículo",
    "un articolo",
    "een artikel",
    "um artigo",
    "do artykułu",
    "en artikel",
    "dziennikarz*",
    "periodista",
    "reportaje",
    "giornalista",
    "journaliste",
    "jornalista",
    "reportagem",
    "reporter",
    # Researchers and students ask how the rights are handled in general.
    "survey",
    "questionnaire",
    "research project",
    "umfrage",
    "forschungsprojekt",
    "projet de recherche",
    "encuesta",
    "grupo de investigación",
    "estudio académico",
    "entrevista anónima",
    "questionario",
    "sondaggio",
    "progetto di ricerca",
    "vragenlijst",
    "onderzoeksproject",
    "questionário",
    "doutoramento",
    "doutorado",
    "ankieta",
    "enkät",
    # Students write a thesis about how requests are handled in general.
    "thesis",
    "dissertation",
    "scriptie",
    "masterarbeit",
    "bachelorarbeit",
    "abschlussarbeit",
    "mémoire de master",
    "trabajo de fin de",
    "tesi di laurea",
    "dissertação",
    "tese de mestrado",
    "praca magisterska",
    "pracy magisterskiej",
    "pracy licencjackiej",
    "uppsats",
    "examensarbete",
    # Newsletters of associations and regulators: an issue's table of contents.
    "in this issue",
    "in dieser ausgabe",
    "dans ce numéro",
    "en este número",
    "in questo numero",
    "novità del mese",
    "in deze editie",
    "nesta edição",
    "w tym numerze",
    "i detta nummer",
    "dear members",
    "liebe mitglieder",
    "care socie",
    "cari soci",
    # A colleague's compliance work: the records of processing.
    "records of processing",
    "record of processing",
    "verarbeitungsverzeichnis",
    "verzeichnis von verarbeitungstätigkeiten",
    "registre des traitements",
    "registro de actividades de tratamiento",
    "registro dei trattamenti",
    "verwerkingsregister",
    "registo de atividades",
    "registro de atividades",
    "rejestr czynności",
    "registerförteckning",
    # Developers and admins: the product, not a person's data.
    "api",
    "endpoint",
    "sdk",
    "projekt*",
    "testprojekt*",
    # Account administration: merging two accounts, "then delete the old one".
    "merge*",
    "merging",
    "fusion*",
    "zusammenführ*",
    "zusammenleg*",
    "unificar*",
    "unificare",
    "accorpa*",
    "samenvoeg*",
    "mesclar",
    "połączyć konta",
    "połączenie kont",
    "scalić",
    "slå ihop",
    "sammanfoga",
    # A company's billing identity.
    "cif",
    "cnpj",
    "dirección fiscal",
    "faktureringsadress",
    "rechnungsadresse",
    "billing address",
    "adresse de facturation",
    "indirizzo di fatturazione",
    "factuuradres",
    "dane rozliczeniowe",
    "danych rozliczeniowych",
    # Phishing dressed as a privacy notice: "verify within 12 hours".
    "verify your",
    "verify now",
    "verifiera",
    "verifizieren sie",
    "vérifiez votre",
    "verifique sua",
    "verifique a sua",
    "verifica il tuo",
    "verifieer uw",
    "zweryfikuj",
    "security team",
    # An offer to pay for someone's data.
    "dispuesto a pagar",
    "ik betaal er graag",
    "willing to pay",
    "i will pay",
    # Sales pitches for privacy tooling name the rights too.
    "our platform",
    "our solution",
    "book a demo",
    "schedule a demo",
    "a quick call",
    "minute call",
    "workflow",
    "out of the box",
    "account executive",
    # Newsletters' footers: the unsubscribe link offered to the reader, "… here".
    "unsubscribe here",
    "click here to unsubscribe",
    "hier abmelden",
    "hier abbestellen",
    "désinscrivez vous ici",
    "désabonnez vous ici",
    "date de baja aquí",
    "darse de baja aquí",
    "disiscriviti qui",
    "hier afmelden",
    "meld je hier af",
    "descadastre se aqui",
    "wypisz się tutaj",
    "avregistrera dig här",
    "avsluta prenumerationen här",
    # Internal reports: aggregated figures are nobody's personal data.
    "aggregat*",
    "aggregier*",
    "agrégé*",
    "agregad*",
    "geaggregeerd*",
    "agregowan*",
    "aggregerad*",
    # A joke is not a request: "just kidding", "era broma".
    "just kidding",
    "only joking",
    "era broma",
    "es broma",
    "c est une blague",
    "je plaisante",
    "sto scherzando",
    "stavo scherzando",
    "era uno scherzo",
    "grapje",
    "geintje",
    "brincadeira",
    "żartuję",
    "żartowałem",
    "żartowałam",
    "skämtar",
    "bara skämt",
)

# Mail meant for another company (a gym, a phone line, a bank account; or one the writer
# is not sure is us) that asks it about the writer's data: each counts against
# confidence like the words above, and a deletion said in full does not outweigh it,
# since it was asked of someone else.
ELSEWHERE: Final = (
    "gym",
    "gymmet",
    "fitnessstudio",
    "salle de sport",
    "gimnasio",
    "palestra",
    "sportschool",
    "academia de ginástica",
    "siłowni*",
    "phone plan",
    "mobile plan",
    "phone contract",
    "handyvertrag",
    "mobilfunkvertrag",
    "forfait mobile",
    "tarifa móvil",
    "contratto telefonico",
    "telefoonabonnement",
    "plano de celular",
    "plano de telemóvel",
    "operadora",
    "abonament telefoniczny",
    "mobilabonnemang",
    "telefonabonnemang",
    "bank account",
    "bankkonto",
    "girokonto",
    "compte bancaire",
    "cuenta bancaria",
    "conto corrente",
    "bankrekening",
    "spaarrekening",
    "mijn rekening opheffen",
    "conta bancária",
    "konto bankowe",
    "rachunek bankowy",
    "sparkonto",
    # Not sure it is us at all: "is that you?", "Zijn jullie dat?".
    "is that you",
    "is this you",
    "sind sie das",
    "seid ihr das",
    "est ce vous",
    "c est vous",
    "son ustedes",
    "sois vosotros",
    "siete voi",
    "zijn jullie dat",
    "bent u dat",
    "são vocês",
    "czy to państwo",
    "czy to wy",
    "är det ni",
)

# "Je ne dis pas que c'est vous": the doubt above denied; these are taken out of the
# writer's lines before the words above are looked for.
DOUBTS_DENIED: Final = (
    "not saying it s you",
    "not saying it was you",
    "nicht dass sie das",
    "ne dis pas que c est vous",
    "pas que c est vous",
    "no digo que sean ustedes",
    "no digo que seais vosotros",
    "non dico che siete voi",
    "niet dat jullie het",
    "não digo que são vocês",
    "nie mówię że to wy",
    "inte att det är ni",
)

# Chain letters forwarded to everyone ("copy this text and send it to 10 companies")
# "object" or "withdraw consent" to no one in particular: a mail with these is never
# filed, however firmly it names a right.
CHAIN_LETTERS: Final = (
    "send this to everyone",
    "copy and paste this",
    "copy this text",
    "an alle weiter",
    "schickt es an alle",
    "kopiere diesen text",
    "kopiert diesen text",
    "leitet es weiter",
    "faites suivre",
    "copiez ce texte",
    "copiez ce message",
    "transférez à tous",
    "reenvíalo a todos",
    "reenviadlo",
    "copia este texto",
    "copia este mensaje",
    "pásalo",
    "giratelo",
    "girate a tutti",
    "inoltrate a tutti",
    "copiate questo messaggio",
    "copia questo messaggio",
    "stuur dit door",
    "kopieer deze tekst",
    "kopieer dit bericht",
    "repassem",
    "passem adiante",
    "copie esta mensagem",
    "copie este texto",
    "przekażcie dalej",
    "przekaż dalej",
    "skopiuj ten tekst",
    "skopiuj tę wiadomość",
    "skicka vidare",
    "kopiera texten",
    "kopiera detta",
    "sprid detta",
)

# A new mail asking after an earlier request ("any update on my request?", "ist das
# schon bearbeitet?") asks nothing new: each counts against confidence like the business
# words, and a forward with one is never filed (the request it quotes has arrived
# already). In a reply to the request itself they do not count: it sends it again.
STATUS: Final = (
    "any update",
    "any news on",
    "status of my request",
    "status of the request",
    "already been handled",
    "already been processed",
    "schon bearbeitet",
    "bereits bearbeitet",
    "stand meiner anfrage",
    "gibt es neuigkeiten",
    "déjà traité*",
    "où en est ma demande",
    "des nouvelles de ma demande",
    "ya se ha tramitado",
    "estado de mi solicitud",
    "alguna novedad",
    "già stata evasa",
    "a che punto è la mia richiesta",
    "novità sulla mia richiesta",
    "al behandeld",
    "hoe staat het met mijn verzoek",
    "stand van zaken",
    "já foi tratad*",
    "alguma novidade",
    "andamento do meu pedido",
    "już rozpatrzon*",
    "na jakim etapie",
    "status mojego wniosku",
    "redan behandla*",
    "hur går det med min begäran",
    "någon uppdatering",
)

# Billing documents carry names and addresses: they do not count against a correction.
RECORDS: Final = frozenset(
    {"invoice", "rechnung", "facture", "factura", "fattura", "factuur", "fatura"}
    | {"faktur*"}
)
