"""The `index.html` of an access package: what we hold, from where, and the Art. 15 facts.

The page is written for someone who is not technical: counts per system, the field names and a
few shortened example records per source (never the whole data: that is in the files), then
everything Art. 15(1)-(2) GDPR requires from `privacy.yaml`. It is one self-contained file
(inline CSS, no scripts, no remote resources) so it opens offline from the extracted ZIP.
Wording lives in `templates/export/index.html` inside `{% trans %}` blocks, in the catalogue the
emails use (`templates/locale/<lang>/LC_MESSAGES/messages.po`, loaded by `app.i18n`); a language
whose catalogue translates the page is used, anything else falls back to English.
"""

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jinja2
from babel.dates import format_datetime
from babel.numbers import format_decimal

from app.i18n import catalogue, translated_environment, translations
from app.privacy import PrivacyFacts
from connectors.base import SourceInfo

__all__ = ["PageSource", "Preview", "preview", "render_index"]

DEFAULT_LANGUAGE = "en"
_PREVIEW_FIELDS = 12
_PREVIEW_CHARS = 120
_PROBE = "What we hold about you"  # a heading of the page, looked up in a catalogue


@dataclass(frozen=True, slots=True)
class Preview:
    """One example record, shortened for display: (field, text) pairs and how many were left out."""

    fields: tuple[tuple[str, str], ...]
    hidden: int


@dataclass(frozen=True, slots=True)
class PageSource:
    """What the page says about one source: counts, field names, examples and file paths."""

    connector: str
    name: str
    records: int
    fields: Sequence[str]
    previews: Sequence[Preview]
    json_path: str
    csv_path: str
    info: SourceInfo | None = None  # the connector's words for it (source_info)

    @property
    def label(self) -> str:
        """The source in words, or its raw name."""
        return self.info.label if self.info else self.name

    def column(self, key: str) -> str:
        """A field's readable name, or its raw one."""
        return self.info.columns.get(key, key) if self.info else key


@dataclass(frozen=True, slots=True)
class _Described:
    """A source's category, with the retention and purposes privacy.yaml gives for it."""

    category: str
    kept: str | None
    purposes: str | None


def _described(
    source: PageSource, facts: PrivacyFacts, language: str
) -> _Described | None:
    """What privacy.yaml says about the source's category (None without a known one)."""
    category = source.info.category if source.info else None
    if category is None or category not in {c.name for c in facts.categories}:
        return None
    # English sentences continue in lower case ("kept 6 years …, for billing and …");
    # other languages keep the operator's text as written (German nouns are capitalised).
    flow = _lower_first if language == "en" else str
    period = next(
        (r.period for r in facts.retention if r.category == category and r.period), None
    )
    purposes = [p.name for p in facts.purposes if category in p.categories]
    return _Described(
        category,
        flow(period.rstrip(". ")) if period else None,
        ", ".join(flow(name) for name in purposes) or None,
    )


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


@dataclass(frozen=True, slots=True)
class _System:
    """A connector as the page shows it: a system and what was found there."""

    name: str
    sources: list[PageSource]
    title: str  # the system in words (connectors.yaml `label`), or its name

    @property
    def records(self) -> int:
        return sum(source.records for source in self.sources)


def preview(data: Mapping[str, Any]) -> Preview:
    """Shorten a record for the page: the first fields, each value cut to a line."""
    shown = [
        (key, _shorten(value)) for key, value in list(data.items())[:_PREVIEW_FIELDS]
    ]
    return Preview(tuple(shown), max(len(data) - _PREVIEW_FIELDS, 0))


def _shorten(value: Any) -> str:
    if value is None:
        return ""  # "null" means nothing to most readers; an empty cell says the same
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())  # a preview is one line; the files keep the original
    return text if len(text) <= _PREVIEW_CHARS else text[: _PREVIEW_CHARS - 1] + "…"


def render_index(
    sources: Sequence[PageSource],
    *,
    connectors: Sequence[str],
    system_labels: Mapping[str, str] | None = None,
    reference: str,
    facts: PrivacyFacts,
    generated_at: datetime,
    language: str,
    subject_email: str,
) -> str:
    """Render index.html for an access package in `language` (English when unsupported)."""
    language = _supported(language)
    systems = [
        _System(
            connector,
            [source for source in sources if source.connector == connector],
            (system_labels or {}).get(connector, connector),
        )
        for connector in connectors
    ]
    template = _environment(language).get_template("index.html")
    described = {
        (source.connector, source.name): _described(source, facts, language)
        for source in sources
    }
    return template.render(
        described=described,
        language=language,
        reference=reference,
        subject_email=subject_email,
        generated=format_datetime(generated_at, format="long", locale=language),
        facts=facts,
        systems=systems,
        found=[system for system in systems if system.records],
        empty=[system.title for system in systems if not system.records],
        total_records=sum(source.records for source in sources),
    )


def _supported(language: str) -> str:
    primary = language.strip().replace("_", "-").split("-")[0].lower()
    if not (primary.isascii() and primary.isalpha()):  # it becomes part of a file path
        return DEFAULT_LANGUAGE
    if primary == DEFAULT_LANGUAGE:
        return primary
    # The catalogue is shared with the emails: a language counts once the page is translated,
    # else the page would be English text labelled, for screen readers, as another language.
    # The file check keeps made-up tags out of the loader's cache.
    if catalogue(primary).is_file() and translations(primary).gettext(_PROBE) != _PROBE:
        return primary
    return DEFAULT_LANGUAGE


@functools.cache
def _environment(language: str) -> jinja2.Environment:
    """One environment per language, with its translations and number filter bound."""
    environment = translated_environment(
        "export",
        language,
        autoescape=True,  # every value on the page came from a vendor system or a config file
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["number"] = functools.partial(format_decimal, locale=language)
    return environment
