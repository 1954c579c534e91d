"""Mail written for someone else: a lawyer for a client, a child for a parent.

The data subject is then the person named, not the sender, and the sender is their
authorised agent (the form's agent flow). `read_agency` finds the words that say so, in the
nine languages, or a power of attorney among the attachments, and the subject's name and
address where the mail gives them. Without the subject's address the pipeline sends the
mail to triage: the sender's own address must never become the subject's.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from app.mail.mime import ADDRESS_IN_TEXT

# "On behalf of my client", "im Auftrag meines Mandanten", "w imieniu mojego klienta" ...
_ON_BEHALF = re.compile(
    r"\bon behalf of\b|\bacting for\b|\bi represent\b|\bwe represent\b"
    r"|\bauthori[sz]ed agent\b|\bpower of attorney\b|\bas (?:the )?(?:legal )?representative of\b"
    r"|\bim auftrag (?:meine[rs]?|unsere[rs]?|von)\b|\bin vollmacht\b|\bvertrete (?:ich|wir)\b"
    r"|\bbevollm[äa]chtigt|\bvollmacht\b"
    r"|\bau nom de\b|\bpour le compte de\b|\bmandataire\b|\bprocuration\b"
    r"|\ben nombre de\b|\ben representaci[óo]n de\b|\bpoder notarial\b"
    r"|\bper conto d[ei]\b|\bin nome d[ei]\b|\bin rappresentanza di\b"
    r"|\bnamens\b|\bgemachtigde\b|\bvolmacht\b"
    r"|\bem nome d[eo]\b|\bprocura[çc][ãa]o\b|\bem representa[çc][ãa]o de\b"
    r"|\bw imieniu\b|\bpe[łl]nomocni"
    r"|\bp[åa] uppdrag av\b|\bf[öo]r min klients r[äa]kning\b|\bfullmakt\b|\bombud\b"
    # A guardian appointed by a court: "legal guardian", "Betreuerin", "god man".
    r"|\blegal guardian\b|\bgesetzliche[r]? betreuer(?:in)?\b|\btut(?:eur|rice)\b"
    r"|\bcurat(?:eur|rice)\b|\btutora? legal\b|\bcurador(?:a)?\b|\btutore legale\b"
    r"|\bamministrat(?:ore|rice) di sostegno\b|\bbewindvoerder\b"
    r"|\bopiekun(?:ka)? prawn[ya]\b|\bgod man\b|\bhuvudman\b|\bf[öo]rvaltare\b",
    re.IGNORECASE,
)
_ATTORNEY_FILE = re.compile(
    r"power.?of.?attorney|\bpoa\b|vollmacht|procuration|poder|procura|volmacht"
    r"|pe[łl]nomocnictw|fullmakt|authori[sz]ation|mandat",
    re.IGNORECASE,
)
# The person named after "my client" (or "on behalf of"): one to three capitalised words,
# after a title such as "Frau", "Mme" or "Sr." that is not part of the name.
_CLIENT_NAME = re.compile(
    r"(?i:\b(?:client|mandant(?:en|in)?|klient(?:en|in|ki|a|s)?|cliente|cli[ëe]nte?"
    r"|mother|father|son|daughter|wife|husband|mutter|vater|m[èe]re|p[èe]re"
    r"|on behalf of|au nom de|en representaci[óo]n de|em nome de|per conto di"
    r"|god man f[öo]r|huvudman)\b)"
    r"[,:]?\s+(?:(?i:frau|herrn?|mrs?|ms|miss|sra?|d|d[ñn]a|mme|mlle|m|mevrouw|meneer|de heer"
    r"|pani|pana?|sig(?:ra|nora?)?|dott(?:ssa)?|dr|fru|herr)\.?\s+)?"
    r"((?:[A-ZÀ-ÖØ-Þ][\w'-]+[ \t]?){1,3})",
)
MAX_SCAN_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class Agency:
    """The mail acts for someone else: who, as far as it says, and why we think so."""

    subject_email: str | None
    subject_name: str | None
    evidence: str  # the words or the attachment that say so, for staff


def read_agency(
    text: str,
    attachment_names: Iterable[str | None],
    *,
    sender: str | None,
    ours: str | None,
) -> Agency | None:
    """Whether the writer acts for another person, and that person's name and address."""
    sample = text[:MAX_SCAN_CHARS]
    said = _ON_BEHALF.search(sample)
    attorney = next(
        (name for name in attachment_names if name and _ATTORNEY_FILE.search(name)),
        None,
    )
    if said is None and attorney is None:
        return None
    evidence = said.group(0) if said else f"attachment {attorney}"
    named = _CLIENT_NAME.search(sample)
    return Agency(
        subject_email=_other_address(sample, sender, ours),
        subject_name=named.group(1).strip() if named else None,
        evidence=evidence,
    )


def _other_address(text: str, sender: str | None, ours: str | None) -> str | None:
    """The first address in the text that is neither the sender's nor on our domain."""
    own = (sender or "").lower()
    for found in ADDRESS_IN_TEXT.finditer(text):
        address = found.group(0).rstrip(".").lower()
        domain = address.rpartition("@")[2]
        if address != own and domain != (ours or "").lower():
            return found.group(0).rstrip(".")
    return None
