"""Reading a request from its parts: an action on the writer's own data, account or mail.

People rarely name the right they use. They write "get rid of my account", "what do you
have on me", "stop emailing me", "usuńcie moje konto". Each sentence is cut into words,
each word is given its classes from `wording.py` (by stem, so inflected forms match, and
with one typo allowed on longer stems), and a small set of rules combines the classes:
an erasing verb near a data or account word in a sentence where the writer speaks of
their own ("my", "me"), a stop word near a mailing word, a question word with "about me".

The mail is read as a whole: what one sentence says (the data is to be kept, a detail is
wrong, "my data" that a later "it" stands for) holds for the others, and the specific
right outranks the general one it contains (keeping the data while its use stops is a
restriction, not an objection; an opt-out of sale is not an objection to marketing).

Nothing fires on "your account will be deleted" (not the writer's), "we need your DPA"
(no action on own data), "I can't delete my account" (a negation: a bug report), "I
deleted my account by mistake" (what the writer did) or a disclaimer's "delete it". Each
rule gives a type and a strength: `FIRM` can carry a verdict alone, `LOOSE` only makes
the mail look like a request (it is then acknowledged, not filed); a how-to question is
never more than `LOOSE`.
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
NEAR = 6  # words between an action and its object (German puts verbs last)
# Languages whose "not" follows the finite verb ("ruft mich nicht an", "bel me niet").
_VERB_FIRST = frozenset({"de", "nl", "sv"})
# What a request is about: the writer's data, account, one detail, or everything.
_THINGS = frozenset({"data", "account", "detail", "everything"})
FUZZY_MIN = 5  # stems shorter than this must be spelt right
FUZZY_TAIL = 6  # a word this much longer than a stem is not its typo
OWN_FACTOR = 0.5  # pieces weighed at least this are the writer's own (not quoted)
BODY = 1  # the pieces are the subject, the writer's own lines, the quoted lines
FUZZY_CLASSES = frozenset({"erase", "access", "export", "data", "account"})
MAX_SENTENCE_WORDS = 80
SHORT = 4  # words: a line this short may leave out the "my"
MAX_SENTENCES = 200
MAX_CHARS = 6_000  # requests say what they want at once; this bounds the work
# Mail wraps lines inside sentences: a single line break is no boundary, a blank line is.
# A full stop inside "raj.m@example.net" or "03.07.1988" is no boundary either.
# "¿" and "¡" open a sentence: "Hola, pero ¿cómo elimino sus datos?" asks at "cómo".
_SENTENCE = re.compile(r"[.!?;\u3002]+(?=\s|$)|[!?;\u3002\u00bf\u00a1]+|\n[ \t>]*\n")
# A line of links ("Unsubscribe | Manage my data | Your rights") is a newsletter's
# footer or a site's menu (also after the footer's last sentence on its line): the
# reader's options, nothing the writer asks.
_MENU = re.compile(
    r"(?:^[ \t]*|(?<=[.!?] ))[^|\n.!?]{1,40}(?:\|[^|\n]{1,40})+$", re.MULTILINE
)
_WORD = re.compile(r"[a-z0-9]+")
# Classes a verb with an attached pronoun may have.
_ACTIONS = frozenset(
    {"erase", "access", "export", "rectify", "contact", "restrict", "use", "close"}
    | {"unsub", "stop"}
)
# What another language's words may add when the mail's own language found nothing: its
# actions and objects, never its small words (French "ma" in Polish "plik ma" is no "my").
_CONTENT = _ACTIONS | {
    "data",
    "account",
    "detail",
    "contact",
    "list",
    "marketing",
    "format",
    "sell",
    "optout",
    "wrong",
    "keep",
    "object",
}
_CLITIC_CLASSES = {"me": {"me", "mine"}, "pron": {"pron"}}
_PARTICIPLE_PREFIX = frozenset({"de", "nl"})
# Words a full stop abbreviates without ending the sentence.
_ABBREVIATIONS = frozenset(
    {"art", "arts", "abs", "nr", "no", "dr", "mr", "mrs", "ms", "st", "ul", "ca", "vs"}
    | {"etc", "inc", "ltd", "dott", "sig", "sr", "sra", "mgr", "adw", "tel", "pkt"}
    | {"ust", "bzw", "ggf", "z", "b"}
)


@dataclass(frozen=True, slots=True)
class Intent:
    """One rule that fired: the type, how firmly, and the words that made it fire."""

    request_type: RequestType
    strength: float
    label: str
    sentence: str = ""  # the normalised words of the sentence it was read in
    # "Delete my account and all my data": the request said in full.
    complete: bool = False


@dataclass(frozen=True, slots=True)
class Reading:
    """What the intent reader found in a mail."""

    intents: tuple[Intent, ...]
    # The writer speaks for an organisation ("we", "our customers") and never of
    # themselves ("my", "me", "I") nor for a client: a controller asking how to delete
    # a visitor's data, a journalist, a vendor. They name the rights too.
    organisational: bool
    # It asks how to do something ("How do I delete my account?"): never filed.
    asks_how: bool = False
    # The writer speaks of their own ("my", "me") or writes for a client.
    personal: bool = True
    # The types a rule read firmly in the writer's own lines (not the subject alone).
    in_body: frozenset[RequestType] = frozenset()
    # "Ignore my last mail", "ich habe es mir anders überlegt": an earlier request is
    # taken back; whatever else the mail names, staff read it.
    takes_back: bool = False


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
        for raw in (stem.strip() for stem in stems.split(",")):
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
    if len(word) > len(stem) + FUZZY_TAIL:
        return False  # a long compound is no typo: "köparprofiler" is no "kopia"
    return any(
        OSA.distance(word[:size], stem, score_cutoff=1) <= 1
        for size in (len(stem) - 1, len(stem), len(stem) + 1)
        if size <= len(word) or size == len(stem) - 1
    )


@functools.lru_cache(maxsize=50_000)
def _classes(language: str, word: str, *, guess: bool) -> frozenset[str]:
    lexicon = _lexicon(language)
    found: set[str] = set(lexicon.exact.get(word, ()))
    stems = lexicon.prefixes.get(word[:1], ())
    for stem, classes in stems:
        if word.startswith(stem):
            found |= classes
    for stem, classes in lexicon.suffixes:
        if word.endswith(stem) and len(word) > len(stem):
            found |= classes
    participle = language in _PARTICIPLE_PREFIX and word[:2] == "ge" and len(word) > 6
    if not found and participle:
        # German and Dutch past participles: "geblokkeerd", "gesperrt", "gewist"; and
        # if none, a misspelt word that starts with "ge" ("gegevns").
        found |= _classes(language, word[2:], guess=False)
    if found:
        return frozenset(found)
    # Only an unknown word may be a misspelt one: "delte", "acount", "infomation". Only
    # the actions and objects are guessed at: a near-miss of a small word means nothing.
    if not guess or len(word) < FUZZY_MIN - 1:
        return frozenset()
    for stem, classes in stems:
        if classes & FUZZY_CLASSES and _close(word, stem):
            found |= classes & FUZZY_CLASSES
    for exact_word, classes in lexicon.exact.items():
        # A whole word is missspelt as a whole: "sacado" is no "sacar".
        fuzzy = classes & FUZZY_CLASSES and len(exact_word) >= FUZZY_MIN
        if fuzzy and word[0] == exact_word[0] and OSA.distance(word, exact_word) <= 1:
            found |= classes & FUZZY_CLASSES
    if not found and participle:  # a misspelt participle: "gelsöcht"
        return _classes(language, word[2:], guess=True)
    return frozenset(found)


class _Sentence:
    """The words of one sentence, each with its classes in the languages asked."""

    def __init__(
        self,
        words: Sequence[str],
        languages: Sequence[str],
        factor: float = 1.0,
        question: bool = False,
        others: Sequence[str] = (),
    ):
        self.words = list(words)
        self.languages = tuple(languages)
        self.factor = factor
        self.question = question  # it ended with "?"
        self.lead: _Sentence | None = None  # the clause before its "¿", if any
        self.for_someone = False
        # An earlier sentence spoke of the writer's own data: "it", "them" may point to it.
        self.refers_back = False
        # The mail says elsewhere to keep the data ("don't delete it", "until ...").
        self.keeps_data = False
        # The mail says a detail (name, address) is wrong, old or new: "please fix".
        self.names_detail = False
        # The mail speaks of the writer's details: "correct that" may point to them.
        self.detail_context = False
        # The details the mail names as the login's: "Change email" above "my login
        # email" is that one.
        self.login_words: frozenset[str] = frozenset()
        self.classes: list[set[str]] = [set() for _ in self.words]
        for language in languages:
            self._mark(language)
        # Another language's words only for words the mail's own languages do not know:
        # German "wissen" (to know) is no Dutch "wissen" (to erase).
        known = [bool(classes) for classes in self.classes]
        for language in others:
            self._mark(language, _CONTENT, known)
        # Typos are guessed in the mail's own language only ("transmettre" is no typo of
        # "transmit"), and only for words that no language knows.
        for index, word in enumerate(self.words):
            if not self.classes[index] and languages:
                self.classes[index] |= _classes(languages[0], word, guess=True)
        for language in languages:
            self._clitics(language)
        # Another language's endings only on its own verbs: French "supprime" is no
        # Spanish verb with "me" attached.
        for language in others:
            self._clitics(language, own_verbs=True)
        # "Sale como Ruíz" (Spanish "appears"), "no vosso CRM" (Portuguese "in the"): a
        # word of the mail's own language that the English read alongside takes for
        # another ("sale", "no"); its `not_` class takes that class away.
        for classes in self.classes:
            for word_class in [c for c in classes if c.startswith("not_")]:
                classes.discard(word_class.removeprefix("not_"))
        # "Dat klopt gewoon niet", "stimmt so nicht": a "right" with a "not" is wrong.
        for index in self.at("right"):
            around = self.classes[max(0, index - 2) : index + 4]
            if any("neg" in classes or "negafter" in classes for classes in around):
                self.classes[index].add("wrong")
        # "Jeśli to pomyłka, przepraszam", "sorry if I have the wrong company": a
        # mistake supposed in an "if" clause says no detail is wrong.
        for index in self.at("wrong"):
            if self.opens_with_if(index):
                self.classes[index].discard("wrong")
        # A disclaimer ("If you received it in error, notify the sender and delete it")
        # says nothing about what the writer wants.
        if self.has("boilerplate"):
            self.classes = [set() for _ in self.words]

    def _clitics(self, language: str, own_verbs: bool = False) -> None:
        # Spanish and Italian attach pronouns to verbs: "mandarme", "borradlos",
        # "cancellatemi". A known action ending in one also has its object.
        for suffix, word_class in wording.CLITICS.get(language, {}).items():
            for index, word in enumerate(self.words):
                verb = (
                    _classes(language, word, guess=False)
                    if own_verbs
                    else self.classes[index]
                )
                if (
                    word.endswith(suffix)
                    and len(word) >= len(suffix) + 4
                    and verb & _ACTIONS
                ):
                    self.classes[index] |= _CLITIC_CLASSES[word_class]

    def _mark(
        self,
        language: str,
        only: frozenset[str] | None = None,
        known: Sequence[bool] = (),
    ) -> None:
        lexicon = _lexicon(language)
        for start, word in enumerate(self.words):
            if known and known[start]:
                continue
            # A phrase marks its first word; its words keep their own classes too
            # ("nie chcę więcej" is a stop phrase, and "chcę" still says "I want").
            for words, whole, classes in lexicon.phrases.get(word, ()):
                if self._phrase_at(start, words, whole):
                    self.classes[start] |= classes if only is None else classes & only
        for index, word in enumerate(self.words):
            if known and known[index]:
                continue
            classes = _classes(language, word, guess=False)
            self.classes[index] |= classes if only is None else classes & only

    def _phrase_at(self, start: int, words: tuple[str, ...], whole: bool) -> bool:
        *head, last = words
        here = self.words[start : start + len(words)]
        if here[:-1] != head:
            return False
        return here[-1] == last if whole else here[-1].startswith(last)

    @property
    def text(self) -> str:
        return " ".join(self.words)

    def at(self, word_class: str) -> list[int]:
        return [i for i, classes in enumerate(self.classes) if word_class in classes]

    def has(self, *word_classes: str) -> bool:
        return any(
            word_class in classes
            for classes in self.classes
            for word_class in word_classes
        )

    def preceded(self, index: int, word_class: str, reach: int = 3) -> bool:
        """Whether a word of the class comes at most `reach` words before `index`."""
        return any(
            word_class in self.classes[j] for j in range(max(0, index - reach), index)
        )

    def of_self(self, pair: tuple[int, int]) -> bool:
        """Whether the writer is the one who does it: "I don't use it any more"."""
        # Not "ich will nicht, dass Sie sie nutzen": the writer wants, the company uses.
        if self.howto():  # "How do I delete my account?" asks, and is acknowledged
            return False
        span = self.classes[max(0, min(pair) - 2) : max(pair) + 1]
        wish = self.classes[max(0, min(pair) - 4) : max(pair) + 1]  # "verlange ich die"
        return any("self" in c for c in span) and not any("want" in c for c in wish)

    def stops_after(self, index: int, words: Iterable[str]) -> bool:
        """Whether "stop" follows the run of `words` at `index`: "the emails to stop"."""
        wanted = set(words)
        end = index
        while end + 1 < len(self.classes) and self.classes[end + 1] & wanted:
            end += 1
        # "… mi dirección de correo, la antigua ya no existe": two words on, not four.
        return any("stop" in c for c in self.classes[end + 1 : end + 3])

    def adverb_only(self, pair: tuple[int, int]) -> bool:
        """A "no longer" that is not about the mail: "mi correo, la antigua ya no existe".

        "No more emails", "ya no deseo recibir sus correos" stop the mail; a "no longer"
        after the mail word, and not before a wish, says something else.
        """
        stop, mail = pair
        wish = self.classes[stop + 1 : stop + 4]
        return (
            "nolonger" in self.classes[stop]
            and not (0 < mail - stop <= 3)
            and not any(c & {"want", "receive"} for c in wish)
        )

    def framed(
        self, word_class: str, before: str, after: str
    ) -> tuple[int, int] | None:
        """A word of the class just after a `before` word and just before an `after`
        word: "geen mails meer", "keine Werbung mehr", "plus de mails"."""
        for index in self.at(word_class):
            ahead = self.classes[index + 1 : index + 3]
            if self.preceded(index, before, 2) and any(after in c for c in ahead):
                return index, index
        return None

    def relative(self, index: int) -> bool:
        """A relative pronoun just before `index`: "… som inte används längre"."""
        return index > 0 and "which" in self.classes[index - 1]

    def again(self, word_class: str) -> tuple[int, int] | None:
        """A "not" with "again" before a word of the class: "No me volváis a llamar",
        "não voltem a ligar"."""
        for index in self.at("again"):
            if self.preceded(index, "neg", 3):
                for j in range(index + 1, min(len(self.classes), index + 4)):
                    if word_class in self.classes[j]:
                        return index, j
        return None

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
                    if self._someone_elses(j):
                        continue
                    return i, j
        return None

    def _someone_elses(self, index: int) -> bool:
        if not self.classes[index] & {"data", "account", "detail"}:
            return False
        # "Faktureringsadress", "poprawienie adresu w danych rozliczeniowych": the
        # company's billing details, not a person's.
        if "detail" in self.classes[index] and any(
            "billing" in c for c in self.classes[max(0, index - 3) : index + 4]
        ):
            return True
        # "Nom de domaine", "domeinnaam": a website's name, not a person's.
        if "detail" in self.classes[index] and any(
            "domain" in c for c in self.classes[index : index + 3]
        ):
            return True
        # "Change my login email", "l'indirizzo email del mio login": the account's
        # sign-in, which the writer administers, not a record about them; and "our
        # company" is the organisation's detail, not the writer's.
        if "detail" in self.classes[index] and (
            self._login(index)
            or self.words[index] in self.login_words
            or (index > 0 and "we" in self.classes[index - 1])
        ):
            return True
        # "Testdaten", "mis datos de prueba": test data are nobody's personal data.
        if any("test" in c for c in self.classes[max(0, index - 1) : index + 3]):
            return True
        # "¿Qué datos tienen de mi exmarido?", "sobre o meu vizinho": a relative's or a
        # neighbour's, not the writer's (unless an agent writes).
        if not self.for_someone and self.relative_of(index):
            return True
        # "Mi hermano tenía una cuenta", "mein Vater … hatte ein Konto": the relative
        # named before it holds it, unless "my" stands right before the object.
        if not self.for_someone and self.relative_before(index):
            return True
        # "My colleague wants his data deleted", "my colleague's account": his, not mine
        # (unless an agent writes).
        return (
            not self.for_someone
            and index > 0
            and ("theirs" in self.classes[index - 1] or self.words[index - 1] == "s")
        )

    def _login(self, index: int) -> bool:
        # "Ik wil inloggen met <address> in plaats van mijn werkadres": the address
        # before it spans many words, so a sign-in named anywhere before counts.
        return any("login" in c for c in self.classes[: index + 5])

    def login_details(self) -> list[str]:
        """The detail words named as the login's: "my login email"."""
        return [self.words[i] for i in self.at("detail") if self._login(i)]

    def relative_of(self, index: int) -> bool:
        """A relative or neighbour of the writer's within a few words after `index`."""
        for j in range(index + 1, min(len(self.classes), index + 7)):
            # "De mon ancienne assistante", "of my late father": a word may stand between.
            if "relation" in self.classes[j] and any(
                "mine" in classes for classes in self.classes[max(index + 1, j - 2) : j]
            ):
                return True
        return False

    def mine_before(self, index: int) -> bool:
        """A "my" just before `index`, one word between at most ("my own data"); not
        the "me" of "dizer-me que dados", which is mine and me at once."""
        return any(
            "mine" in c and "me" not in c
            for c in self.classes[max(0, index - 2) : index]
        )

    def relative_before(self, index: int) -> bool:
        """A relative of the writer's earlier in the sentence, and no "my" before `index`."""
        if index > 0 and "mine" in self.classes[index - 1]:
            return False
        for j in range(1, index):
            # A parent acts for a child ("mijn zoon (15) heeft een account"), not for
            # a brother, a late father or a former assistant.
            if (
                self.classes[j] & {"relation", "child"} == {"relation"}
                and "mine" in self.classes[j - 1]
            ):
                return True
        return False

    def _negated(self, index: int, word_class: str) -> bool:
        # "Rispondi CANCELLAMI", "reply REMOVE": the keyword a mailing tells its reader
        # to send back, not a wish of the writer's.
        if index > 0 and "keyword" in self.classes[index - 1]:
            return True
        # "I can't delete my account", "ich kann es nicht löschen": trouble, not a wish.
        # ("Don't use my data for marketing": the "not" is the wish itself.)
        if word_class in ("stop", "neg", "want", "object", "sell", "optout", "use"):
            return False
        # "Auf keinen Fall mein Konto oder meine Daten löschen": however far before.
        if any("never" in self.classes[j] for j in range(index)):
            return True
        # "Dass mein Konto gelöscht wurde", "ha sido eliminada", "cuenta eliminada",
        # "Bestätigung der Löschung": what was done is reported, not asked, unless a
        # wish says it is to be done.
        near = range(max(0, index - 2), min(len(self.classes), index + 3))
        reported = any(self.classes[j] & {"done", "confirm"} for j in near)
        if reported and not self.has("want"):
            return True
        # Four words back reaches "I don't want it deleted". "Not just unsubscribed",
        # "niet alleen verbergen, echt verwijderen": the "not" takes only the next word.
        for j in range(max(0, index - 4), index):
            if "neg" in self.classes[j] and (
                "only" not in self.classes[j + 1] or index == j + 2
            ):
                return True
        # "Löschen Sie nichts", "radera inte", "delete nothing" (but not "not only", and
        # not the "niets" of the next verb: "geblokkeerd worden, niets verwijderen").
        for k in range(index + 1, min(len(self.classes), index + 4)):
            if self.classes[k] & _ACTIONS:
                break
            if "negafter" in self.classes[k]:
                following = self.classes[k + 1 : k + 2]
                if not any(c & (_ACTIONS | {"only"}) for c in following):
                    return True
                break
        before = range(max(0, index - 3), index)
        # "Before I close my account, send me ...": a plan in a side clause, not the ask.
        return any("before" in self.classes[j] for j in before)

    def own_detail(self) -> bool:
        """A detail (name, address) that is not a company's billing detail."""
        return any(not self._someone_elses(i) for i in self.at("detail"))

    def updated(self) -> bool:
        """The writer reports an update done, and asks none here: "ho aggiornato la
        sezione … con il nuovo fornitore di email" (not "Ho cambiato numero,
        aggiornatelo")."""
        # "He cambiado de apellido", "alterei o nome": a change of the writer's own is
        # the fresh detail, not an update of our records.
        changes = [i for i in self.at("rectify") if "fresh" not in self.classes[i]]
        return (
            self.has("done")
            and bool(changes)
            and all(self._negated(index, "rectify") for index in changes)
        )

    def conditional(self, index: int) -> bool:
        """A question opened by an "if" before `index`: "If I cancel, will you delete
        my data?", "Se un giorno decidessi di chiudere il mio account, …?" (but not "if
        possible", "si pueden": a polite request)."""
        # "If you still have my data, can you send it?" asks all the same: the
        # condition is the writer's ("if I", "si algún día quisiera").
        if not self.question or self.has("please"):
            return False  # "If I send my ID, can you delete my account?" asks
        lead = self.lead
        if lead is not None and lead.leads_on():
            clause = lead.classes + self.classes[:index]
        elif self.opens_with_if(index):
            clause = self.classes[:index]
        else:
            return False
        return any(c & {"self", "someday"} for c in clause)

    def leads_on(self) -> bool:
        """A question whose condition the next one carries: "If I cancel, …?" or
        "What happens to my data after I cancel?" (a question about what would be)."""
        return self.opens_with_if(len(self.words)) or (
            self.question and self.has("fate")
        )

    def greets_readers(self) -> bool:
        """A greeting to the readers as clients: "Sehr geehrte Mandantinnen", "Dear
        clients" (not "Hello, I act for my mother")."""
        return any(
            0 < i < 3 and "greeting" in self.classes[i - 1] for i in self.at("agent")
        ) and not self.has("mine", "self")

    def denies_agency(self) -> bool:
        """The writer says they hold no authority: "ni soy el albacea"."""
        return any(self.preceded(index, "neg", 4) for index in self.at("agent"))

    def opens_with_if(self, index: int) -> bool:
        """An "if" in the sentence's first words, before `index`, not "if possible"."""
        for j in range(min(index, 4)):
            if "if" in self.classes[j]:
                after = self.classes[j + 1 : j + 4]
                return not any("possible" in classes for classes in after)
        return False

    def forbids(self, word_class: str) -> bool:
        """A "not" right before the action, as a wish, not a condition or a report:
        "NO la borréis", "não me descadastrem", "auf keinen Fall … löschen" (but not
        "Do not archive it, remove it", nor "if it is not deleted by Friday")."""
        # "Der Abmeldelink geht nicht": a link that does not work forbids nothing.
        if self.has("broken"):
            return False
        for index in self.at(word_class):
            if self.opens_with_if(index):
                continue
            if any("never" in self.classes[j] for j in range(index)):
                return True
            for j in range(max(0, index - 4), index):
                between = self.classes[j + 1 : index]
                # Right before it, or with only a wish between: "NIE chcę się wypisywać".
                close = index - j <= 2 or any("want" in c for c in between)
                if (
                    "neg" in self.classes[j]
                    and close
                    and "only" not in self.classes[j + 1]
                ):
                    return True
            for k in range(index + 1, min(len(self.classes), index + 3)):
                if "negafter" in self.classes[k]:
                    return True
        return False

    def unnegated(self, word_class: str) -> list[int]:
        """The words of the class without a "not" that takes them back."""
        return [i for i in self.at(word_class) if not self._negated(i, word_class)]

    def negated_any(self, word_class: str) -> bool:
        """Whether a word of the class is there with a "not" just before it."""
        return any(self._negated(index, word_class) for index in self.at(word_class))

    def asks_how(self) -> bool:
        """A question that asks how ("When a visitor clicks it, how do we ...?")."""
        return self.question and self.has("askhow")

    def howto(self) -> bool:
        """A how-to question ("how do I delete my account?"): asks, does not request.

        "Can I delete my account?" asks too, but "can I get a copy of my data?" is a
        polite request: the writer asks to be given something, not how to do it.
        """
        opening = self.classes[:3]
        if any("howcome" in classes for classes in opening):
            return False  # "Hoe kan het dat jullie nog mijn gegevens hebben?" complains
        if any("howto" in classes for classes in opening):
            return True
        # "Dove si modifica?" asks how; "Where can I see my data?" asks for it.
        if any("where" in classes for classes in opening) and not self.has(
            "access", "receive", "export"
        ):
            return True
        # "Czy da się pobrać wszystkie moje dane w jednym zipie?" asks for a file too,
        # and so does "may I have a file of my data, as JSON?" with no verb for it.
        given = self.has("receive") or (
            self.has("format") and (self.has("export") or self.has("data"))
        )
        return any("mayi" in classes for classes in opening) and not given

    def erases_someone(self) -> bool:
        """An erasure of another person: "remove her", "o usuário dele"."""
        return not self.for_someone and (
            self.near("erase", ("theirs", "third"), 3) is not None
        )

    def together(self, first: str, second: str) -> int | None:
        """A word that is both at once: a verb with its pronoun attached."""
        for index, classes in enumerate(self.classes):
            if (
                first in classes
                and second in classes
                and not self._negated(index, first)
            ):
                return index
        return None

    def own(self) -> bool:
        """The writer speaks of their own (or, as an agent, of their client's)."""
        # "Att kontot och alla uppgifter om honom raderas": an agent's "him" too.
        if self.for_someone and self.has("theirs", "agent", "third"):
            return True
        return self.has("mine", "me", "aboutme")

    def own_object(self) -> bool:
        """Own, or a pronoun ("delete it") after a sentence about the writer's data."""
        return self.own() or (self.refers_back and self.has("pron"))

    def own_thing(self) -> bool:
        """The writer's own data, account or detail, not "my dad's account"."""
        return self.own() and self.holds_own(*_THINGS)

    def holds_own(self, *word_classes: str) -> bool:
        """A word of the classes that is not someone else's ("sus datos" after "mi
        hermano tenía una cuenta" are his)."""
        wanted = set(word_classes)
        return any(
            classes & wanted and not self._someone_elses(index)
            for index, classes in enumerate(self.classes)
        )

    def complete(self) -> bool:
        """The writer's account and, in other words, their data or everything."""
        accounts = set(self.at("account"))
        rest = {"data", "everything"}
        return (
            self.own_thing()
            and bool(accounts)
            and any(
                classes & rest and index not in accounts
                for index, classes in enumerate(self.classes)
            )
        )

    def idiom(self, index: int) -> bool:
        """A "use" that is a noun: "a PDF isn't much use to me" says nothing of use."""
        return index > 0 and "useless" in self.classes[index - 1]

    def label(self, request_type: RequestType, pair: tuple[int, int]) -> str:
        first, second = sorted(pair)
        if first == second:  # "about me": show the words around it
            return (
                f"{request_type}: {' '.join(self.words[max(0, first - 3) : first + 2])}"
            )
        return f"{request_type}: {self.words[first]} … {self.words[second]}"


@dataclass(frozen=True, slots=True)
class _Found:
    request_type: RequestType
    strength: float
    label: str
    decisive: bool  # a restriction that says to keep the data: it outranks the rest
    asks: bool  # a how-to question: never more than LOOSE, wherever it stands
    unsub: bool = False  # an objection read from "unsubscribe", "darme de baja" alone
    partial: bool = False  # an erasure of one detail only ("de bedrijfsnaam weghalen")
    bare: bool = False  # an erasure of "me" or "it", no data or account named
    complete: bool = False  # the account and the data: "my account and all my data"


def _sentence_intents(sentence: _Sentence) -> list[_Found]:
    """The rules; each returns at most one intent per type for the sentence."""
    found: list[_Found] = []

    # "… to new@example.com, how?" asks how at its end.
    asks = sentence.howto() or (sentence.question and "how" in sentence.classes[-1])

    def fire(
        request_type: RequestType,
        strength: float,
        pair: tuple[int, int],
        decisive: bool = False,
        partial: bool = False,
        complete: bool = False,
    ) -> None:
        label = sentence.label(request_type, pair)
        if asks:  # worth acknowledging, never filing: staff decide
            label = f"{label} (a how-to question)"
        unsub = "unsub" in sentence.classes[pair[0]]
        bare = not any(sentence.classes[index] & _THINGS for index in pair)
        if sentence.conditional(min(pair)):
            strength, label = min(strength, LOOSE), f"{label} (a condition)"
        elif (
            sentence.has("third")
            and not sentence.for_someone
            # "(she's the new owner) can you wipe my own personal stuff": the writer's
            # own, said so beside someone else.
            and not sentence.mine_before(max(pair))
        ):
            # "Que dados vocês têm sobre ele?", "vad han gjort": someone else's.
            strength, label = min(strength, LOOSE), f"{label} (someone else)"
        found.append(
            _Found(
                request_type,
                strength,
                label,
                decisive,
                asks,
                unsub,
                partial,
                bare,
                complete,
            )
        )

    own = sentence.own_object()
    short = len(sentence.words) <= SHORT
    listed = sentence.has("list", "marketing")
    objects: tuple[str, ...] = ("data", "account", "everything", "detail")
    if sentence.refers_back:
        objects += ("pron",)
    # Erasure, or "remove me from your list" (an objection to the mailing).
    # "Al mijn gegevens wissen, uit alle lijsten" erases the data, not only the address.
    erased_data = own and sentence.near("erase", ("data", "account"), 3)
    if (pair := sentence.near("erase", ("list",), NEAR + 2)) and not erased_data:
        # Not "ich lösche Ihre Kontaktdaten aus meiner Liste" (a recruiter's offer).
        if sentence.has("me", "mine") and not sentence.of_self(pair):
            fire(RequestType.OBJECTION, FIRM, pair)
    elif (
        own
        and (pair := sentence.near("erase", objects))
        and not sentence.of_self(pair)  # "I deleted my account by mistake"
        and not sentence.classes[pair[1]] & {"data", "account", "everything"}
        and "detail" in sentence.classes[pair[1]]
    ):
        fire(RequestType.ERASURE, FIRM, pair, partial=True)  # one detail removed
    elif (
        own
        and (pair := sentence.near("erase", objects))
        and not sentence.of_self(pair)  # "I deleted my account by mistake"
    ) or (
        (pair := sentence.near("erase", ("me",), 2))
        and not listed
        # "Vous pouvez les effacer pour moi": the "me" it is done for, not its object.
        and "forme" not in sentence.classes[pair[1] - 1]
        # "¿Me podéis quitar el 2FA?", "togliere me come admin": a sign-in step or a
        # role taken off, the account kept (account administration).
        and not sentence._login(pair[1])
    ):
        fire(RequestType.ERASURE, FIRM, pair, complete=sentence.complete())
    elif (
        short
        and (pair := sentence.near("erase", objects))
        and not sentence.has("yours")  # "Ditt konto raderas": a notice, or phishing
        and not sentence.has("relation")  # "usunąć dane byłego pracownika": theirs
    ):
        fire(RequestType.ERASURE, FIRM, pair)  # a subject line: "delete account"
    elif (
        own
        and sentence.has("want")
        and (pair := sentence.near("erase", objects, 2 * NEAR))
        and not sentence.of_self(pair)
    ):
        # "Ich will, dass mein Zugang und alles, was zu meiner Person bei Ihnen liegt,
        # verschwindet": a wish frames the sentence, the verb comes last.
        fire(RequestType.ERASURE, FIRM, pair)
    elif (both := sentence.together("erase", "me")) is not None and not listed:
        fire(RequestType.ERASURE, FIRM, (both, both))  # "dimenticatemi", "olvidadme"
    elif (
        own
        and (pair := sentence.near("close", ("account",)))
        and not sentence.of_self(pair)
    ):
        fire(RequestType.ERASURE, FIRM, pair)  # an account, not a subscription
    elif (
        own
        and (pair := sentence.near("keep", ("data", "everything", "detail")))
        and sentence.preceded(pair[0], "neg", 4)
        and sentence.has("want")
    ):
        fire(RequestType.ERASURE, FIRM, pair)  # "I don't want you to keep my data"
    # Objection: "stop emailing me", "I don't want your newsletter", "I object".
    mail_words = ("contact", "marketing", "list")
    # Cancelling a paid plan ("rezygnacja z subskrypcji") is billing, not an objection.
    paid = sentence.has("subscription") and not listed
    if (
        (
            own
            and (pair := sentence.near("stop", mail_words))
            and not sentence.adverb_only(pair)
        )
        or (
            (pair := sentence.near("want", mail_words, 6))
            # "Não quero sair da newsletter": the "not" keeps the subscription.
            and not sentence.negated_any("unsub")
            # "If you no longer wish to receive our offers, …": a footer's offer.
            and not sentence.opens_with_if(pair[0])
            # the "not" goes with the wish: "I don't want", "ich will keine Werbung";
            # or the wish is that the mail stop: "I want the marketing emails to stop".
            and (
                any(
                    "neg" in c
                    for c in sentence.classes[max(0, pair[0] - 2) : pair[0] + 3]
                )
                or sentence.stops_after(pair[1], mail_words)
            )
        )
        or (
            (pair := sentence.near("neg", ("contact", "marketing"), 3))
            # "Ricevo le vostre email e non ricordo …": the "not" goes with the verb
            # after it; "no emails", "keine Werbung" put it first. German, Dutch and
            # Swedish put it after the verb: "Rufen Sie mich nicht mehr an".
            and (pair[0] < pair[1] or bool(set(sentence.languages[:1]) & _VERB_FIRST))
            and (sentence.near("contact", ("me",), 2) or sentence.has("want"))
            # "Jeśli nie chcesz otrzymywać wiadomości, kliknij": a footer's offer.
            and not sentence.opens_with_if(pair[0])
        )
        or (pair := sentence.framed("contact", "neg", "more"))
        or (pair := sentence.again("contact"))
        or (short and (pair := sentence.near("stop", mail_words, 3)))
        or (
            (
                pair := sentence.near(
                    "object", ("use", "data", "marketing", "contact"), 6
                )
            )
            and (own or sentence.has("marketing"))
        )
        or (
            not paid
            and (
                (
                    not sentence.has("sell")  # "opt me out of the sale": CCPA opt-out
                    and (
                        pair := sentence.near(
                            "unsub", ("me", "mine", "unsub", "everything"), 6
                        )
                    )
                )
                or (short and (pair := sentence.near("unsub", mail_words, 3)))
                or (
                    short
                    and (where := sentence.at("unsub"))
                    and (pair := (where[0],) * 2)
                )
            )
        )
    ):
        fire(RequestType.OBJECTION, FIRM, pair)
    elif (
        (pair := sentence.near("withdraw", ("consent",)))
        # "Si un visiteur retire son consentement": a visitor's, not the writer's.
        and not (sentence.preceded(pair[1], "theirs", 1) and not sentence.for_someone)
    ) or ((where := sentence.at("alone")) and (pair := (where[0],) * 2)):
        fire(RequestType.OBJECTION, FIRM, pair)  # consent withdrawn: stop processing
    elif (
        own
        and (pair := sentence.near("use", ("marketing",)))
        and sentence.has("stop", "neg", "object")
    ):
        fire(RequestType.OBJECTION, FIRM, pair)
    # Restriction: limit or freeze the use of one's data; "stop using it until ...".
    # Stopping the use but keeping the data ("until", "do not delete", said here or
    # elsewhere in the mail) is a restriction; stopping it for good is an objection.
    # "Keep" alone does not say it: "keep my account, just no more marketing" objects.
    kept = (
        sentence.keeps_data
        or sentence.has("pending")
        or sentence.negated_any("erase")
        or (sentence.has("keep") and not listed)
    )
    held = ("data", "use", "account", "pron", "everything")
    if own and (pair := sentence.near("restrict", held, 5)):
        fire(RequestType.RESTRICTION, FIRM, pair, decisive=True)
    elif (
        own
        and (
            (pair := sentence.near("stop", ("use",), 5))
            or (
                (pair := sentence.near("neg", ("use",), 4))
                # "min gamla adress som inte används längre": a relative clause
                and not sentence.relative(pair[0])
                and not sentence.idiom(pair[1])
            )
            # "Ich will nicht, dass Sie meine Daten weiter nutzen"
            or (sentence.has("want") and (pair := sentence.near("neg", ("use",), 6)))
        )
        and not sentence.of_self(pair)
    ):
        if kept:
            fire(RequestType.RESTRICTION, FIRM, pair, decisive=sentence.keeps_data)
        elif sentence.holds_own("data", "everything", "account"):
            fire(RequestType.OBJECTION, FIRM, pair)
    # Rectification: correct, update, "my address is wrong", "Wrong job title".
    details: tuple[str, ...] = ("data", "detail")
    if sentence.detail_context:  # "Can you correct that?", "the date of birth"
        details += ("pron",)
    if (
        (own and (pair := sentence.near("rectify", details)))
        or (own and (pair := sentence.near("wrong", details)))
        or (short and (pair := sentence.near("wrong", ("detail",), 3)))
        or (short and (pair := sentence.near("rectify", ("detail",), 3)))
        or (
            sentence.detail_context
            and (pair := sentence.near("rectify", ("detail", "pron")))
        )
    ):
        fire(RequestType.RECTIFICATION, FIRM, pair)
    elif (
        sentence.names_detail
        # "Agradeço que corrijam …, pois não consigo alterar": the ask, not the "can't".
        and (where := sentence.unnegated("rectify"))
        # "Alterar e-mail das faturas": the detail this sentence names is the one to
        # change, and it is not the writer's.
        and not (sentence.has("detail") and not sentence.own_detail())
    ):
        # The mail said which detail is wrong; this sentence asks to put it right
        # ("Merci de corriger rapidement", "Graag aanpassen", "Can you fix both?").
        fire(RequestType.RECTIFICATION, FIRM, (where[0], where[0]))
    # Opt-out of sale or sharing (CCPA).
    if (
        (pair := sentence.near("sell", ("data", "everything", "detail"), 5))
        and (sentence.has("neg", "stop", "optout"))
    ) or (pair := sentence.near("optout", ("sell",), 5)):
        fire(RequestType.OPT_OUT, FIRM, pair)
    # Portability: export one's data, or ask for it as a file ("as a JSON dump").
    # The data or the account, not one detail: "l'export brut de mon poste".
    carried = tuple(thing for thing in objects if thing != "detail")
    if own and (
        (
            (pair := sentence.near("export", carried))
            # "Komu je przekazaliście": who the data went to, an access question.
            and not sentence.has("recipients")
        )
        or (
            (pair := sentence.near("format", carried, NEAR + 2))
            # "Corrigez ça dans vos fichiers": the records held, no file asked for.
            and not (pair[0] > 0 and "yours" in sentence.classes[pair[0] - 1])
        )
    ):
        fire(RequestType.PORTABILITY, FIRM, pair)
    # Access: a copy of one's data, "what do you have on me", "tell me what you hold".
    # Not beside an opt-out: "udostępniania moich danych" there is the sharing opted out;
    # nor beside an objection to marketing: "no quiero que usen mis datos para enviarme
    # publicidad" asks for nothing to be sent.
    opted = any(item.request_type is RequestType.OPT_OUT for item in found) or (
        listed and any(item.request_type is RequestType.OBJECTION for item in found)
    )
    if (
        own
        and not opted
        and (
            (pair := sentence.near("access", ("data", "everything")))
            or (
                # "Which data do you hold?", not "two records, which I've since deleted".
                (sentence.question or short or sentence.has("want", "aboutme"))
                and (pair := sentence.near("question", ("data",), 3))
                # "com as quais os dados foram compartilhados": a relative pronoun
                and not (pair[0] > 0 and "relative" in sentence.classes[pair[0] - 1])
            )
            or (pair := sentence.near("access", ("question",), 3))
            # "… and who you passed it on to": the recipients of one's data.
            or (
                sentence.has("recipients")
                and (pair := sentence.near("access", ("data", "pron", "question")))
            )
        )
    ):
        fire(RequestType.ACCESS, FIRM, pair)
    elif sentence.has("aboutme") and not found:
        spot = sentence.at("aboutme")[0]
        someone = not sentence.for_someone and sentence.relative_of(spot - 1)
        if sentence.has("question", "data", "access") and not someone:
            fire(RequestType.ACCESS, FIRM, (spot, spot))
    return found


def _sentences(
    text: str, languages: Sequence[str], factor: float, others: Sequence[str] = ()
) -> list[_Sentence]:
    found: list[_Sentence] = []
    lead: _Sentence | None = None
    text = _MENU.sub("", text[:MAX_CHARS])
    start = 0
    ends = [*_SENTENCE.finditer(text), None]
    for end in ends[:MAX_SENTENCES]:
        piece = text[start : end.start() if end else len(text)]
        words = _WORD.findall(normalise(piece))
        if (
            end is not None
            and end.group() == "."
            and words
            and words[-1] in _ABBREVIATIONS
        ):
            continue  # "Art. 17", "ul. Długa": the sentence goes on
        if words:
            asked = end is not None and "?" in end.group()
            sentence = _Sentence(
                words[:MAX_SENTENCE_WORDS], languages, factor, asked, others
            )
            sentence.lead = lead
            found.append(sentence)
        # "Si cancelo la suscripción, ¿se borran mis datos?": what comes before a "¿"
        # leads into the question.
        opens = end is not None and set(end.group()) <= {"\u00bf", "\u00a1"}
        lead = found[-1] if opens and words and found else None
        # "Se disdico, cosa succede ai miei dati? Li cancellate subito?": a question
        # after a conditional question goes on with its condition.
        last = found[-1] if words and found else None
        if lead is None and last is not None and last.question:
            lead = last if last.leads_on() else last.lead
        if end is not None:
            start = end.end()
    return found


def _quotes_unsubscribe(
    pieces: Sequence[tuple[str, float]], languages: Sequence[str]
) -> bool:
    """Whether the quoted lines, their link lines too, hold an unsubscribe word."""
    quoted = " ".join(text[:MAX_CHARS] for text, f in pieces if f < OWN_FACTOR)
    return _Sentence(_WORD.findall(normalise(quoted)), languages).has("unsub")


def read(
    pieces: Sequence[tuple[str, float]],
    languages: Sequence[str],
    others: Sequence[str] = (),
) -> Reading:
    """The intents in a mail's pieces (any case and accents), read with `languages`.

    `pieces` are (text, factor): the subject, the writer's own lines, the quoted lines.
    `others` are languages whose actions and objects (not their small words) are read
    too, for mail whose language was guessed wrong.
    An intent's strength is its rule's times its piece's factor. What the writer says
    in one sentence (the data to keep, the detail that is wrong, "my data" that a later
    "it" points to) is shared by the sentences of the pieces with a factor of
    `OWN_FACTOR` or more (the subject, a reply's too, and the writer's lines);
    quoted lines, mostly our own words, neither give nor take it.
    """
    known = [language for language in languages if language in wording.WORDS]
    more = [language for language in others if language in wording.WORDS]
    pieces_read = [
        (_sentences(text, known, factor, more), factor) for text, factor in pieces
    ]
    main = [
        s
        for sentences, factor in pieces_read
        if factor >= OWN_FACTOR
        for s in sentences
    ]
    # An agent writes of "her data": then the third person is the data subject's own;
    # not when the writer says they hold no authority ("I am not the executor").
    # "Sehr geehrte Mandantinnen und Mandanten": a newsletter greets its readers.
    agent = any(
        sentence.has("agent") and not sentence.greets_readers() for sentence in main
    )
    if agent and not any(sentence.denies_agency() for sentence in main):
        for sentence in main:
            sentence.for_someone = True
    keeps_data = any(
        sentence.negated_any("erase")
        or (sentence.has("pending") and sentence.has("use"))
        for sentence in main
    )
    # A new e-mail provider or the company's billing address is no detail of the
    # writer's: a fresh detail counts when it is their own.
    names_detail = any(
        (sentence.own_detail() and sentence.has("wrong"))
        or (sentence.own_detail() and sentence.has("fresh") and not sentence.updated())
        or (sentence.has("data") and sentence.has("wrong"))
        for sentence in main
    )
    detail_context = names_detail or any(
        sentence.has("detail") and sentence.own() for sentence in main
    )
    # "Bij jullie staat mijn emailadres als X. Dat klopt niet.": said apart.
    names_detail = names_detail or (
        detail_context and any(sentence.has("wrong") for sentence in main)
    )
    # "How do I change my email?", "wie finde ich die Daten dieses Besuchers?": the
    # mail asks how, whatever else it says; staff decide.
    # A lone "como", "come", "jak" also means "as": only at the start of the subject or
    # of the mail's first lines does it ask how.
    opening = [
        s for sentences, f in pieces_read if f >= OWN_FACTOR for s in sentences[:2]
    ]
    asks_how = any(sentence.asks_how() for sentence in main) or any(
        sentence.question and sentence.howto() for sentence in opening
    )
    login = frozenset(word for s in main for word in s.login_details())
    spoke_of_own = False
    for sentence in main:
        sentence.login_words = login
        sentence.keeps_data = keeps_data
        sentence.names_detail = names_detail
        sentence.detail_context = detail_context
        sentence.refers_back = spoke_of_own
        spoke_of_own = spoke_of_own or sentence.own_thing()
    best: dict[RequestType, Intent] = {}
    read_in: dict[RequestType, _Sentence] = {}  # the sentence each was read in
    in_body: set[RequestType] = set()
    partial = False  # the erasure kept removes one detail only
    bare = False  # the erasure kept names no data or account: "remove me from there"
    decisive: set[RequestType] = set()
    unsubscribing = False  # the objection kept was read from an unsubscribe word
    has_format = any(sentence.has("format") for sentence in main)
    asked: set[RequestType] = set()  # types the body asks how to do
    wished: set[RequestType] = set()  # types the body asks for
    for piece, (sentences, factor) in enumerate(pieces_read):
        body = piece == BODY  # the writer's own lines
        for sentence in sentences:
            for item in _sentence_intents(sentence):
                if body:
                    (asked if item.asks else wished).add(item.request_type)
                strength = item.strength * factor
                label = item.label
                if body and strength >= FIRM and not (item.asks or asks_how):
                    in_body.add(item.request_type)
                if item.asks or asks_how:
                    strength = min(strength, LOOSE)
                    if not item.asks:
                        label += " (the mail asks how)"
                held = best.get(item.request_type)
                if held is None or held.strength < strength:
                    best[item.request_type] = Intent(
                        item.request_type,
                        strength,
                        label,
                        sentence.text,
                        item.complete and strength >= FIRM,
                    )
                    read_in[item.request_type] = sentence
                    if item.request_type is RequestType.ERASURE:
                        partial, bare = item.partial, item.bare
                    if item.request_type is RequestType.OBJECTION:
                        unsubscribing = item.unsub
                if item.decisive and factor >= OWN_FACTOR and not item.asks:
                    decisive.add(item.request_type)
    # A bare "stop" answering our newsletter (the quoted mail has its unsubscribe
    # link) asks that the mail stop, as "unsubscribe" alone would, when nothing else is
    # read firmly (the quoted "Unsubscribe" itself reads loosely).
    first = pieces_read[BODY][0][:1] if len(pieces_read) > BODY else []
    if (
        all(held.strength <= LOOSE for held in best.values())
        and first
        and len(first[0].words) == 1
        and first[0].has("stop")
        and _quotes_unsubscribe(pieces, known)
    ):
        label = f"{RequestType.OBJECTION}: {first[0].text} (a reply to our mail)"
        best[RequestType.OBJECTION] = Intent(
            RequestType.OBJECTION, FIRM, label, first[0].text
        )
        in_body.add(RequestType.OBJECTION)
    # "Remove user - leaver" above "please remove her from our workspace": a subject's
    # bare "delete user" is someone else's account when the writer's lines remove him
    # or her and ask no erasure of their own (an admin removing a departed employee).
    erased = best.get(RequestType.ERASURE)
    if (
        erased is not None
        and erased.strength > LOOSE
        and RequestType.ERASURE not in in_body
        and not read_in[RequestType.ERASURE].own()
        and any(s.erases_someone() for s in main)
    ):
        label = f"{erased.label} (someone else's)"
        best[RequestType.ERASURE] = Intent(
            RequestType.ERASURE, LOOSE, label, erased.sentence
        )
    # "You have my old address, I moved to 5 High St.": no "please update", but worth
    # acknowledging; staff decide.
    named = next(
        (s for s in main if s.has("detail") and s.has("wrong", "fresh") and s.own()),
        None,
    )
    if named is not None and RequestType.RECTIFICATION not in best:
        spot = named.at("detail")[0]
        label = f"{named.label(RequestType.RECTIFICATION, (spot, spot))} (no ask)"
        best[RequestType.RECTIFICATION] = Intent(
            RequestType.RECTIFICATION, LOOSE, label, named.text
        )
    # A subject "Change email" over "I want to change my login email, how?" asks too.
    for request_type in asked - wished:
        held = best[request_type]
        if held.strength > LOOSE:
            label = f"{held.label} (the mail asks how)"
            best[request_type] = Intent(request_type, LOOSE, label, held.sentence)
    # "Por favor NO la borréis", "NIE chcę się wypisywać": a mail that says not to
    # delete (or not to unsubscribe) is not filed as the deletion (or objection) another
    # line seems to ask for; staff read it.
    for request_type, word_class in (
        (RequestType.ERASURE, "erase"),
        (RequestType.OBJECTION, "unsub"),
    ):
        held = best.get(request_type)
        if (
            held is not None
            and held.strength > LOOSE
            and any(sentence.forbids(word_class) for sentence in main)
        ):
            label = f"{held.label} (the mail also says not to)"
            best[request_type] = Intent(request_type, LOOSE, label, held.sentence)
    # The data to be kept and its use stopped, said across sentences: "Niet doorgeven,
    # niet gebruiken, maar ook niet wissen", about the writer's own data.
    if keeps_data and spoke_of_own and RequestType.RESTRICTION not in best:
        for sentence in main:
            pair = sentence.near("stop", ("use",), 5) or sentence.near(
                "neg", ("use",), 4
            )
            if pair is not None and sentence.relative(pair[0]):
                pair = None
            if pair is not None and not asks_how and not sentence.of_self(pair):
                label = f"{sentence.label(RequestType.RESTRICTION, pair)} (kept)"
                best[RequestType.RESTRICTION] = Intent(
                    RequestType.RESTRICTION,
                    FIRM * sentence.factor,
                    label,
                    sentence.text,
                )
                decisive.add(RequestType.RESTRICTION)
                break
    # Freezing the data while something is checked ("until you have corrected it",
    # "don't delete it but stop using it") is the restriction, even when the mail also
    # says what is wrong, that the use should stop, or what may happen later.
    # "Limit the use of my sensitive personal information" is the CCPA's right to limit
    # (1798.121), an opt-out, not a GDPR restriction.
    limited = best.get(RequestType.RESTRICTION)
    if limited is not None and "sensitive" in limited.sentence.split():
        del best[RequestType.RESTRICTION]
        decisive.discard(RequestType.RESTRICTION)
        label = f"{RequestType.OPT_OUT}: {limited.label.partition(': ')[2]} (sensitive)"
        best.setdefault(
            RequestType.OPT_OUT,
            Intent(RequestType.OPT_OUT, limited.strength, label, limited.sentence),
        )
    # A deletion beside a firm objection: which one the mail asks for decides below.
    erase_and_object = (
        RequestType.ERASURE in best
        and RequestType.OBJECTION in best
        and best[RequestType.OBJECTION].strength > LOOSE
    )
    outranked: tuple[RequestType, ...] = ()
    if RequestType.RESTRICTION in decisive:
        outranked = (
            RequestType.OBJECTION,
            RequestType.RECTIFICATION,
            RequestType.ERASURE,
            RequestType.ACCESS,
        )
    elif (
        RequestType.ERASURE in best
        and unsubscribing
        and not any(sentence.has("list", "marketing") for sentence in main)
    ):
        # "Darme de baja de todo y que eliminen mi cuenta": signing off everything, with
        # no newsletter named, is part of the deletion.
        outranked = (RequestType.OBJECTION,)
    elif erase_and_object and bare and any(sentence.has("list") for sentence in main):
        # "Sono ancora in qualche lista. Toglietemi da lì e smettetela di scrivermi":
        # "remove me", with a list named and no data, is taken off the list.
        outranked = (RequestType.ERASURE,)
    elif (
        erase_and_object and partial and read_in[RequestType.OBJECTION].has("marketing")
    ):
        # "Take my name and photo off your site and stop using my data for marketing":
        # one detail removed beside an objection to marketing is part of the objection.
        outranked = (RequestType.ERASURE,)
    elif (
        erase_and_object
        and not read_in[RequestType.OBJECTION].has("list", "marketing", "object")
        and not partial  # "stop emailing me and delete my email address" objects
    ):
        # "Merci d'effacer mes coordonnées, je ne veux plus être contactée": no mail
        # reaches who is erased; the deletion is the request.
        outranked = (RequestType.OBJECTION,)
    elif RequestType.OPT_OUT in best:
        # "Opt out of the sale and sharing": the specific right, not a general objection
        # to marketing, and "sharing" there is no request to see the data.
        outranked = (RequestType.OBJECTION, RequestType.ACCESS)
    for request_type in outranked:
        best.pop(request_type, None)
    # "De bedrijfsnaam weghalen" beside "mijn naam wijzigen": one detail removed is
    # part of the correction.
    corrected = read_in.get(RequestType.RECTIFICATION)
    if (
        partial
        and corrected is not None
        and corrected is read_in.get(RequestType.ERASURE)
        and corrected.has("rectify")
        and RequestType.RECTIFICATION in best
    ):
        best.pop(RequestType.ERASURE, None)
    # "Nunca autoricé que compartieran mi información … eliminen toda mi información",
    # "until it is sorted out, don't use or share that profile, put it on hold": sharing
    # complained of beside a deletion, or held off beside a restriction, is part of that
    # request, no opt-out of a sale.
    sharing = read_in.get(RequestType.OPT_OUT)
    if (
        sharing is not None
        and (RequestType.ERASURE in best or RequestType.RESTRICTION in best)
        and RequestType.OPT_OUT in best
        and all("sharing" in c for c in sharing.classes if "sell" in c)
        and not sharing.has("optout")
    ):
        del best[RequestType.OPT_OUT]
    # "A copy of my data as CSV, to move to another provider" asks for portability;
    # without a file format or a new provider, "send me and pass on my data" is access.
    access = best.get(RequestType.ACCESS)
    # "Who did you pass it on to? A copy in a file is best": the recipients are told by
    # access alone, so the file does not make it portability.
    if any(sentence.has("recipients") for sentence in main):
        has_format = False
    if access is not None and not has_format:
        best.pop(RequestType.PORTABILITY, None)
    if has_format and RequestType.PORTABILITY in best and not detail_context:
        # "… num ficheiro CSV para mudar de fornecedor": a change of provider, not a
        # correction, when the mail names no detail of the writer's.
        best.pop(RequestType.RECTIFICATION, None)
    if has_format and access is not None:
        del best[RequestType.ACCESS]
        if RequestType.ACCESS in in_body:  # the body said it, as a copy in a file
            in_body.add(RequestType.PORTABILITY)
        fired = access.label.partition(": ")[2]
        label = f"{RequestType.PORTABILITY}: {fired} (a file format)"
        best.setdefault(
            RequestType.PORTABILITY,
            Intent(RequestType.PORTABILITY, access.strength, label, access.sentence),
        )
    # "Wie finde ich die Daten dieses Besuchers?": a controller says "I" too, but not
    # "my data".
    personal = any(sentence.own() or sentence.for_someone for sentence in main)
    collective = any(sentence.has("we") for sentence in main)
    # "I ask for restriction of processing": the writer, if not "my" data.
    return Reading(
        tuple(best.values()),
        collective and not personal,
        asks_how,
        personal,
        frozenset(in_body),
        any(sentence.has("recant") for sentence in main),
    )
