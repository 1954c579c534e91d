"""Requests as people write them (nine languages, typos, no legal words), and look-alikes."""

import pytest

from app.enums import RequestType
from app.language import detect
from app.mail.agents import read_agency
from app.mail.classifier import classify
from app.mail.loops import automatic_text_reason

A, E, R = RequestType.ACCESS, RequestType.ERASURE, RequestType.RECTIFICATION
S, OBJ, P = RequestType.RESTRICTION, RequestType.OBJECTION, RequestType.PORTABILITY
OPT = RequestType.OPT_OUT


@pytest.mark.parametrize(
    ("subject", "text", "expected"),
    [
        # The misses the independent corpus found, in the words it used.
        ("", "what do you have on me", A),
        ("", "get rid of my account and everything", E),
        ("", "forget me", E),
        ("", "stop emailing me", OBJ),
        ("", "I want a copy of my info", A),
        ("", "remove me from your list", OBJ),
        ("delte acount", "", E),
        ("", "Was habt ihr über mich gespeichert?", A),
        ("", "Bonjour, quelles informations vous avez sur moi ?", A),
        ("", "Vorrei cancellare il mio account e tutti i miei dati", E),
        ("", "Ik wil graag weten welke gegevens jullie van mij hebben", A),
        # Polish and Swedish, never recognised before.
        ("", "Proszę o usunięcie mojego konta i wszystkich danych.", E),
        ("", "Jakie dane o mnie przechowujecie?", A),
        ("", "Przestańcie wysyłać mi maile.", OBJ),
        ("", "Hej, vilka uppgifter har ni om mig?", A),
        ("", "Jag vill att ni raderar mitt konto.", E),
        ("", "Sluta skicka mejl till mig, tack.", OBJ),
        # Inflected forms and everyday phrasing in the other languages.
        ("", "Bitte löscht mein Konto mit allen Daten.", E),
        ("", "Meine Adresse ist falsch, bitte korrigieren Sie meine Daten.", R),
        ("", "Ich möchte keine Werbung mehr von Ihnen bekommen.", OBJ),
        ("", "Merci de supprimer mon compte.", E),
        ("", "Por favor borren mi cuenta y mis datos.", E),
        ("", "Quiero saber qué datos tienen sobre mí.", A),
        ("", "Apaguem a minha conta, por favor.", E),
        ("", "Dimenticatemi, per favore.", E),
        # The other rights without their legal names.
        ("", "My address is wrong, please update my details.", R),
        ("", "Please don't sell my info to anyone.", OPT),
        ("", "I'd like to download all my data as a CSV file for another provider.", P),
        ("", "Please stop using my data until you have looked at my complaint.", S),
        ("", "Please freeze the use of my data for now, but do not delete it.", S),
    ],
)
def test_requests_without_legal_words_are_recognised(
    subject: str, text: str, expected: RequestType
) -> None:
    result = classify(subject, text)
    assert (result.request_type, result.confident) == (expected, True), result.matched
    assert any(label.startswith(f"{expected}: ") for label in result.matched)


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("GDPR question", "Are you GDPR compliant? How do you delete customer data?"),
        ("DPA", "Please send us your data processing agreement (DPA) to sign."),
        ("Bug", "I can't delete my account, the button does nothing."),
        ("Security alert", "Your account will be deleted unless you verify it today."),
        (
            "Newsletter",
            "You are receiving this email because you subscribed. Unsubscribe.",
        ),
        ("Offer", "We remove your data from 500 broker sites. Buy now!"),
        ("Order", "Where is my order? The tracking number does not work."),
        ("Rechnung", "Ich habe eine Frage zu meiner Rechnung vom März."),
    ],
)
def test_look_alikes_are_not_filed(subject: str, text: str) -> None:
    assert not classify(subject, text).confident


def test_unsure_mail_that_looks_like_a_request_is_marked_so() -> None:
    result = classify("Refund", "I was charged twice, refund me or delete my account.")
    assert not result.confident
    assert result.looks_like_request
    assert not classify("Hello", "When do you open on Saturday?").looks_like_request


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I want a copy of my info", "en"),
        ("Was habt ihr über mich gespeichert", "de"),
        ("quelles informations vous avez sur moi", "fr"),
        ("quiero borrar mi cuenta", "es"),
        ("cancellare il mio account e tutti i miei dati", "it"),
        ("welke gegevens jullie van mij hebben", "nl"),
        ("apaguem a minha conta por favor", "pt"),
        ("Proszę usunąć moje konto", "pl"),
        ("Ta bort mitt konto tack", "sv"),
        ("Ok", None),
    ],
)
def test_language_of_short_text(text: str, language: str | None) -> None:
    assert detect(text) == language


def test_a_lone_surrogate_does_not_stop_language_detection() -> None:
    # No stop words decide it, so the statistical detector reads it (it refused surrogates).
    assert (
        detect("Löschung Datenschutz Kundenkonto Verarbeitung \udcff Grundverordnung")
        == "de"
    )


def test_polish_is_not_taken_for_portuguese() -> None:
    result = classify(
        "Usunięcie danych", "Dzień dobry, proszę usunąć moje dane osobowe."
    )
    assert (result.language, result.request_type) == ("pl", E)


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Automatic reply: Your privacy request", "Thanks for your mail."),
        ("Abwesenheitsnotiz: Ihre Anfrage", "Vielen Dank für Ihre Nachricht."),
        ("Re: [DSR-7K3MQ9XA] Request", "Ich bin bis zum 12. März nicht im Büro."),
        ("Réponse automatique", "Je suis absente jusqu'au 3 avril."),
        ("Re: your mail", "I am currently out of the office with limited access."),
        ("Odpowiedź automatyczna: Wniosek", ""),
        ("Autosvar: Din begäran", ""),
        ("Re: hello", "Your message is awaiting verification. Confirm you are human."),
    ],
)
def test_auto_replies_without_headers_are_recognised(subject: str, text: str) -> None:
    assert automatic_text_reason(subject, text) is not None


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Delete my data", "Please delete my data. I was on vacation last month."),
        ("Semester project", "Hello"),
        ("Re: [DSR-7K3MQ9XA]", "Yes, it was me.\n> I am out of the office"),
    ],
)
def test_people_writing_about_holidays_are_not_auto_replies(
    subject: str, text: str
) -> None:
    assert automatic_text_reason(subject, text) is None


def test_agency_names_the_client_and_their_address() -> None:
    agency = read_agency(
        "Dear team, I write on behalf of my client, Jane Doe (jane.doe@example.net). "
        "Please delete all her data.",
        [],
        sender="counsel@lawfirm.example",
        ours="example.com",
    )
    assert agency is not None
    assert (agency.subject_name, agency.subject_email) == (
        "Jane Doe",
        "jane.doe@example.net",
    )


def test_agency_from_a_power_of_attorney_alone() -> None:
    agency = read_agency(
        "Bitte löschen Sie die Daten von Herrn Weber.",
        ["Vollmacht_Weber.pdf"],
        sender="kanzlei@example.de",
        ours="example.com",
    )
    assert agency is not None
    assert agency.subject_email is None
    assert agency.evidence == "attachment Vollmacht_Weber.pdf"


def test_own_requests_are_not_agency() -> None:
    text = "Please delete my account. My colleague jo@example.org asked too."
    assert read_agency(text, ["id.jpg"], sender="me@example.org", ours=None) is None
