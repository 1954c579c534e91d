"""Every email DSR Desk sends: the template list, rendering to text + HTML, and translations.

Template scheme (`templates/email/`):
- `<name>.txt` extends `_layout.txt` and holds the plain-text body plus a `{% block subject %}`.
  The layout never prints that block; `render_email` renders it on its own and folds it to one
  line, so subject and body share one file and one set of translatable strings.
- `<name>.html` extends `_layout.html` (inline styles only) and receives the rendered `subject`.
- Files starting with `_` are partials: the layouts (`_staff.*` for mail to staff), `_labels.txt`
  (labels and explanations per code, shared by both parts, global `labels`) and `_html.html`
  (HTML building blocks, global `h`). Filters: `date` (Babel, long, in the mail's language) and
  `lines` (staff-written text in HTML, line breaks kept).

All wording is English in the templates, inside `{% trans %}` blocks (trimmed, new-style gettext
with `%(name)s` placeholders). `templates/locale/<lang>/LC_MESSAGES/messages.po` translates it;
`app.i18n` compiles the catalogue in memory when first used (no `.mo` binary in the repository).
docs/translating.md explains how to extract strings and add a language.
"""

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from markupsafe import Markup

from app.enums import Channel, DenialReason, Regulation, RequestType
from app.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    format_day,
    pick_language,
    supported,
    translated_environment,
)

__all__ = ["LANGUAGES", "TEMPLATES", "RenderedEmail", "pick_language", "render_email"]


# Keys every requester mail needs: the layout greets `subject_name` (None greets neutrally) and
# signs with `controller` {name, email, dpo_email|None}; the body names the request.
_REQUESTER = frozenset(
    {"reference", "request_type", "regulation", "subject_name", "controller"}
)
_VERIFY = frozenset({"verify_url", "code", "expires_on"})

TEMPLATES: Mapping[str, frozenset[str]] = {
    # Acknowledgement (also the CCPA 10-business-day confirmation). Optional: verify_url, code,
    # code_url, expires_on — with verify_url the mail includes the verification step.
    "received": _REQUESTER | {"due_on"},
    # Verify your identity: a link, a short code for people who cannot click, the expiry date.
    # Optional `code_url` (here, in `received` and in `verify_reminder`): the page where the
    # code can be typed; without it the mail says to reply with the code.
    "verify": _REQUESTER | _VERIFY,
    # A fresh link and code, and `closes_on`: when the request closes if still unconfirmed.
    "verify_reminder": _REQUESTER | _VERIFY | {"closes_on"},
    # Closed unconfirmed on `closed_on`; `request_url` is where to ask again.
    "closed_unverified": _REQUESTER | {"closed_on", "request_url"},
    "verified": _REQUESTER | {"due_on"},
    # A new request of the same type joined the open ticket `reference`.
    "duplicate": _REQUESTER | {"due_on"},
    # Deadline moved from `due_on` to `extended_due_on` because of `reason`. Optional:
    # `authority` {name, url, email} — PIPEDA s. 8(4) wants the right to complain named.
    "extension": _REQUESTER | {"due_on", "extended_due_on", "reason"},
    # Refusal: `reason_code` (a DenialReason), staff `message` (may be empty), `partial`,
    # `authority` {name, url|None, email|None}. Optional: `appeal_url` (VCDPA/CPA appeals).
    "denial": _REQUESTER | {"reason_code", "message", "partial", "authority"},
    # A staff member's own words to the requester, in the ticket's thread (`text`).
    "reply": _REQUESTER | {"text"},
    # Access/portability results. Optional: `attached` (the ZIP is attached as well).
    "results_ready": _REQUESTER | {"download_url", "expires_on"},
    # `systems`: [{name, outcome (see _OUTCOMES), detail|None, records|None}]; `recipients`:
    # [{name, way (see _NOTICE_WAYS), detail|None}] — how each recipient of privacy.yaml was
    # told of the erasure (Art. 19), exactly as it happened (app/exports/notices.py).
    "erasure_done": _REQUESTER | {"systems", "recipients"},
    # Art. 19 notice to a recipient's privacy contact: erase `subject_email`'s data.
    "recipient_erasure": _REQUESTER | {"recipient", "subject_email"},
    # Objection / opt-out: `systems` as above (name None: our staff, by hand).
    "opt_out_done": _REQUESTER | {"systems"},
    # Mail that may be a request waits in triage: no ticket and no reference yet.
    "triage_received": frozenset({"controller"}),
    # Staff mail carries no personal data of the requester: the ticket link is enough.
    "staff_new_request": frozenset(
        {"reference", "request_type", "regulation", "channel", "due_on", "ticket_url"}
    ),
    # `stage`: at_risk|overdue; `days_left` is negative when overdue. Optional: `request_type`,
    # `can_extend` (an extension can still be notified before `due_on`).
    "staff_escalation": frozenset(
        {"reference", "stage", "due_on", "days_left", "ticket_url"}
    ),
}

# Optional keys and their defaults, so templates test them plainly under StrictUndefined.
_OPTIONAL: Mapping[str, Mapping[str, Any]] = {
    "received": {
        "verify_url": None,
        "code": None,
        "code_url": None,
        "expires_on": None,
    },
    "verify": {"code_url": None},
    "triage_received": {"subject_name": None},
    "verify_reminder": {"code_url": None},
    "extension": {"authority": None},
    "denial": {"appeal_url": None},
    # `records`: how many the package holds (0: the mail says nothing was found).
    "results_ready": {"attached": False, "records": None},
    "recipient_erasure": {"person_name": None},
    "staff_escalation": {"request_type": None, "can_extend": False},
}

# Closed vocabularies: a value outside them would render an empty label, so refuse it loudly.
_CHOICES: Mapping[str, frozenset[str]] = {
    "request_type": frozenset(RequestType),
    "regulation": frozenset(Regulation),
    "channel": frozenset(Channel),
    "reason_code": frozenset(DenialReason),
    "stage": frozenset({"at_risk", "overdue"}),
}
_OUTCOMES = frozenset(
    {"erased", "scheduled", "manual", "not_held", "already_erased"}  # erasure
    | {"unsubscribed", "not_subscribed"}  # objection, opt-out
)
_NOTICE_WAYS = _OUTCOMES | {"not_reached", "emailed", "exempt", "not_told"}

# Nested mappings: (required keys, optional keys defaulting to None).
_NESTED: Mapping[str, tuple[frozenset[str], frozenset[str]]] = {
    "controller": (frozenset({"name", "email"}), frozenset({"dpo_email"})),
    "authority": (frozenset({"name"}), frozenset({"url", "email"})),
}


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    """A rendered message: one-line subject (the outbox adds the reference), text and HTML."""

    subject: str
    text: str
    html: str


def render_email(
    name: str, context: Mapping[str, Any], *, language: str = DEFAULT_LANGUAGE
) -> RenderedEmail:
    """Render template `name` in `language` (unsupported languages fall back to English)."""
    if name not in TEMPLATES:
        raise ValueError(f"unknown email template {name!r}")
    missing = sorted(TEMPLATES[name] - context.keys())
    if missing:
        raise ValueError(
            f"email template {name!r} needs context key(s): {', '.join(missing)}"
        )
    language = supported(language)
    values = {**_OPTIONAL.get(name, {}), **_normalise(context), "language": language}
    environment = _environment(language)
    text_template = environment.get_template(f"{name}.txt")
    subject_parts = text_template.blocks["subject"](text_template.new_context(values))
    # split() also drops CR/LF and other line breaks, so no value can inject a header line.
    subject = " ".join("".join(subject_parts).split())
    text = _tidy_text(text_template.render(values))
    html = environment.get_template(f"{name}.html").render(
        {**values, "subject": subject}
    )
    # Blank lines mean nothing in HTML (no <pre> in our mail): drop them to keep the part small.
    html = "\n".join(line for line in html.splitlines() if line.strip()) + "\n"
    return RenderedEmail(subject=subject, text=text, html=html)


def _normalise(context: Mapping[str, Any]) -> dict[str, Any]:
    """Copy the context, turning enum members into their strings and checking closed values."""
    values = dict(context)
    for key, allowed in _CHOICES.items():
        if values.get(key) is not None:
            values[key] = str(values[key])
            if values[key] not in allowed:
                raise ValueError(
                    f"{key} {values[key]!r} is not one of {sorted(allowed)}"
                )
    for key, (required, optional) in _NESTED.items():
        if values.get(key) is not None:
            values[key] = _nested(key, values[key], required, optional)
    if "systems" in values:
        values["systems"] = [_system(item) for item in values["systems"]]
    if "recipients" in values:
        values["recipients"] = [_notice(item) for item in values["recipients"]]
    return values


def _nested(
    key: str, value: Any, required: frozenset[str], optional: frozenset[str]
) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{key} must be a mapping with {sorted(required)}")
    missing = sorted(required - value.keys())
    if missing:
        raise ValueError(f"{key} needs key(s): {', '.join(missing)}")
    return {**dict.fromkeys(optional), **value}


def _system(item: Any) -> dict[str, Any]:
    system = _nested(
        "systems[]",
        item,
        frozenset({"name", "outcome"}),
        frozenset({"detail", "records"}),
    )
    system["outcome"] = str(system["outcome"])
    if system["outcome"] not in _OUTCOMES:
        raise ValueError(
            f"outcome {system['outcome']!r} is not one of {sorted(_OUTCOMES)}"
        )
    return system


def _notice(item: Any) -> dict[str, Any]:
    notice = _nested(
        "recipients[]", item, frozenset({"name", "way"}), frozenset({"detail"})
    )
    if notice["way"] not in _NOTICE_WAYS:
        raise ValueError(f"way {notice['way']!r} is not one of {sorted(_NOTICE_WAYS)}")
    return notice


def _tidy_text(text: str) -> str:
    """Trim trailing spaces and fold runs of blank lines into one paragraph break.

    Templates leave an empty line wherever a tag stood alone on its line, so a paragraph break is
    any blank or tag-only line between two lines of text. Paragraphs are not hard-wrapped: phones
    reflow long lines but break hard-wrapped ones into ragged pairs, and the MIME layer encodes
    lines longer than SMTP allows.
    """
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


@functools.cache
def _environment(language: str) -> jinja2.Environment:
    """One environment per language: translations and the date filter are bound to it."""
    environment = translated_environment(
        "email",
        language,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html",), default_for_string=False, default=False
        ),
        # Tag-only lines become empty lines instead of vanishing: the text part's paragraphs are
        # then what they look like in the template (see _tidy_text).
        lstrip_blocks=True,
    )
    environment.filters["date"] = functools.partial(format_day, language=language)
    environment.filters["lines"] = _html_lines
    # The partials are globals rather than per-template imports: a subject block is rendered
    # on its own, without the template's top-level statements, and still needs the labels.
    environment.globals["labels"] = environment.get_template("_labels.txt").module
    environment.globals["h"] = environment.get_template("_html.html").module
    return environment


def _html_lines(value: str) -> Markup:
    """Staff-written text for HTML: escaped, its line breaks kept."""
    # join() escapes each plain-str line; only the <br> separators are markup.
    return Markup("<br>\n").join(str(value).splitlines())
