"""Reading a request from its parts: an action on the writer's own data, account or mail.

People rarely name the right they use. They write "get rid of my account", "what do you
have on me", "stop emailing me", "usuńcie moje konto". Each sentence is cut into words,
each word is given its classes from `wording.py` (by stem, so inflected forms match, and
with one typo allowed on longer stems), and a small set of rules combines the classes:
an erasing verb near a data or account word in a sentence where the writer speaks of
their own ("my", "me"), a stop word near a mailing word, a question word with "about me".

Nothing fires on "your account will be deleted" (not the writer's), "we need your DPA"
(no action on own data) or "I can't delete my account" (a negation just before the verb:
a bug report). Each rule gives a type and a strength: `FIRM` can carry a verdict alone,
`LOOSE` only makes the mail look like a request (it is then acknowledged, not filed).
"""

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from app.enums import RequestType
from app.mail import wording

FIRM = 3.0
LOOSE = 2.0
NEAR = 4  # words between an action and its object
FUZZY_MIN = 5  # stems shorter than this must be spelt right
MAX_SENTENCE_WORDS = 80
SHORT = 4  # words: a line this short may leave out the "my"
MAX_SENTENCES = 200
MAX_CHARS = 6_000  # requests say what they want at once; this bounds the work
# Mail wraps lines inside sentences: a single line break is no boundary, a blank line is.
_SENTENCE = re.compile(r"[.!?;\u3002]+|\n[ \t>]*\n")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Intent:
    """One rule that fired: the type, how firmly, and the words that made it fire."""

    request_type: RequestType
    strength: float
    label: str


Phrase = tuple[tuple[str, ...], bool, frozenset[str]]  # words, last word whole, classes


@dataclass(frozen=True, slots=True)
class _Lexicon:
    exact: dict[str, frozenset[str]]
    # Stems by their first letter: a word is compared with those that can match it.
    prefixes: dict[str, tuple[tuple[str, frozenset[str]], ...]]
    suffixes: tuple[tuple[str, frozenset[str]], ...]
    phrases: dict[str, tuple[Phrase, ...]]  # by first word, longest first


# Letters that Unicode does not decompose into a base letter and an accent.
_UNDECOMPOSED = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "\u0131": "i"})


def normalise(text: str) -> str:
    """Lower-case, accent-free text with apostrophes and dashes as spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_UNDECOMPOSED))
    chars = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        category = unicodedata.category(char)
        # Apostrophes and dashes vary by keyboard ("l'effacement", "opt-out").
        if char in "'`\u00b4" or category in ("Pd", "Pi", "Pf"):
            chars.append(" ")
        else:
            chars.append(char)
    return " ".join("".join(chars).split())


@functools.cache
def _lexicon(language: str) -> _Lexicon:
    exact: dict[str, set[str]] = {}
    prefixes: dict[str, set[str]] = {}
    suffixes: dict[str, set[str]] = {}
    phrases: dict[tuple[tuple[str, ...], bool], set[str]] = {}
    for word_class, stems in wording.WORDS[language].items():
        for raw in stems:
            whole = raw.endswith("$")
            compound = raw.startswith("*")
            words = tuple(normalise(raw.strip("$*")).split())
            if len(words) > 1:
                phrases.setdefault((words, whole), set()).add(word_class)
            elif compound:
                suffixes.setdefault(words[0], set()).add(word_class)
            elif whole:
                exact.setdefault(words[0], set()).add(word_class)
            else:
                prefixes.setdefault(words[0], set()).add(word_class)
    by_letter: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for stem, classes in sorted(prefixes.items()):
        by_letter.setdefault(stem[0], []).append((stem, frozenset(classes)))
    by_first: dict[str, list[Phrase]] = {}
    for (words, whole), classes in sorted(
        phrases.items(), key=lambda item: -len(item[0][0])
    ):
        by_first.setdefault(words[0], []).append((words, whole, frozenset(classes)))
    return _Lexicon(
        exact={word: frozenset(classes) for word, classes in exact.items()},
        prefixes={letter: tuple(stems) for letter, stems in by_letter.items()},
        suffixes=tuple((s, frozenset(c)) for s, c in sorted(suffixes.items())),
        phrases={word: tuple(found) for word, found in by_first.items()},
    )


def _close(word: str, stem: str) -> bool:
    """One typo (a letter missing, extra, wrong or swapped) off the stem's start."""
    if len(stem) < FUZZY_MIN or len(word) < FUZZY_MIN - 1 or word[0] != stem[0]:
        return False
    return any(
        OSA.distance(word[:size], stem, score_cutoff=1) <= 1
        for size in (len(stem) - 1, len(stem), len(stem) + 1)
        if size <= len(word) or size == len(stem) - 1
    )


@functools.lru_cache(maxsize=50_000)
def _classes(language: str, word: str) -> frozenset[str]:
    lexicon = _lexicon(language)
    found: set[str] = set(lexicon.exact.get(word, ()))
    stems = lexicon.prefixes.get(word[:1], ())
    for stem, classes in stems:
        if word.startswith(stem):
            found |= classes
    for stem, classes in lexicon.suffixes:
        if word.endswith(stem) and len(word) > len(stem):
            found |= classes
    if found:
        return frozenset(found)
    # Only an unknown word may be a misspelt one: "delte", "acount", "infomation".
    if len(word) < FUZZY_MIN - 1:
        return frozenset()
    for stem, classes in stems:
        if _close(word, stem):
            found |= classes
    for exact_word, classes in lexicon.exact.items():
        if len(exact_word) >= FUZZY_MIN and _close(word, exact_word):
            found |= classes
    return frozenset(found)


class _Sentence:
    """The words of one sentence, each with its classes in the languages asked."""

    def __init__(self, words: Sequence[str], languages: Sequence[str]):
        self.words = list(words)
        self.classes: list[set[str]] = [set() for _ in self.words]
        for language in languages:
            self._mark(language)

    def _mark(self, language: str) -> None:
        lexicon = _lexicon(language)
        taken = [False] * len(self.words)
        for start, word in enumerate(self.words):
            for words, whole, classes in lexicon.phrases.get(word, ()):
                size = len(words)
                if any(taken[start : start + size]):
                    continue
                if self._phrase_at(start, words, whole):
                    self.classes[start] |= classes
                    for index in range(start, start + size):
                        taken[index] = True
                    break
        for index, word in enumerate(self.words):
            if not taken[index]:
                self.classes[index] |= _classes(language, word)

    def _phrase_at(self, start: int, words: tuple[str, ...], whole: bool) -> bool:
        *head, last = words
        here = self.words[start : start + len(words)]
        if here[:-1] != head:
            return False
        return here[-1] == last if whole else here[-1].startswith(last)

    def at(self, word_class: str) -> list[int]:
        return [i for i, classes in enumerate(self.classes) if word_class in classes]

    def has(self, *word_classes: str) -> bool:
        return any(
            word_class in classes
            for classes in self.classes
            for word_class in word_classes
        )

    def near(
        self, first: str, others: Iterable[str], reach: int = NEAR
    ) -> tuple[int, int] | None:
        """Positions of a `first` word and an `others` word at most `reach` apart."""
        wanted = set(others)
        for i in self.at(first):
            if self._negated(i, first):
                continue
            for j, classes in enumerate(self.classes):
                if j != i and abs(i - j) <= reach and classes & wanted:
                    return i, j
        return None

    def _negated(self, index: int, word_class: str) -> bool:
        # "I can't delete my account", "ich kann es nicht löschen": trouble, not a wish.
        if word_class in ("stop", "neg", "want", "object", "sell", "optout"):
            return False
        return any("neg" in self.classes[j] for j in range(max(0, index - 3), index))

    def together(self, first: str, second: str) -> int | None:
        """A word that is both at once: a verb with its pronoun attached."""
        for index, classes in enumerate(self.classes):
            if first in classes and second in classes and not self._negated(index, first):
                return index
        return None

    def own(self) -> bool:
        return self.has("mine", "me", "aboutme")

    def label(self, request_type: RequestType, pair: tuple[int, int]) -> str:
        first, second = sorted(pair)
        if first == second:  # "about me": show the words around it
            return (
                f"{request_type}: {' '.join(self.words[max(0, first - 3) : first + 2])}"
            )
        return f"{request_type}: {self.words[first]} … {self.words[second]}"


def _sentence_intents(sentence: _Sentence) -> list[tuple[RequestType, float, str]]:
    """The rules; each returns at most one intent per type for the sentence."""
    found: list[tuple[RequestType, float, str]] = []

    def fire(request_type: RequestType, strength: float, pair: tuple[int, int]) -> None:
        found.append((request_type, strength, sentence.label(request_type, pair)))

    own = sentence.own()
    listed = sentence.has("list", "marketing")
    objects = ("data", "account", "everything")
    # Erasure, or "remove me from your list" (an objection to the mailing).
    if pair := sentence.near("erase", ("list",), NEAR + 2):
        if sentence.has("me", "mine"):
            fire(RequestType.OBJECTION, FIRM, pair)
    elif (own and (pair := sentence.near("erase", objects))) or (
        (pair := sentence.near("erase", ("me",), 2)) and not listed
    ):
        fire(RequestType.ERASURE, FIRM, pair)
    elif len(sentence.words) <= SHORT and (pair := sentence.near("erase", objects)):
        fire(RequestType.ERASURE, FIRM, pair)  # a subject line: "delete account"
    elif (both := sentence.together("erase", "me")) is not None and not listed:
        fire(RequestType.ERASURE, FIRM, (both, both))  # "dimenticatemi", "olvidadme"
    elif own and (pair := sentence.near("close", ("account",))):
        firm = sentence.has("data", "everything")
        fire(RequestType.ERASURE, FIRM if firm else LOOSE, pair)
    # Objection: "stop emailing me", "I don't want your newsletter", "I object".
    mail_words = ("contact", "marketing", "list")
    if (
        (own and (pair := sentence.near("stop", mail_words)))
        or (sentence.has("neg") and (pair := sentence.near("want", mail_words, 6)))
        or (
            (pair := sentence.near("neg", ("contact",), 3))
            and sentence.near("contact", ("me",), 2)
        )
        or (
            (
                pair := sentence.near(
                    "object", ("use", "data", "marketing", "contact"), 6
                )
            )
            and (own or sentence.has("marketing"))
        )
    ):
        fire(RequestType.OBJECTION, FIRM, pair)
    elif own and (pair := sentence.near("use", ("marketing",))):
        if sentence.has("stop", "neg", "object"):
            fire(RequestType.OBJECTION, FIRM, pair)
    elif (pair := sentence.near("unsub", ("me", "mine", "list", "contact"), 6)) or (
        pair := sentence.near("unsub", ("unsub", "everything"), 6)
    ):
        fire(RequestType.OBJECTION, LOOSE, pair)
    # Restriction: limit or freeze the use of one's data; "stop using it until ...".
    if own and (pair := sentence.near("restrict", ("data", "use", "account"), 5)):
        fire(RequestType.RESTRICTION, FIRM, pair)
    elif own and (pair := sentence.near("stop", ("use",), 3)):
        if sentence.has("pending"):
            fire(RequestType.RESTRICTION, FIRM, pair)
        elif sentence.has("data", "everything", "account"):
            fire(RequestType.OBJECTION, FIRM, pair)
    # Rectification: correct, update, "my address is wrong".
    details = ("data", "detail")
    if (own and (pair := sentence.near("rectify", details))) or (
        own and (pair := sentence.near("wrong", details))
    ):
        fire(RequestType.RECTIFICATION, FIRM, pair)
    # Opt-out of sale or sharing (CCPA).
    if (
        (pair := sentence.near("sell", ("data", "everything", "detail"), 5))
        and (sentence.has("neg", "stop", "optout"))
    ) or (pair := sentence.near("optout", ("sell",), 5)):
        fire(RequestType.OPT_OUT, FIRM, pair)
    # Portability and access.
    if own and (pair := sentence.near("export", ("data", "account", "everything"))):
        fire(RequestType.PORTABILITY, FIRM, pair)
    if own and (pair := sentence.near("access", ("data", "everything"))):
        fire(RequestType.ACCESS, FIRM, pair)
    elif sentence.has("aboutme") and not found:
        where = sentence.at("aboutme")[0]
        if sentence.has("question", "data", "access"):
            fire(RequestType.ACCESS, FIRM, (where, where))
    return found


def read(text: str, languages: Sequence[str]) -> list[Intent]:
    """The intents in `text` (any case and accents) read with `languages`' words."""
    known = [language for language in languages if language in wording.WORDS]
    best: dict[RequestType, Intent] = {}
    has_format = False
    for index, piece in enumerate(_SENTENCE.split(text[:MAX_CHARS])):
        if index >= MAX_SENTENCES:
            break
        words = _WORD.findall(normalise(piece))[:MAX_SENTENCE_WORDS]
        if not words:
            continue
        sentence = _Sentence(words, known)
        has_format = has_format or sentence.has("format")
        for request_type, strength, label in _sentence_intents(sentence):
            held = best.get(request_type)
            if held is None or held.strength < strength:
                best[request_type] = Intent(request_type, strength, label)
    # "A copy of my data as CSV, to move to another provider" asks for portability.
    access = best.get(RequestType.ACCESS)
    if has_format and access is not None:
        del best[RequestType.ACCESS]
        fired = access.label.partition(": ")[2]
        label = f"{RequestType.PORTABILITY}: {fired} (a file format)"
        best.setdefault(
            RequestType.PORTABILITY,
            Intent(RequestType.PORTABILITY, access.strength, label),
        )
    return list(best.values())
