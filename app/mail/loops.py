"""Mail-loop protection: recognising inbound mail that is automatic, bulk or a bounce.

Such mail must never get an automatic reply (RFC 3834 section 2), or two robots answer
each other forever. This module only reads headers; the per-sender hourly reply limit
needs the database and lives with the inbound service.
"""

import re
from email.message import Message

# RFC 3834 section 5: any value but "no" marks a message as automatically generated.
_AUTO_SUBMITTED_HUMAN = "no"

# RFC 2076 / de-facto: these Precedence values mark bulk, list and vacation mail.
_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk", "auto_reply", "auto-reply"})

# Exchange/Outlook: the sender asks not to be answered by robots (OOF = out of office).
_SUPPRESS_VALUES = frozenset({"all", "oof", "autoreply"})

# Role accounts that send bounces and notifications, with "+tag"/"-suffix" variants.
_ROBOT_SENDER = re.compile(
    r"^(?:mailer-daemon|postmaster|no[-_.]?reply|do[-_.]?not[-_.]?reply|bounces?)"
    r"(?:[-+.].*)?$",
    re.IGNORECASE,
)
# A mail server itself: its reports and notices (Exchange signs as MicrosoftExchange<hex>).
_DELIVERY_SENDER = re.compile(
    r"^(?:mailer-daemon|mail-daemon|postmaster|microsoftexchange[0-9a-f]*)$", re.I
)
# Marks servers put on the reports they write: Exim's failed list, Exchange's NDR flag.
_REPORT_HEADERS = ("X-Failed-Recipients", "X-MS-Exchange-Message-Is-Ndr")
_KEYWORD = re.compile(r"[A-Za-z0-9_-]+")
_ADDRESS_IN_BRACKETS = re.compile(r"<([^<>]*)>")


def _header(msg: Message, name: str) -> str | None:
    """The header as one line, or None; never raises on broken values."""
    try:
        value = msg.get(name)
    except Exception:  # a malformed header must not stop loop detection
        return None
    if value is None:
        return None
    try:
        return " ".join(str(value).split())
    except Exception:  # str() of a defective header object can fail
        return None


def _sender_local_part(msg: Message) -> str | None:
    """The local part of From (or of a bare `MAILER-DAEMON` without a domain)."""
    value = _header(msg, "From")
    if not value:
        return None
    match = _ADDRESS_IN_BRACKETS.search(value)
    address = match.group(1) if match else value.split()[0]
    return address.rsplit("@", 1)[0].strip().strip('"') or None


def _content_type(msg: Message) -> str:
    try:
        return msg.get_content_type()
    except Exception:  # RFC 2045: a broken Content-Type means text/plain
        return "text/plain"


def _report_type(msg: Message) -> str | None:
    try:
        param = msg.get_param("report-type")
    except Exception:  # parameter parsing of hostile headers can fail
        return None
    return param.lower() if isinstance(param, str) else None


def from_delivery_system(msg: Message) -> bool:
    """Whether a mail server itself wrote `msg` (by its sender or its report headers)."""
    if any(_header(msg, name) is not None for name in _REPORT_HEADERS):
        return True
    local_part = _sender_local_part(msg)
    return bool(local_part and _DELIVERY_SENDER.match(local_part))


def automatic_reason(msg: Message) -> str | None:
    """Why `msg` is automatic, bulk or a bounce (a short label); None for a person."""
    auto_submitted = _header(msg, "Auto-Submitted")
    if auto_submitted:
        # The keyword may be followed by parameters and CFWS comments (RFC 3834 section 5).
        keyword = _KEYWORD.match(auto_submitted)
        value = keyword.group(0).lower() if keyword else "unknown"
        if value != _AUTO_SUBMITTED_HUMAN:
            return f"auto-submitted: {value}"
    if _content_type(msg) == "multipart/report":
        return f"report: {_report_type(msg) or 'unknown'}"
    if _report_type(msg) == "delivery-status":
        return "report: delivery-status"
    # A null reverse-path is what MTAs use for bounces and RFC 3834 for auto-replies.
    if _header(msg, "Return-Path") == "<>":
        return "empty return-path"
    local_part = _sender_local_part(msg)
    if local_part and _ROBOT_SENDER.match(local_part):
        return f"robot sender: {local_part.lower()}"
    if from_delivery_system(msg):
        return "delivery system"
    for name in ("X-Autoreply", "X-Autorespond"):
        if _header(msg, name):
            return name.lower()
    suppress = _header(msg, "X-Auto-Response-Suppress")
    if suppress:
        values = {part.strip().lower() for part in suppress.split(",")}
        if values & _SUPPRESS_VALUES:
            return "x-auto-response-suppress"
    precedence = _header(msg, "Precedence")
    if precedence and precedence.lower() in _BULK_PRECEDENCE:
        return f"precedence: {precedence.lower()}"
    for name in ("List-Id", "List-Unsubscribe"):
        if _header(msg, name):
            return name.lower()
    return None


# Auto-replies that carry none of the headers above still say what they are, in their
# subject ("Automatic reply: ...", "Abwesenheitsnotiz") or in their first lines.
_AUTO_SUBJECT = re.compile(
    r"^\W*(?:"
    r"auto(?:matic|matische|matisch|matiskt|matyczna)?[ _-]?(?:reply|response|answer"
    r"|antwort|antwoord|svar|odpowied\w*)"
    r"|autoreply|auto-?respon\w*|out of (?:the )?office|abwesenheit\w*"
    r"|abwesend|au[sß]er haus|r[ée]ponse automatique|absence du bureau"
    r"|respuesta autom[áa]tica|fuera de la oficina|risposta automatica|fuori (?:sede|ufficio)"
    r"|automatisch antwoord|afwezig(?:heid)?|niet aanwezig|resposta autom[áa]tica"
    r"|fora do escrit[óo]rio|aus[êe]ncia|odpowied[źz] automatyczna|poza biurem"
    r"|nieobecno[śs][ćc]|automatiskt svar|fr[åa]nvaro\w*|autosvar"
    # Holiday words alone are subjects of people's mail too: only as a label ("Urlaub:").
    r"|(?:absent|ooo|vacation|on vacation|on holiday|urlaub|semester|cong[ée]s?|vacaciones"
    r"|ferie|vakantie|f[ée]rias|urlop)\s*(?:[:\]-]|$)"
    r")",
    re.IGNORECASE,
)
_AUTO_BODY = re.compile(
    r"this is an automa(?:ted|tic) (?:reply|response|message)"
    r"|i am (?:currently )?(?:out of (?:the )?office|away from the office|on (?:annual )?leave)"
    r"|i'?m (?:currently )?(?:out of (?:the )?office|away|on (?:annual )?leave)"
    r"|i will be (?:out of (?:the )?office|away|on (?:annual )?leave)"
    r"|dies ist eine automatische (?:antwort|nachricht)"
    r"|ich bin (?:derzeit |zurzeit |momentan )?[^\n]{0,40}(?:nicht im b[üu]ro|abwesend"
    r"|au[sß]er haus|im urlaub)"
    r"|ceci est une r[ée]ponse automatique|je suis (?:actuellement )?absente?"
    r"|esta es una respuesta autom[áa]tica|estoy (?:fuera de la oficina|de vacaciones|ausente)"
    r"|questa [èe] una risposta automatica|sono (?:fuori (?:sede|ufficio)|in ferie|assente)"
    r"|dit is een automatisch (?:antwoord|bericht)|ik ben (?:momenteel )?[^\n]{0,30}"
    r"(?:afwezig|niet op kantoor|op vakantie)"
    r"|esta [ée] uma resposta autom[áa]tica|estou (?:fora do escrit[óo]rio|de f[ée]rias|ausente)"
    r"|to jest automatyczna odpowied[źz]|jestem (?:poza biurem|na urlopie|nieobecn\w*)"
    r"|detta [äa]r ett automatiskt svar|jag [äa]r (?:ledig|fr[åa]nvarande|inte p[åa] kontoret)"
    # Challenge-response filters: the sender must prove to be a person first.
    r"|(?:verify|confirm|prove) (?:that )?you are (?:a )?(?:human|real person|not a robot)"
    r"|your message (?:is being held|has been held|is awaiting (?:your )?verification)"
    r"|challenge[- ]response|sender verification|whitelist|auf die whitelist"
    r"|best[äa]tigen sie,? dass sie ein mensch sind",
    re.IGNORECASE,
)
MAX_AUTO_BODY_CHARS = (
    600  # auto-replies say it at once; a person's mail may say it later
)


def automatic_text_reason(subject: str, text: str) -> str | None:
    """Why mail without automatic headers is an auto-reply (from its words); None if not."""
    if _AUTO_SUBJECT.match(subject):
        return "auto-reply: subject"
    own = "\n".join(
        line
        for line in text[: MAX_AUTO_BODY_CHARS * 4].splitlines()
        if not line.lstrip().startswith(">")
    )
    if _AUTO_BODY.search(own[:MAX_AUTO_BODY_CHARS]):
        return "auto-reply: text"
    return None
