"""Outbound email rendering: every template in every language, links, escaping, catalogues."""

import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.dates import format_date
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from app.enums import DenialReason, Regulation, RequestType
from app.mail.compose import (
    LANGUAGES,
    TEMPLATES,
    RenderedEmail,
    pick_language,
    render_email,
)

ROOT = Path(__file__).parents[2]
LOCALE = ROOT / "templates" / "locale"
BASE_URL = "https://privacy.example.com"
TICKET_URL = f"{BASE_URL}/requests/DSR-7KQ2M9XP"

CONTROLLER = {
    "name": "Example Outdoor GmbH",
    "email": "privacy@example.com",
    "dpo_email": "dpo@example.com",
}
AUTHORITY = {
    "name": "Example Data Protection Authority",
    "url": "https://authority.example.org/complaints",
    "email": "complaints@authority.example.org",
}
REQUESTER = {
    "reference": "DSR-7KQ2M9XP",
    "request_type": "access",
    "regulation": "gdpr",
    "subject_name": "Jamie Rivera",
    "controller": CONTROLLER,
    "due_on": date(2026, 4, 10),
}
CONTEXTS: dict[str, dict[str, Any]] = {
    "received": {
        "verify_url": f"{BASE_URL}/verify/tq3Xw9-received",
        "code": "K7P-4QX",
        "code_url": f"{BASE_URL}/verify",
        "expires_on": date(2026, 3, 17),
    },
    "verify": {
        "verify_url": f"{BASE_URL}/verify/Zr81Lm-verify",
        "code": "H2W-9RT",
        "expires_on": date(2026, 3, 17),
    },
    "verify_reminder": {
        "verify_url": f"{BASE_URL}/verify/Pq55Sd-reminder",
        "code": "M4N-7XY",
        "code_url": f"{BASE_URL}/verify",
        "expires_on": date(2026, 3, 24),
        "closes_on": date(2026, 3, 24),
    },
    "closed_unverified": {
        "closed_on": date(2026, 3, 24),
        "request_url": f"{BASE_URL}/request",
    },
    "verified": {},
    "duplicate": {},
    "extension": {
        "extended_due_on": date(2026, 6, 10),
        "reason": "Your data is spread over four systems, two of which we search by hand.",
    },
    "denial": {
        "request_type": "erasure",
        "reason_code": "legal_obligation",
        "message": "Invoices must be kept for ten years under tax law.",
        "partial": True,
        "authority": AUTHORITY,
    },
    "reply": {"text": "We found two accounts under your address.\nWhich one is yours?"},
    "results_ready": {
        "download_url": f"{BASE_URL}/download/b8Jk2Qw-results",
        "expires_on": date(2026, 4, 17),
    },
    "erasure_done": {
        "request_type": "erasure",
        "systems": [
            {"name": "CRM", "outcome": "erased", "detail": "14 records", "records": 14},
            {"name": "Payments", "outcome": "scheduled", "detail": "job re_1234"},
            {"name": "Paper ledger", "outcome": "manual", "detail": None},
            {"name": "Newsletter", "outcome": "not_held"},
            {"name": "Helpdesk", "outcome": "already_erased", "detail": None},
        ],
        "recipients": [
            {"name": "Parcel Partner Ltd", "way": "emailed"},
            {"name": "Mail Relay Inc", "way": "erased"},
            {
                "name": "Tax Office",
                "way": "exempt",
                "detail": "It keeps records by law.",
            },
            {"name": "Old Partner", "way": "not_told"},
        ],
    },
    "recipient_erasure": {
        "recipient": "Parcel Partner Ltd",
        "subject_email": "ada@example.com",
    },
    "opt_out_done": {
        "request_type": "objection",
        "systems": [
            {"name": "Newsletter", "outcome": "unsubscribed"},
            {"name": "CRM", "outcome": "not_subscribed"},
            {"name": None, "outcome": "manual"},
        ],
    },
    "triage_received": {},
    "staff_new_request": {"channel": "form", "ticket_url": TICKET_URL},
    "staff_escalation": {
        "stage": "at_risk",
        "days_left": 5,
        "ticket_url": TICKET_URL,
    },
}
# The link each template exists to deliver.
LINKS = {
    "received": "verify_url",
    "verify": "verify_url",
    "verify_reminder": "verify_url",
    "closed_unverified": "request_url",
    "results_ready": "download_url",
    "staff_new_request": "ticket_url",
    "staff_escalation": "ticket_url",
}
VOID_ELEMENTS = {"br", "meta", "hr", "img", "input", "link", "wbr"}


def _context(name: str, **overrides: Any) -> dict[str, Any]:
    return {**REQUESTER, **CONTEXTS[name], **overrides}


def _render(name: str, language: str = "en", **overrides: Any) -> RenderedEmail:
    return render_email(name, _context(name, **overrides), language=language)


class _Html(HTMLParser):
    """Checks that tags nest and close, and collects link targets and visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a":
            self.hrefs.append(values.get("href") or "")
        if tag == "html":
            self.lang = values.get("lang")
        if tag not in VOID_ELEMENTS:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse_html(html: str) -> _Html:
    parser = _Html()
    parser.feed(html)
    parser.close()
    assert parser.errors == []
    assert parser.stack == []
    return parser


def _visible(html: str) -> str:
    return " ".join(" ".join(_parse_html(html).text).split())


def _catalogue_ids(path: Path) -> set[Any]:
    with path.open("rb") as source:
        return {message.id for message in read_po(source) if message.id}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_renders_both_parts(name: str, language: str) -> None:
    rendered = _render(name, language)

    assert rendered.subject.strip()
    assert "\n" not in rendered.subject
    assert "\r" not in rendered.subject
    assert "[DSR-" not in rendered.subject  # the outbox adds the reference
    assert rendered.text.strip()
    assert rendered.html.strip()
    for part in (rendered.subject, rendered.text, rendered.html):
        assert "{{" not in part
        assert "{%" not in part
        assert "%(" not in part
    assert rendered.subject in _visible(rendered.html)
    assert _parse_html(rendered.html).lang == language


@pytest.mark.parametrize(("name", "key"), sorted(LINKS.items()))
def test_the_link_is_clickable_in_html_and_written_out_in_text(
    name: str, key: str
) -> None:
    url = CONTEXTS[name][key]
    rendered = _render(name)

    assert url in rendered.text.split()
    assert url in _parse_html(rendered.html).hrefs


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_html_links_only_go_to_the_web_or_mail(name: str) -> None:
    hrefs = _parse_html(_render(name).html).hrefs

    assert all(href.startswith(("https://", "mailto:")) for href in hrefs)


@pytest.mark.parametrize("name", ["verify", "verify_reminder", "received"])
def test_verification_mail_carries_link_code_and_expiry(name: str) -> None:
    context = CONTEXTS[name]
    rendered = _render(name)

    for part in (rendered.text, _visible(rendered.html)):
        assert context["code"] in part
        assert format_date(context["expires_on"], format="long", locale="en") in part
        assert "never ask you to send an ID card" in part


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_for_typing_the_code_is_linked_when_given(language: str) -> None:
    rendered = _render("verify_reminder", language)
    sentence = next(line for line in rendered.text.splitlines() if "/verify " in line)

    assert f"{BASE_URL}/verify" in sentence.split()
    assert "DSR-7KQ2M9XP" in sentence
    assert f"{BASE_URL}/verify" in _parse_html(rendered.html).hrefs


def test_without_a_code_page_people_reply_with_the_code() -> None:
    text = _render("verify").text

    assert "reply to this email and include this code" in text


def test_verify_tells_people_who_did_not_ask_to_ignore_it() -> None:
    assert "If you did not make this request, you can ignore" in _render("verify").text


def test_received_without_a_link_skips_the_verification_step() -> None:
    rendered = render_email("received", REQUESTER)

    assert "Confirm" not in rendered.text
    assert "Confirm" not in rendered.html
    assert "April 10, 2026" in rendered.text


def test_reminder_names_the_closing_date() -> None:
    text = _render("verify_reminder", closes_on=date(2026, 3, 31)).text

    assert "If we have not heard from you by March 31, 2026" in text


def test_closed_unverified_says_why_and_how_to_ask_again() -> None:
    text = _render("closed_unverified").text

    assert "March 24, 2026" in text
    assert "Why we need this" in text
    assert f"{BASE_URL}/request" in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "April 10, 2026"), ("de", "10. April 2026")],
)
def test_dates_follow_the_language(language: str, expected: str) -> None:
    assert expected in _render("verified", language).text


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_german_mail_uses_the_german_catalogue(name: str) -> None:
    english, german = _render(name, "en"), _render(name, "de")

    assert german.subject != english.subject
    # Every English source sentence (long enough to be unambiguous) must be gone in German.
    sentences = [
        message
        for message in _catalogue_ids(LOCALE / "messages.pot")
        if isinstance(message, str) and len(message) > 20 and "%(" not in message
    ]
    for part in (german.text, _visible(german.html)):
        leftovers = [sentence for sentence in sentences if sentence in part]
        assert leftovers == []


@pytest.mark.parametrize(
    ("english", "german"),
    [
        ("Hello Jamie Rivera,", "Guten Tag Jamie Rivera,"),
        ("Kind regards,", "Mit freundlichen Grüßen"),
        ("Reference: DSR-7KQ2M9XP", "Vorgangsnummer: DSR-7KQ2M9XP"),
        ("Please keep DSR-7KQ2M9XP", "Bitte lassen Sie DSR-7KQ2M9XP"),
    ],
)
def test_key_phrases_are_translated(english: str, german: str) -> None:
    rendered = _render("verified", "de")

    assert english not in rendered.text
    assert english not in _visible(rendered.html)
    assert german in rendered.text
    assert german in _visible(rendered.html)


@pytest.mark.parametrize("language", ["fr", "xx-YY", "", "klingon"])
def test_unknown_language_falls_back_to_english(language: str) -> None:
    assert _render("verified", language) == _render("verified", "en")


@pytest.mark.parametrize("language", ["de-AT", "de_DE", "DE"])
def test_regional_language_tags_pick_the_language(language: str) -> None:
    assert _render("verified", language) == _render("verified", "de")


def test_unknown_template_is_a_value_error_naming_it() -> None:
    with pytest.raises(ValueError, match="no_such_mail"):
        render_email("no_such_mail", REQUESTER)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_missing_key_is_a_value_error_naming_it(name: str) -> None:
    for key in sorted(TEMPLATES[name]):
        context = _context(name)
        del context[key]
        with pytest.raises(ValueError, match=rf"\b{key}\b"):
            render_email(name, context)


@pytest.mark.parametrize(
    ("key", "value"),
    [("request_type", "teleport"), ("regulation", "hipaa"), ("reason_code", "because")],
)
def test_values_outside_the_vocabulary_are_refused(key: str, value: str) -> None:
    with pytest.raises(ValueError, match=key):
        _render("denial", **{key: value})


def test_unknown_erasure_outcome_is_refused() -> None:
    systems = [{"name": "CRM", "outcome": "vaporised"}]
    with pytest.raises(ValueError, match="vaporised"):
        _render("erasure_done", systems=systems)


def test_controller_without_an_email_is_refused() -> None:
    with pytest.raises(ValueError, match="controller"):
        _render("verified", controller={"name": "Example Outdoor GmbH"})


def test_enum_members_render_like_their_strings() -> None:
    as_enum = _render(
        "verified", request_type=RequestType.ERASURE, regulation=Regulation.CCPA
    )

    assert as_enum == _render("verified", request_type="erasure", regulation="ccpa")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_request_type_has_its_own_label_and_next_steps(language: str) -> None:
    labels, next_steps = set(), set()
    for request_type in RequestType:
        text = _render("verified", language, request_type=request_type).text
        paragraphs = text.split("\n\n")
        # greeting, thanks, facts (reference, request, due date), what happens next, ...
        labels.add(paragraphs[2].splitlines()[1].split(":", 1)[1].strip())
        next_steps.add(paragraphs[3])

    assert len(labels) == len(RequestType)
    assert len(next_steps) == len(RequestType)
    assert all(labels)


@pytest.mark.parametrize("regulation", list(Regulation))
def test_every_regulation_has_a_label(regulation: Regulation) -> None:
    text = _render("received", regulation=regulation).text
    law_line = [
        line for line in text.splitlines() if line.startswith("Applicable law:")
    ]

    assert law_line[0].removeprefix("Applicable law:").strip()


def test_a_missing_name_gets_a_neutral_greeting() -> None:
    for language, greeting in (("en", "Hello,"), ("de", "Guten Tag,")):
        rendered = _render("verified", language, subject_name=None)
        assert rendered.text.startswith(f"{greeting}\n")
        assert greeting in _visible(rendered.html)


def test_controller_signs_the_mail_and_the_dpo_line_is_optional() -> None:
    with_dpo = _render("verified")
    without = _render("verified", controller={**CONTROLLER, "dpo_email": None})

    assert "The privacy team of Example Outdoor GmbH" in with_dpo.text
    assert "dpo@example.com" in with_dpo.text
    assert "mailto:dpo@example.com" in _parse_html(with_dpo.html).hrefs
    assert "dpo@example.com" not in without.text
    assert "Data protection officer" not in without.html


def test_html_escapes_what_people_typed() -> None:
    script = "<script>alert('x')</script>"
    rendered = _render("denial", subject_name=script, message=f"See {script}")

    assert "<script" not in rendered.html
    assert "&lt;script&gt;" in rendered.html
    assert script in rendered.text  # plain text is not HTML: nothing to escape


def test_staff_text_keeps_its_line_breaks_in_html() -> None:
    html = _render("denial", message="First line.\nSecond <line>.").html

    assert "First line.<br>\nSecond &lt;line&gt;." in html


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("reason_code", list(DenialReason))
def test_denial_explains_the_reason_and_the_remedies(
    reason_code: DenialReason, language: str
) -> None:
    rendered = _render("denial", language, reason_code=reason_code)
    remedy = {"en": "judicial remedy", "de": "gerichtlicher Rechtsbehelf"}[language]

    for part in (rendered.text, _visible(rendered.html)):
        assert AUTHORITY["name"] in part
        assert AUTHORITY["url"] in part
        assert remedy in part
        assert "Art. 77" in part
        assert "Art. 79" in part
    assert AUTHORITY["url"] in _parse_html(rendered.html).hrefs


def test_each_reason_code_has_its_own_explanation() -> None:
    def why(reason_code: DenialReason) -> str:
        text = _render("denial", reason_code=reason_code, message="").text
        after_heading = text.split("\nOur reasons\n", 1)[1]
        return after_heading.split("\nYour rights\n", 1)[0].strip()

    explanations = {why(code) for code in DenialReason}

    assert len(explanations) == len(DenialReason)
    assert all(explanations)


def test_denial_words_full_and_partial_refusals_differently() -> None:
    partial, full = _render("denial", partial=True), _render("denial", partial=False)

    assert "We can carry out part of it" in partial.text
    assert "we cannot carry it out" in full.text
    assert partial.subject != full.subject


def test_denial_cites_no_gdpr_articles_under_other_laws() -> None:
    text = _render("denial", regulation="ccpa").text

    assert "GDPR" not in text
    assert AUTHORITY["name"] in text
    assert "judicial remedy" in text


def test_denial_offers_an_appeal_when_there_is_one() -> None:
    url = f"{BASE_URL}/appeal/DSR-7KQ2M9XP"
    rendered = _render("denial", regulation="vcdpa", appeal_url=url)

    assert url in rendered.text
    assert url in _parse_html(rendered.html).hrefs


@pytest.mark.parametrize(
    ("regulation", "expected"),
    [
        ("gdpr", ["two further months", "Art. 12(3) GDPR"]),
        ("uk_gdpr", ["two further months", "Art. 12(3) UK GDPR"]),
        ("ccpa", ["45 more days", "1798.130"]),
        ("vcdpa", ["45 more days", "Virginia"]),
        ("cpa", ["45 more days", "Colorado"]),
        ("pipeda", ["30 more days", "Privacy Commissioner of Canada"]),
    ],
)
def test_extension_gives_the_legal_basis_of_its_law(
    regulation: str, expected: list[str]
) -> None:
    rendered = _render("extension", regulation=regulation)

    for part in (rendered.text, _visible(rendered.html)):
        for phrase in expected:
            assert phrase in part
        assert CONTEXTS["extension"]["reason"] in part
        assert "June 10, 2026" in part


def test_pipeda_extension_names_the_given_authority() -> None:
    authority = {"name": "Example Privacy Commissioner"}
    text = _render("extension", regulation="pipeda", authority=authority).text

    assert "complain about this extension to Example Privacy Commissioner" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_erasure_report_lists_every_system_with_its_outcome(language: str) -> None:
    labels = {
        "en": {
            "erased": "Erased",
            "scheduled": "Erasure requested from the provider",
            "manual": "Erased by hand",
            "not_held": "We held no data about you here",
            "already_erased": "cannot say how many records were erased in all",
        },
        "de": {
            "erased": "Gelöscht",
            "scheduled": "Löschung beim Anbieter beauftragt",
            "manual": "von Hand gelöscht",
            "not_held": "keine Daten über Sie gespeichert",
            "already_erased": "wie viele Datensätze insgesamt gelöscht wurden",
        },
    }[language]
    rendered = _render("erasure_done", language)
    html_rows = re.findall(r"<tr>(.*?)</tr>", rendered.html, flags=re.S)

    for system in CONTEXTS["erasure_done"]["systems"]:
        label = labels[system["outcome"]]
        line = next(
            line
            for line in rendered.text.splitlines()
            if line.startswith(f"- {system['name']}:")
        )
        assert label in line
        assert any(system["name"] in row and label in row for row in html_rows)
    counted = {"en": "Erased (14 records)", "de": "Gelöscht (14 Datensätze)"}[language]
    assert counted in rendered.text
    for recipient in CONTEXTS["erasure_done"]["recipients"]:
        assert f"- {recipient['name']}: " in rendered.text
        assert f"<strong>{recipient['name']}</strong>" in rendered.html


def test_erasure_report_says_how_each_recipient_was_told_and_no_more() -> None:
    told = _render("erasure_done").text
    nobody = _render("erasure_done", recipients=[]).text
    lines = {line.split(":")[0]: line for line in told.splitlines() if ":" in line}

    assert "(Art. 19 GDPR)" in told
    assert "we have written to them" in lines["- Parcel Partner Ltd"]
    assert "we erased your data in their system" in lines["- Mail Relay Inc"]
    assert lines["- Tax Office"].endswith(
        "not asked to erase it. It keeps records by law."
    )
    assert "not told about your erasure" in lines["- Old Partner"]
    assert told.count("asked") == 1  # only the mailed one was asked; nobody else
    assert "nobody else to tell" in nobody


def test_a_recipient_notice_names_the_person_and_the_reference() -> None:
    mail = _render(
        "recipient_erasure",
        recipient="Parcel Partner Ltd",
        subject_email="ada@example.com",
        person_name="Ada Lovelace",
    )
    assert "Hello," in mail.text  # the recipient, not the requester, is greeted
    assert "ada@example.com" in mail.text
    assert "Ada Lovelace" in mail.html
    assert "Art. 17 and 19 GDPR" in mail.text


def test_results_ready_says_when_nothing_was_found() -> None:
    nothing = _render("results_ready", records=0).text
    assert "found no personal data about you" in nothing
    assert "JSON and CSV" not in nothing


def test_results_ready_describes_the_package_and_the_personal_link() -> None:
    access = _render("results_ready").text
    portability = _render("results_ready", request_type="portability").text

    assert "index.html" in access
    assert "index.html" not in portability  # machine-readable files only
    assert "manifest.json" in portability
    assert "personal" in access
    assert "April 17, 2026" in access


def test_results_ready_mentions_an_attachment_only_when_there_is_one() -> None:
    assert "attached" not in _render("results_ready").text
    assert "attached" in _render("results_ready", attached=True).text


def test_staff_new_request_has_the_facts_but_no_personal_data() -> None:
    rendered = _render("staff_new_request", channel="email")

    for fact in ("DSR-7KQ2M9XP", "Access", "GDPR", "Email", "April 10, 2026"):
        assert fact in rendered.text
    assert "Jamie Rivera" not in rendered.text
    assert "Jamie Rivera" not in rendered.html


@pytest.mark.parametrize(
    ("stage", "days_left", "language", "expected"),
    [
        ("at_risk", 1, "en", "1 day is left"),
        ("at_risk", 5, "en", "5 days are left"),
        ("overdue", -1, "en", "1 day ago"),
        ("overdue", -3, "en", "3 days ago"),
        ("at_risk", 1, "de", "bleibt noch 1 Tag."),
        ("overdue", -3, "de", "vor 3 Tagen"),
    ],
)
def test_escalation_counts_days_in_the_right_plural(
    stage: str, days_left: int, language: str, expected: str
) -> None:
    rendered = _render("staff_escalation", language, stage=stage, days_left=days_left)

    assert expected in rendered.text
    assert expected in _visible(rendered.html)


def test_escalation_subject_names_the_stage() -> None:
    assert _render(
        "staff_escalation", stage="overdue", days_left=-2
    ).subject.startswith("Overdue")
    assert _render("staff_escalation").subject.startswith("At risk")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("de", "de"),
        ("de-AT", "de"),
        ("DE_ch", "de"),
        ("en-US,en;q=0.9,de;q=0.8", "en"),
        ("fr-CH, fr;q=0.9, de;q=0.8, en;q=0.5", "de"),
        ("de;q=0.5, en;q=0.9", "en"),
        ("de;q=0, fr", "en"),
        ("*", "en"),
        ("es, it;q=0.4", "en"),
        ("de;q=oops, en;q=0.1", "en"),
        ("de;q=2, en;q=0.1", "en"),
        ("en;q=0.8, de;q=0.8", "en"),
        ("de-DE;level=1;q=0.9, en;q=0.8", "de"),
    ],
)
def test_pick_language(header: str | None, expected: str) -> None:
    assert pick_language(header) == expected


def _extracted_ids() -> set[Any]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)

    def inside_templates(folder: str) -> bool:
        # Walk only the templates and the app (N_ markers); the rest holds no messages.
        path = Path(folder).resolve()
        return path == ROOT or path.relative_to(ROOT).parts[0] in {"templates", "app"}

    return {
        message
        for _, _, message, _, _ in extract_from_dir(
            ROOT, method_map, options_map, directory_filter=inside_templates
        )
    }


def test_the_pot_template_is_up_to_date_with_the_templates() -> None:
    assert _extracted_ids() == _catalogue_ids(LOCALE / "messages.pot")


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_catalogue_is_complete_and_keeps_the_placeholders(language: str) -> None:
    path = LOCALE / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        catalogue = read_po(source, locale=language)
    placeholder = re.compile(r"%\(\w+\)s")

    assert {m.id for m in catalogue if m.id} == _catalogue_ids(LOCALE / "messages.pot")
    for message in catalogue:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = (
            message.string if isinstance(message.string, tuple) else (message.string,)
        )
        assert all(strings), message.id
        expected = sorted(placeholder.findall(ids[-1]))
        for string in strings:
            assert sorted(placeholder.findall(string)) == expected, message.id


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_objection_answer_lists_where_marketing_stopped_and_the_art_21_rules(
    language: str,
) -> None:
    expected = {
        "en": (
            "- Newsletter: Unsubscribed from marketing",
            "- CRM: You were not receiving marketing from here",
            "- Our other systems: Unsubscribed by hand by our team",
            "a member of our team did it by hand",
            "(Art. 21(3) GDPR)",
            "compelling legitimate grounds",
        ),
        "de": (
            "- Newsletter: Von Werbung abgemeldet",
            "- CRM: Von hier haben Sie keine Werbung erhalten",
            "- Unsere übrigen Systeme: Von unserem Team von Hand abgemeldet",
            "von Hand erledigt",
            "(Art. 21 Abs. 3 DSGVO)",
            "zwingende schutzwürdige Gründe",
        ),
    }[language]
    rendered = _render("opt_out_done", language)

    for part in expected:
        assert part in rendered.text
    assert expected[4] in rendered.html


def test_a_ccpa_opt_out_answer_cites_no_gdpr_article() -> None:
    rendered = _render("opt_out_done", request_type="opt_out", regulation="ccpa")

    assert rendered.subject == "Your opt-out request: what we did"
    assert "Art. 21" not in rendered.text
    assert "- Newsletter: Unsubscribed from marketing" in rendered.text
