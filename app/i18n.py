"""The gettext catalogues shared by the emails and the export page, compiled in memory.

`templates/locale/<lang>/LC_MESSAGES/messages.po` translates every template (docs/translating.md).
No `.mo` binary is kept in the repository: the first time a language is used its `.po` is read
with Babel, compiled in memory and kept for the life of the process.
"""

import functools
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import jinja2
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from app.paths import TEMPLATES_DIR

__all__ = ["catalogue", "translated_environment", "translations"]


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
        **options,
    )
    environment.policies["ext.i18n.trimmed"] = True
    environment.install_gettext_translations(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
        translations(language), newstyle=True
    )
    return environment
