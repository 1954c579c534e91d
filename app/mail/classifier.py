"""Guessing what an inbound email asks for: request type, regulation hint and language.

Two readers add up: the cue table of `cues.py` (the rights' and laws' names, article
numbers) and the intent reader of `intents.py` (requests as people write them). The
verdict is a suggestion for staff triage: `confident` is set only when one type clearly
wins, so mail that is vague, mixes rights, asks how, or reads like ordinary customer
service or business mail is never filed automatically.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from app import language as detection
from app.enums import Regulation, RequestType
from app.mail import cues, intents, wording
from app.mail.intents import normalise

THRESHOLD = 3.0  # one STRONG cue, or a CLEAR plus a HINT
NOISE_STEP = 1.0  # each distinct customer-service cue raises the threshold by this
MAX_NOISE = 3.0
CLOSE_SECOND = 0.7  # a runner-up at 70 % of the winner's score or more: "ask staff"
SUBJECT_FACTOR = 1.5  # people name the right in the subject line
QUOTED_FACTOR = 0.25  # quoted replies (lines starting ">") are mostly our own words
REPLY_SUBJECT_FACTOR = 1.0  # "Re: …": the subject replied to, as the writer's lines
MAX_SCAN_CHARS = 20_000  # requests are short; this bounds the work on huge mail
LOOKS_LIKE = 2.0  # one CLEAR cue or a loose intent: worth telling the sender we have it
# "Re: Cuenta eliminada", "AW: Bestätigung der Löschung": a reply's subject is often
# ours, so it counts no more than the writer's lines, and alone it never files: the
# mail is acknowledged, and a reminder "Re: Delete my account" files by its body.
_REPLY_SUBJECT = re.compile(
    r"^\W*(?:re|aw|sv|odp|antw|r|res|vs|ynt)\s*(?:\[\d+\])?\s*:", re.IGNORECASE
)
# "Fwd: Boletín AEPD …": a forward of news, when it names a right but nobody's own data.
_FORWARD_SUBJECT = re.compile(
    r"^\W*(?:fwd?|fw|wg|tr|rv|enc|i|doorst|pd|vb|vl)\s*:", re.IGNORECASE
)
# In a reply, what follows "-----Original Message-----" or "On … wrote:" is quoted.
_REPLY_HEADER = re.compile(
    r"^[ \t]*(?:-{3,} ?(?:original message|urspr[uü]ngliche nachricht"
    r"|message d'origine|mensaje original|messaggio originale|oorspronkelijk bericht"
    r"|mensagem original|oryginalna wiadomo\w*|ursprungligt meddelande) ?-{3,}"
    r"|.{0,300}(?:wrote|schrieb|a [ée]crit|escribi[óo]|ha scritto|scrisse|escreveu"
    r"|schreef|skrev|napisa[łl]\w*(?: ?\(a\))?) ?:)[ \t]*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Classification:
    """The verdict; `matched` lists the cues that fired, for the staff UI."""

    request_type: RequestType | None
    regulation: Regulation | None
    confident: bool
    language: str | None
    scores: Mapping[RequestType, float] = field(hash=False)
    matched: tuple[str, ...]
    looks_like_request: bool = False


@dataclass(frozen=True, slots=True)
class _Phrase:
    """A phrase of the cue table, as found in normalised text."""

    literal: str
    pattern: re.Pattern[str]

    def search(self, text: str) -> bool:
        # Normalised text has single spaces, so the words in a row are a substring: a
        # plain test first, since most mail holds none of the phrases.
        return self.literal in text and self.pattern.search(text) is not None

    def sub(self, text: str) -> str:
        return self.pattern.sub(" ", text) if self.literal in text else text


@dataclass(frozen=True, slots=True)
class _Cue:
    request_type: RequestType
    label: str
    weight: float
    pattern: _Phrase


def _compile(phrase: str) -> _Phrase:
    prefix = phrase.endswith("*")
    words = normalise(phrase.rstrip("*")).split()
    body = r"\s+".join(re.escape(word) for word in words)
    # Word boundaries only next to Latin letters and digits; Japanese has no spaces.
    start = r"(?<![^\W_])" if words[0][0].isascii() else ""
    end = "" if prefix or not words[-1][-1].isascii() else r"(?![^\W_])"
    return _Phrase(" ".join(words), re.compile(start + body + end))


def _phrases(phrases: Iterable[str]) -> tuple[tuple[str, _Phrase], ...]:
    """Each phrase beside its pattern, to name what was found."""
    return tuple((phrase, _compile(phrase)) for phrase in phrases)


def _found(
    table: tuple[tuple[str, _Phrase], ...],
    segments: Iterable[tuple[str, float]],
) -> list[str]:
    """The phrases of `table` that occur in `segments`."""
    pieces = tuple(segments)
    return [phrase for phrase, pattern in table if _best_factor(pattern, pieces)]


def _build_cues() -> tuple[_Cue, ...]:
    built = []
    for request_type, languages in cues.CUES.items():
        for language, phrases in languages.items():
            for phrase, weight in phrases.items():
                label = f"{request_type}: {phrase.rstrip('*')} ({language})"
                built.append(_Cue(request_type, label, weight, _compile(phrase)))
    for section, request_type in cues.CCPA_SECTIONS.items():
        label = f"{request_type}: section {section}"
        built.append(_Cue(request_type, label, cues.STRONG, _compile(section)))
    return tuple(built)


_CUES = _build_cues()
_LAWS = {
    regulation: tuple((name, _compile(name)) for name in names)
    for regulation, names in cues.LAWS.items()
}
_CCPA_SECTIONS = tuple(_compile(section) for section in cues.CCPA_SECTIONS)
_DATA_PROTECTION = tuple(_compile(phrase) for phrase in cues.DATA_PROTECTION_WORDS)
_NOISE = _phrases(phrase for phrases in cues.NOISE.values() for phrase in phrases)
_BUSINESS = _phrases(cues.BUSINESS)
_ELSEWHERE = _phrases(cues.ELSEWHERE)
_DOUBTS_DENIED = tuple(_compile(phrase) for phrase in cues.DOUBTS_DENIED)
_CHAIN_LETTERS = _phrases(cues.CHAIN_LETTERS)
_STATUS = _phrases(cues.STATUS)
_RECEIVED = _phrases(cues.RECEIVED)
_DECEASED = _phrases(cues.DECEASED)
_THEIR_VISITORS = _phrases(cues.THEIR_VISITORS)
_ABOUT_RIGHTS = _phrases(cues.ABOUT_RIGHTS)
# "Art. 15", "Artikel 17 Abs. 1", "articles 15 and 17", "art. 15, 16 e 17".
_ARTICLE = re.compile(
    r"(?<![^\W_])(?:"
    + "|".join(cues.ARTICLE_WORDS)
    + r")(?![a-z])\.?\s*(\d{1,3})(?!\d)"
    r"((?:\s*(?:,|and|und|et|y|e|en|/|&|or|oder|ou|o)\s*(?:art\w*\.?\s*)?"
    r"\d{1,3}(?!\d))*)"
)
# "art. 18, inciso VI, da LGPD": the roman item number names the right.
_LGPD_ITEM = re.compile(
    r"(?<![^\W_])art(?:igo|\.)?\s*18\b[^\d\n]{0,30}?"
    r"(?<![^\W_])(ix|iv|vi{0,3}|i{1,3})(?![^\W_])"
)


def classify(subject: str, text: str) -> Classification:
    """Score `subject` and `text` against the cue table and give a triage verdict."""
    reply = _REPLY_SUBJECT.match(subject) is not None
    forwarded = _FORWARD_SUBJECT.match(subject) is not None
    segments = _segments(subject, text, reply, forwarded)
    scores = dict.fromkeys(RequestType, 0.0)
    matched: list[str] = []
    for cue in _CUES:
        factor = _best_factor(cue.pattern, segments)
        if factor:
            scores[cue.request_type] += cue.weight * factor
            matched.append(cue.label)
    language = detect_language(subject, text)
    reading = _score_intents(subject, text, language, scores, matched, reply, forwarded)
    if reply and reading.in_body:
        # "Re: borrar cuenta" over "quitadme de esa lista": the subject names the
        # request handled, the body a new one; what only the subject says yields.
        for request_type, score in scores.items():
            if score and not _said_in_body(request_type, reading, segments):
                scores[request_type] = score * QUOTED_FACTOR
                matched.append(f"noise: {request_type} only in the reply's subject")
    regulation, law_labels = _regulation(segments)
    matched.extend(law_labels)
    _score_articles(segments, regulation, scores, matched)
    # Where customer-service words count: in the subject and the writer's own lines
    # (quoted lines are mostly our own words, "your subscription has been cancelled");
    # and when the winner was read from one sentence, only there and in the subject: a
    # complaint about an invoice before "stop sending me marketing" is no invoice query.
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    winner = next(
        (i for i in reading.intents if i.request_type is ranked[0][0] and i.sentence),
        None,
    )
    where = segments[:2] if winner is None else (segments[0], (winner.sentence, 1.0))
    noise = sorted(set(_found(_NOISE, where)) | set(_found(_BUSINESS, segments[:2])))
    (best_type, best), (_, second) = ranked[0], ranked[1]
    if best_type is RequestType.RECTIFICATION:
        # Names and addresses are printed on invoices: a wrong one there is still ours.
        noise = [phrase for phrase in noise if phrase not in cues.RECORDS]
    doubts = len(noise)
    if doubts and winner is not None and winner.complete:
        # "Refund both payments, then delete my account and all my data": a request
        # said in full outweighs one customer-service word beside it.
        matched.append("noise: one word outweighed by the request said in full")
        doubts -= 1
    # "Quero cancelar meu plano de celular e que apaguem meus dados": asked of another
    # company, however fully it is said.
    doubted = tuple(
        (_strip(_DOUBTS_DENIED, text), factor) for text, factor in segments[:2]
    )
    elsewhere = _found(_ELSEWHERE, doubted)
    doubts += len(elsewhere)
    # "Any update? …" above the request itself, in a reply to it, sends the request
    # again (we may never have had it); a new mail or a forward that asks after one
    # refers to a request already received.
    status = [] if reply else _found(_STATUS, segments[:2])
    status += _found(_RECEIVED, segments[1:2])
    doubts += len(status)
    deceased = _found(_DECEASED, segments[:2])
    doubts += len(deceased)
    if reading.organisational:
        # "We", never "my" or "I": a controller, vendor or journalist naming the rights.
        matched.append("noise: written for an organisation, not about the writer")
        doubts += 1
    threshold = THRESHOLD + min(MAX_NOISE, NOISE_STEP * doubts)
    matched.extend(
        f"noise: {phrase}" for phrase in [*noise, *elsewhere, *status, *deceased]
    )
    # Only the rights' names, and never "my" or "me": a newsletter, a survey, a phishing
    # notice ("ditt konto raderas enligt GDPR artikel 17") name the rights too.
    cue_only = winner is None and not any(
        i.request_type is best_type and i.strength >= THRESHOLD for i in reading.intents
    )
    impersonal = cue_only and not reading.personal and best > 0
    if impersonal:
        matched.append("noise: names a right, not the writer's own")
    general = impersonal and bool(_found(_ABOUT_RIGHTS, segments[:2]))
    if general:
        matched.append("noise: about the rights in general")
    if reading.takes_back:
        matched.append("noise: the writer takes an earlier request back")
    chain = bool(_found(_CHAIN_LETTERS, segments))
    if chain:
        matched.append("noise: a chain letter, sent to everyone")
    # "One of our shoppers wants a copy": a customer passes on their visitor's request.
    theirs = bool(_found(_THEIR_VISITORS, segments[:2]))
    if theirs:
        matched.append("noise: about the writer's own shoppers or visitors")
    if forwarded and status:
        matched.append("noise: a forward that asks after the request it quotes")
    confident = (
        best >= threshold
        and second < best * CLOSE_SECOND
        and not reading.asks_how
        and not reading.takes_back
        and not chain
        and not (forwarded and status)
        and not theirs
        and not (impersonal and (reading.organisational or forwarded or bool(noise)))
        and not general
    )
    if confident and reply and not _said_in_body(best_type, reading, segments):
        confident = False
        matched.append("noise: only the subject of a reply says it")
    return Classification(
        request_type=best_type if best > 0 else None,
        regulation=regulation,
        confident=confident,
        language=language,
        scores=MappingProxyType(scores),
        matched=tuple(matched),
        looks_like_request=best >= LOOKS_LIKE,
    )


def _said_in_body(
    request_type: RequestType,
    reading: intents.Reading,
    segments: tuple[tuple[str, float], ...],
) -> bool:
    """Whether the writer's own lines say it too, not only the subject replied to."""
    if request_type in reading.in_body:
        return True
    own = segments[1][0]
    weight = sum(
        cue.weight
        for cue in _CUES
        if cue.request_type is request_type and cue.pattern.search(own)
    )
    return weight >= THRESHOLD


def _segments(
    subject: str, text: str, reply: bool = False, forwarded: bool = False
) -> tuple[tuple[str, float], ...]:
    """Normalised (text, weight) pieces: subject, own lines, quoted lines."""
    own, quoted = _split_quoted(text, reply)
    return (
        (normalise(subject), _subject_factor(reply or forwarded)),
        (normalise(own), 1.0),
        (normalise(quoted), QUOTED_FACTOR),
    )


def _best_factor(pattern: _Phrase, segments: Iterable[tuple[str, float]]) -> float:
    # A cue counts once, at the weight of the most prominent place it appears.
    return max(
        (factor for text, factor in segments if pattern.search(text)), default=0.0
    )


def _strip(patterns: Iterable[_Phrase], text: str) -> str:
    for pattern in patterns:
        text = pattern.sub(text)
    return text


def _regulation(
    segments: tuple[tuple[str, float], ...],
) -> tuple[Regulation | None, list[str]]:
    """The law the mail names most (ties: the more specific law), with the cues used."""
    remaining = [text for text, _ in segments]
    totals: dict[Regulation, float] = {}
    labels: list[str] = []
    for regulation, patterns in _LAWS.items():
        for name, pattern in patterns:
            for index, (_, factor) in enumerate(segments):
                if pattern.search(remaining[index]):
                    totals[regulation] = totals.get(regulation, 0.0) + factor
                    labels.append(f"regulation: {regulation} ({name})")
                # Drop what matched so "uk gdpr" is not counted again as "gdpr".
                remaining[index] = pattern.sub(remaining[index])
    if any(pattern.search(text) for text, _ in segments for pattern in _CCPA_SECTIONS):
        totals[Regulation.CCPA] = totals.get(Regulation.CCPA, 0.0) + 1.0
    if not totals:
        return None, []
    order = list(_LAWS)
    best = max(totals, key=lambda reg: (totals[reg], -order.index(reg)))
    return best, sorted(set(labels), key=labels.index)


def _score_articles(
    segments: tuple[tuple[str, float], ...],
    regulation: Regulation | None,
    scores: dict[RequestType, float],
    matched: list[str],
) -> None:
    """Add article-number cues: GDPR Art. 15-21, or LGPD Art. 18 items."""
    if regulation is Regulation.LGPD:
        for text, factor in segments:
            for match in _LGPD_ITEM.finditer(text):
                request_type = cues.LGPD_ITEMS.get(match.group(1))
                if request_type is not None:
                    scores[request_type] += cues.STRONG * factor
                    matched.append(f"{request_type}: LGPD art. 18, {match.group(1)}")
        return
    if regulation not in (None, Regulation.GDPR, Regulation.UK_GDPR):
        return  # US and Canadian laws number their rights differently
    in_context = regulation is not None or any(
        pattern.search(text) for text, _ in segments for pattern in _DATA_PROTECTION
    )
    weight = cues.STRONG if in_context else cues.HINT
    found: dict[int, float] = {}
    for text, factor in segments:
        for match in _ARTICLE.finditer(text):
            numbers = [
                int(match.group(1)),
                *map(int, re.findall(r"\d+", match.group(2))),
            ]
            for number in numbers:
                if number in cues.GDPR_ARTICLES:
                    found[number] = max(found.get(number, 0.0), factor)
    for number, factor in sorted(found.items()):
        request_type = cues.GDPR_ARTICLES[number]
        scores[request_type] += weight * factor
        matched.append(f"{request_type}: art. {number}")


def detect_language(subject: str, text: str) -> str | None:
    """ISO 639-1 code of the mail's own words (quoted lines left out); None when unsure."""
    own, _ = _split_quoted(text)
    return detection.detect(subject + "\n" + own)


def _subject_factor(reply: bool) -> float:
    # "Fwd: usunięcie moich danych": a forward's subject, like a reply's, is the
    # subject of the mail it carries, not the writer's own words.
    return REPLY_SUBJECT_FACTOR if reply else SUBJECT_FACTOR


def _split_quoted(text: str, reply: bool = False) -> tuple[str, str]:
    own: list[str] = []
    quoted: list[str] = []
    below = False  # in a reply, under "-----Original Message-----" or "… wrote:"
    for line in text[:MAX_SCAN_CHARS].splitlines():
        below = below or (reply and _REPLY_HEADER.match(line) is not None)
        is_quoted = below or line.lstrip().startswith(">")
        (quoted if is_quoted else own).append(line.lstrip(" >"))
    return "\n".join(own), "\n".join(quoted)


def _score_intents(
    subject: str,
    text: str,
    language: str | None,
    scores: dict[RequestType, float],
    matched: list[str],
    reply: bool = False,
    forwarded: bool = False,
) -> intents.Reading:
    """Add the intent rules' findings to `scores` and `matched`; the reading."""
    # English is read too: people mix it in ("bitte mein Account deleten").
    if language in wording.WORDS:
        read_with = [language] if language == "en" else [language, "en"]
    else:
        read_with = list(wording.WORDS)
    own, quoted = _split_quoted(text, reply)
    factor = _subject_factor(reply or forwarded)
    pieces = ((subject, factor), (own, 1.0), (quoted, QUOTED_FACTOR))
    reading = intents.read(pieces, read_with)
    if len(read_with) < len(wording.WORDS) and not any(
        intent.strength >= THRESHOLD for intent in reading.intents
    ):
        # Short mail fools the detector ("Parem de me enviar emails de marketing" reads
        # as English): when its language finds nothing firm, every language is tried.
        others = [code for code in wording.WORDS if code not in read_with]
        retry = intents.read(pieces, read_with, others)
        if any(intent.strength >= THRESHOLD for intent in retry.intents):
            reading = retry
            matched.append("language: read in all languages")
    for intent in reading.intents:
        # The same words often fire a cue and an intent: the stronger reading counts.
        scores[intent.request_type] = max(scores[intent.request_type], intent.strength)
        matched.append(intent.label)
    if reading.asks_how:
        matched.append("noise: the mail asks how (a how-to question)")
    return reading
