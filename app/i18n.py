"""The gettext catalogues shared by the emails and the export page, compiled in memory.

`templates/locale/<lang>/LC_MESSAGES/messages.po` translates every template (docs/translating.md).
No `.mo` binary is kept in the repository: the first time a language is used its `.po` is read
with Babel, compiled in memory and kept for the life of the process.
"""

import functools
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from app.paths import TEMPLATES_DIR

__all__ = ["catalogue", "translations"]


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
