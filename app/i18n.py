"""The languages people are answered in, and the gettext catalogues of mails and pages.

A ticket's language is chosen once at intake (the browser's or API caller's Accept-Language,
the mail's language) and later by the requester (the language switch of the public pages);
every mail, public page and the export page then speak it. Dates are formatted by Babel in
that language, the same way everywhere (`format_day`).

`templates/locale/<lang>/LC_MESSAGES/messages.po` translates every template (docs/translating.md).
No `.mo` binary is kept in the repository: the first time a language is used its `.po` is read
with Babel, compiled in memory and kept for the life of the process.
"""

import functools
from collections.abc import Callable
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from app.paths import TEMPLATES_DIR

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "N_",
    "catalogue",
    "format_day",
    "pick_language",
    "supported",
    "translated_environment",
    "translations",
]

LANGUAGES: tuple[str, ...] = ("en", "de")
DEFAULT_LANGUAGE = "en"
# Each language named in itself, for the public pages' language switch.
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "de": "Deutsch"}


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def format_day(value: date, *, language: str) -> str:
    """A day as mails and pages write it: Babel's long format ("10. April 2026")."""
    return format_date(value, format="long", locale=language)


def pick_language(accept_language: str | None) -> str:
    """Best supported language for an Accept-Language header or a hint such as "de-AT"."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.partition(";")
        quality = _quality(params)
        primary = _primary(tag)
        if quality > 0 and primary in LANGUAGES:
            ranked.append((-quality, position, primary))
    # Highest quality first; among equals the header's order decides (RFC 9110 12.5.4).
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def _quality(params: str) -> float:
    """The q weight of an Accept-Language item: 1 when absent, 0 when malformed."""
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return 0.0
            return quality if 0.0 <= quality <= 1.0 else 0.0
    return 1.0


def _primary(tag: str) -> str:
    return tag.strip().replace("_", "-").split("-")[0].lower()


def supported(language: str) -> str:
    """The language itself when supported (by its primary tag), else English."""
    primary = _primary(language)
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def catalogue(language: str) -> Path:
    """Where `language`'s catalogue lives (it may not exist); `language` must be a plain tag."""
    return TEMPLATES_DIR / "locale" / language / "LC_MESSAGES" / "messages.po"


@functools.cache
def translations(language: str) -> Translations:
    """The language's catalogue, compiled in memory; without one (English, the source
    language) every string stays as written. Untranslated and fuzzy entries stay English."""
    po_file = catalogue(language)
    if not po_file.is_file():
        return Translations()
    with po_file.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def translated_environment(
    folder: str,
    language: str,
    *,
    autoescape: bool | Callable[[str | None], bool],
    **options: Any,
) -> jinja2.Environment:
    """A Jinja2 environment for `templates/<folder>` speaking `language` (gettext, trimmed).

    Undefined values are errors: a template must never silently print nothing.
    """
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR / folder),
        autoescape=autoescape,  # noqa: S701 - every caller chooses it explicitly
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        # The templates ship with the code: no stat() of each file on every render.
        auto_reload=False,
        **options,
    )
    environment.policies["ext.i18n.trimmed"] = True
    environment.install_gettext_translations(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
        translations(language), newstyle=True
    )
    return environment
