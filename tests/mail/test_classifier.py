"""Request-type, regulation and language guesses over the corpus and phrase tables."""

import csv
import re
from pathlib import Path

import pytest

from app.enums import Regulation, RequestType
from app.mail import cues
from app.mail.classifier import classify, normalise
from app.mail.parser import parse_message

CORPUS = Path(__file__).parents[1] / "data" / "mail"
REQUIRED_LANGUAGES = {"en", "de", "fr", "es", "it", "nl", "pt"}


def _expected() -> dict[str, dict[str, str]]:
    with (CORPUS / "expected.csv").open(newline="", encoding="utf-8") as table:
        return {row["file"]: row for row in csv.DictReader(table)}


EXPECTED = _expected()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_classification(name: str) -> None:
    row = EXPECTED[name]
    parsed = parse_message((CORPUS / name).read_bytes())
    result = classify(parsed.subject, parsed.text)
    assert result.request_type == (RequestType(row["type"]) if row["type"] else None)
    assert result.regulation == (
        Regulation(row["regulation"]) if row["regulation"] else None
    )
    assert result.confident is (row["confident"] == "yes")
    assert result.language == (row["language"] or None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Please send me a copy of my personal data.", RequestType.ACCESS),
        ("Please delete my personal data.", RequestType.ERASURE),
        ("I want my right to be forgotten respected.", RequestType.ERASURE),
        (
            "Please correct my personal data, my name is misspelt.",
            RequestType.RECTIFICATION,
        ),
        ("I request data portability for my account.", RequestType.PORTABILITY),
        (
            "I ask for restriction of processing while you check.",
            RequestType.RESTRICTION,
        ),
        ("I object to direct marketing.", RequestType.OBJECTION),
        ("Do not sell or share my personal information.", RequestType.OPT_OUT),
        ("Ich bitte um Auskunft über meine gespeicherten Daten.", RequestType.ACCESS),
        ("Bitte Löschung meiner Daten.", RequestType.ERASURE),
        ("Ich verlange die Berichtigung meiner Anschrift.", RequestType.RECTIFICATION),
        (
            "Ich mache mein Recht auf Datenübertragbarkeit geltend.",
            RequestType.PORTABILITY,
        ),
        ("Ich verlange die Einschränkung der Verarbeitung.", RequestType.RESTRICTION),
        ("Ich lege Widerspruch gegen die Verarbeitung ein.", RequestType.OBJECTION),
        ("J'exerce mon droit d'accès.", RequestType.ACCESS),
        ("Merci de supprimer mes données.", RequestType.ERASURE),
        ("J'exerce mon droit de rectification.", RequestType.RECTIFICATION),
        ("Je demande la portabilité de mes données.", RequestType.PORTABILITY),
        ("Je demande la limitation du traitement.", RequestType.RESTRICTION),
        ("J'exerce mon droit d'opposition.", RequestType.OBJECTION),
        ("Ejerzo mi derecho de acceso.", RequestType.ACCESS),
        ("Ejerzo mi derecho de supresión.", RequestType.ERASURE),
        ("Ejerzo mi derecho de rectificación.", RequestType.RECTIFICATION),
        ("Solicito la portabilidad de mis datos.", RequestType.PORTABILITY),
        ("Solicito la limitación del tratamiento.", RequestType.RESTRICTION),
        ("Ejerzo mi derecho de oposición.", RequestType.OBJECTION),
        ("Esercito il diritto di accesso.", RequestType.ACCESS),
        ("Chiedo la cancellazione dei miei dati.", RequestType.ERASURE),
        ("Esercito il diritto di rettifica.", RequestType.RECTIFICATION),
        ("Chiedo la portabilità dei dati.", RequestType.PORTABILITY),
        ("Chiedo la limitazione del trattamento.", RequestType.RESTRICTION),
        ("Esercito il diritto di opposizione.", RequestType.OBJECTION),
        ("Dit is een inzageverzoek.", RequestType.ACCESS),
        ("Ik beroep me op het recht op vergetelheid.", RequestType.ERASURE),
        ("Ik beroep me op het recht op rectificatie.", RequestType.RECTIFICATION),
        ("Ik vraag om dataportabiliteit.", RequestType.PORTABILITY),
        ("Ik vraag om beperking van de verwerking.", RequestType.RESTRICTION),
        ("Ik maak bezwaar tegen direct marketing.", RequestType.OBJECTION),
        ("Exerço o direito de acesso.", RequestType.ACCESS),
        ("Peço a eliminação dos meus dados.", RequestType.ERASURE),
        ("Exerço o direito de retificação.", RequestType.RECTIFICATION),
        ("Solicito a portabilidade dos dados.", RequestType.PORTABILITY),
        ("Solicito a limitação do tratamento.", RequestType.RESTRICTION),
        ("Exerço o direito de oposição.", RequestType.OBJECTION),
    ],
)
def test_phrase_alone_is_a_confident_verdict(text: str, expected: RequestType) -> None:
    result = classify("", text)
    assert result.request_type is expected
    assert result.confident


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Order", "Where is my order? The tracking number does not work."),
        ("Refund", "I was charged twice, please refund me or delete my account."),
        ("Rechnung", "Ich lege Widerspruch gegen die Rechnung ein."),
        ("Ordine", "Vorrei la cancellazione dell'ordine 1234, grazie."),
        ("Password", "I need a password reset, I can't access my account."),
        ("Question", "Do you sell gift cards?"),
        ("Contract", "Under art. 17 of our contract the notice period is 30 days."),
        ("", ""),
    ],
)
def test_customer_service_mail_is_not_confident(subject: str, text: str) -> None:
    assert not classify(subject, text).confident


def test_unsubscribe_is_not_an_opt_out_of_sale() -> None:
    result = classify("Unsubscribe me", "Unsubscribe me from all your emails please.")
    # An objection to direct marketing (GDPR Art. 21(2)), never a CCPA opt-out of sale.
    assert (result.request_type, result.confident) == (RequestType.OBJECTION, True)
    assert result.scores[RequestType.OPT_OUT] == 0


def test_two_strong_rights_need_staff_triage() -> None:
    result = classify(
        "", "Send me a copy of my personal data and delete my personal data."
    )
    assert not result.confident
    assert result.scores[RequestType.ACCESS] == result.scores[RequestType.ERASURE] > 0


def test_incidental_second_right_does_not_block_confidence() -> None:
    text = "Under Art. 17 GDPR please delete all my data. No need to send a copy of my data."
    result = classify("Right to be forgotten", text)
    assert result.request_type is RequestType.ERASURE
    assert result.confident


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Request under Art. 15 DSGVO.", RequestType.ACCESS),
        ("Antrag gemäß Artikel 16 DSGVO.", RequestType.RECTIFICATION),
        ("Richiesta ai sensi dell'articolo 17 del GDPR.", RequestType.ERASURE),
        ("Demande au titre de l'art. 18 RGPD.", RequestType.RESTRICTION),
        ("Request under Article 20(1) GDPR.", RequestType.PORTABILITY),
        ("Solicitud conforme al artículo 21 del RGPD.", RequestType.OBJECTION),
        ("Verzoek op grond van art.15 AVG.", RequestType.ACCESS),
        ("Pedido nos termos do artigo 17.º do RGPD.", RequestType.ERASURE),
        ("Request under Article 17 of the UK GDPR.", RequestType.ERASURE),
        ("Pedido conforme o art. 18, inciso VI, da LGPD.", RequestType.ERASURE),
        ("Pedido conforme o art. 18, V, da LGPD.", RequestType.PORTABILITY),
        ("Request under Cal. Civ. Code 1798.105.", RequestType.ERASURE),
    ],
)
def test_article_numbers_map_to_rights(text: str, expected: RequestType) -> None:
    result = classify("", text)
    assert result.request_type is expected
    assert result.confident


def test_lgpd_article_18_is_not_gdpr_restriction() -> None:
    result = classify(
        "", "Com base no art. 18 da LGPD, peço a portabilidade dos meus dados."
    )
    assert result.regulation is Regulation.LGPD
    assert result.request_type is RequestType.PORTABILITY
    assert result.scores[RequestType.RESTRICTION] == 0


def test_article_list_counts_every_number() -> None:
    result = classify("", "I invoke Articles 15 and 17 GDPR.")
    assert result.scores[RequestType.ACCESS] == result.scores[RequestType.ERASURE] > 0
    assert not result.confident


def test_bare_article_number_without_a_law_is_only_a_hint() -> None:
    result = classify("", "See art. 17.")
    assert result.request_type is RequestType.ERASURE
    assert not result.confident


@pytest.mark.parametrize(
    ("text", "regulation"),
    [
        ("My rights under the GDPR.", Regulation.GDPR),
        ("Meine Rechte nach der DSGVO.", Regulation.GDPR),
        ("Mes droits selon le RGPD.", Regulation.GDPR),
        ("Mijn rechten onder de AVG.", Regulation.GDPR),
        ("Regulation (EU) 2016/679.", Regulation.GDPR),
        ("My rights under the UK GDPR.", Regulation.UK_GDPR),
        ("My rights under the Data Protection Act 2018.", Regulation.UK_GDPR),
        ("Meus direitos pela LGPD.", Regulation.LGPD),
        ("My rights under the CCPA.", Regulation.CCPA),
        ("My rights under the CPRA.", Regulation.CCPA),
        ("My rights under PIPEDA.", Regulation.PIPEDA),
        (
            "My rights under the Virginia Consumer Data Protection Act.",
            Regulation.VCDPA,
        ),
        ("My rights under the Colorado Privacy Act.", Regulation.CPA),
        ("My rights.", None),
    ],
)
def test_regulation_hint(text: str, regulation: Regulation | None) -> None:
    assert classify("", text).regulation is regulation


def test_quoted_reply_text_counts_less() -> None:
    own = classify("", "Please delete my personal data.")
    quoted = classify("", "Thanks!\n> Please delete my personal data.")
    assert 0 < quoted.scores[RequestType.ERASURE] < own.scores[RequestType.ERASURE]
    assert not quoted.confident


def test_subject_counts_more_than_body() -> None:
    in_subject = classify("Right to erasure", "")
    in_body = classify("", "Right to erasure")
    assert in_subject.scores[RequestType.ERASURE] > in_body.scores[RequestType.ERASURE]


@pytest.mark.parametrize(
    "text",
    [
        "LÖSCHUNG MEINER DATEN",
        "loschung meiner daten",
        "Löschung  meiner\nDaten",
        "Loeschung meiner Daten",  # the intent words know the "oe" spelling
    ],
)
def test_case_accents_and_spacing_are_folded(text: str) -> None:
    result = classify("", text)
    assert result.request_type is RequestType.ERASURE


@pytest.mark.parametrize(
    "text",
    ["droit à l\u2019effacement", "DROIT A L'EFFACEMENT", "droit a l effacement"],
)
def test_apostrophes_are_folded(text: str) -> None:
    assert classify("", text).request_type is RequestType.ERASURE


def test_normalise_folds_case_accents_apostrophes_and_dashes() -> None:
    assert (
        normalise("Droit À L\u2019Effacement \u2013 Opt-Out\u00a0ß")
        == "droit a l effacement opt out ss"
    )


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hello, I would like to know what data you have about me. Thank you.", "en"),
        (
            "Sehr geehrte Damen und Herren, ich bitte um Auskunft über meine Daten.",
            "de",
        ),
        ("Madame, je vous demande de supprimer mes données pour mon compte.", "fr"),
        ("Estimados señores, solicito el acceso a mis datos por favor.", "es"),
        ("Gentili signori, vi chiedo la cancellazione dei miei dati per favore.", "it"),
        ("Geachte heer, ik wil graag inzage in mijn gegevens van uw bedrijf.", "nl"),
        ("Prezados, solicito a eliminação dos meus dados para o meu cadastro.", "pt"),
        ("個人情報の開示をお願いします。", "ja"),
        ("Ok", None),
    ],
)
def test_language_guess(text: str, language: str | None) -> None:
    assert classify("", text).language == language


def test_scores_cover_every_type_and_are_read_only() -> None:
    result = classify("", "Please delete my data")
    assert set(result.scores) == set(RequestType)
    with pytest.raises(TypeError):
        result.scores[RequestType.ACCESS] = 9.0  # type: ignore[index]


def test_matched_cues_are_listed_for_staff() -> None:
    result = classify("Auskunft nach Art. 15 DSGVO", "")
    assert "access: auskunft nach art (de)" in result.matched
    assert "access: art. 15" in result.matched
    assert "regulation: gdpr (dsgvo)" in result.matched


def test_huge_text_is_bounded() -> None:
    result = classify("", "lorem ipsum " * 200_000 + "please delete my personal data")
    assert result.request_type is None  # beyond the scanned prefix


def test_cue_table_covers_required_languages() -> None:
    for request_type in RequestType:
        languages = set(cues.CUES[request_type])
        if request_type is RequestType.OPT_OUT:
            assert "en" in languages  # a CCPA right: US mail
        else:
            assert languages >= REQUIRED_LANGUAGES, request_type


def test_cue_phrases_are_unambiguous_and_weighted() -> None:
    owner: dict[str, RequestType] = {}
    for request_type, languages in cues.CUES.items():
        for phrases in languages.values():
            for phrase, weight in phrases.items():
                key = normalise(phrase)
                assert key, phrase
                assert weight in (cues.STRONG, cues.CLEAR, cues.HINT), phrase
                assert owner.setdefault(key, request_type) is request_type, phrase
                assert re.fullmatch(r"[^*]+\*?", phrase), phrase
