"""Which language a short text is written in: the one place DSR Desk guesses it.

Mail intake calls `detect` for the ticket's language and to pick the classifier's word
lists; other intake paths (the form's Accept-Language, issue 11) can fall back to it.

Two signals: the frequent short words of each language, which decide when they clearly
point one way (lingua's trigram model takes "I want a copy of my info" for Polish), and
otherwise lingua, restricted to the nine languages we read. The detector is built on first
use and kept for the life of the process: in low-accuracy mode it costs about 35 MB and
0.15 s once, then about a millisecond per message (the high-accuracy mode needs 270 MB and
2.5 s to load, for no gain on mail). Japanese is recognised by its kana alone.
"""

import re
import threading
import unicodedata

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

__all__ = ["LANGUAGES", "detect"]

# ISO 639-1 codes of the languages the classifier reads, in lingua's names.
_LINGUA: dict[str, Language] = {
    "en": Language.ENGLISH,
    "de": Language.GERMAN,
    "fr": Language.FRENCH,
    "es": Language.SPANISH,
    "it": Language.ITALIAN,
    "nl": Language.DUTCH,
    "pt": Language.PORTUGUESE,
    "pl": Language.POLISH,
    "sv": Language.SWEDISH,
}
LANGUAGES: tuple[str, ...] = (*_LINGUA, "ja")

MAX_SAMPLE_CHARS = 2_000  # a request's first lines say enough; bounds the work
MIN_LETTERS = 4  # "Ok" says nothing about its language
MIN_CONFIDENCE = 0.35  # lingua's share for the winner; below it, say nothing
MIN_KANA = 3
_KANA = re.compile(r"[\u3040-\u30ff]")
_WORDS = re.compile(r"(?<!\S)[^\W\d_]{2,}[,.:;!?)]?(?!\S)")
PROSE_SHARE = 0.5  # of the characters, in plain words
_CODES = {language: code for code, language in _LINGUA.items()}
_WORD = re.compile(r"[a-z]+")
MIN_STOPWORDS = 2
# Frequent short words, accent-free. A language wins on them alone with at least two hits
# and twice as many as any other.
_STOPWORDS: dict[str, frozenset[str]] = {
    code: frozenset(words.split())
    for code, words in {
        "en": "the and you your my i to of please that is with for have this we are me"
        " would it be not on from all what do can",
        "de": "und der die das ich sie nicht mit meine meiner meinen ihre ihnen bitte ist"
        " zu den von fur uber ein eine auf dass mich mir sehr geehrte habt ihr",
        "fr": "le les et je vous mes des pour une est avec votre dans sur pas merci mon ma"
        " au aux ce qui ne du moi",
        "es": "el los las y mis por para una con su sus usted del al mi muy le se lo es"
        " que gracias hola porfa",
        "it": "il lo di che dei per mi miei una sono con del della non vostra grazie gli ai"
        " delle nel alla ciao",
        "nl": "het een en ik van mijn u uw niet met voor dat zijn op te graag wij ook aan"
        " om naar jullie mij",
        "pt": "o os as meus dos das para uma com nao por voce voces vcs vossa vosso vossos"
        " obrigado do da em meu minha"
        " ao solicito",
        "pl": "i w z na nie sie jest ze do to o moje moich moj mnie prosze czy jak od za po"
        " tak dane danych moim czesc witam",
        "sv": "och att det som en ett jag ar pa med for inte mitt min mina mig har av till"
        " om vi ni kan vill tack hej",
    }.items()
}
_BUILD_LOCK = threading.Lock()  # mail is read in worker threads: build it once


_built: list[LanguageDetector] = []


def _detector() -> LanguageDetector:
    if not _built:
        with _BUILD_LOCK:
            if not _built:
                detector = LanguageDetectorBuilder.from_languages(*_LINGUA.values())
                _built.append(detector.with_low_accuracy_mode().build())
    return _built[0]


def detect(text: str) -> str | None:
    """ISO 639-1 code of the language `text` is written in, or None when unsure."""
    sample = unicodedata.normalize("NFC", text[:MAX_SAMPLE_CHARS])
    if len(_KANA.findall(sample)) >= MIN_KANA:
        return "ja"
    # Binary junk decoded as text has letters too, but few of them make words.
    in_words = sum(map(len, _WORDS.findall(sample)))
    if in_words < MIN_LETTERS or in_words < PROSE_SHARE * len("".join(sample.split())):
        return None
    counts = _stopword_counts(sample)
    (hits, best), (runner_up, _) = counts[0], counts[1]
    if hits >= MIN_STOPWORDS and hits >= 2 * runner_up:
        return best
    # Lingua takes only valid Unicode, and a Python str may hold lone surrogates.
    sample = sample.encode("utf-8", "replace").decode("utf-8")
    values = _detector().compute_language_confidence_values(sample)
    if not values or values[0].value < MIN_CONFIDENCE:
        return None
    guess = _CODES.get(values[0].language)
    # Lingua takes "I want to be forgotten" for Swedish: a guess with none of its own
    # frequent words loses to the language with the most (two at least, and alone).
    if {code: n for n, code in counts}.get(guess or "") == 0 and (
        hits >= MIN_STOPWORDS and hits > runner_up
    ):
        return best
    return guess


def _stopword_counts(sample: str) -> list[tuple[int, str]]:
    """How many of each language's frequent words the text has, most first."""
    folded = "".join(
        char
        for char in unicodedata.normalize("NFKD", sample.casefold())
        if not unicodedata.combining(char)
    )
    words = _WORD.findall(folded)
    return sorted(
        (
            (sum(word in stopwords for word in words), code)
            for code, stopwords in _STOPWORDS.items()
        ),
        reverse=True,
    )
