"""The results package: every member of the ZIP checked against the staged records."""

import csv
import hashlib
import io
import json
import random
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from app.exports.builder import ExportManifest, StagingError, build_export
from app.exports.staging import EXTRA_COLUMN, MAX_COLUMNS, csv_row
from app.privacy import PrivacyFacts, load_privacy

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "templates" / "locale"
GENERATED_AT = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
REFERENCE = "DSR-2026-0042"
EMAIL = "zoe.odegard@example.com"

# Two connectors; each one's sources are interleaved, keys vary between records, values nest.
STAGED: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "crm": [
        (
            "contacts",
            {"id": 17, "email": EMAIL, "name": "Zoë Ødegård", "tags": ["vip"]},
        ),
        ("deals", {"id": "D-1", "amount": 1250.5, "stage": "won", "owner": None}),
        ("contacts", {"id": 18, "email": EMAIL, "phone": "+353 1 555 0100"}),
        ("notes", {"body": 'Called <script>alert(1)</script> — said "hi",\nthen left'}),
        ("deals", {"id": "D-2", "amount": 0, "stage": "lost", "lost_reason": "price"}),
        (
            "contacts",
            {"id": 19, "email": EMAIL, "name": "東京 🌸", "address": {"city": "Cork"}},
        ),
    ],
    "app_db": [
        (
            "users",
            {"id": 1, "email": EMAIL, "active": True, "settings": {"theme": "dark"}},
        ),
        ("events", {"kind": "login", "at": "2026-01-02T03:04:05Z", "ip": "192.0.2.1"}),
        (
            "events",
            {"kind": "export", "at": "2026-01-03T10:00:00Z", "meta": {"rows": [1, 2]}},
        ),
        ("users", {"id": 2, "email": EMAIL, "active": False, "deleted_at": None}),
        ("events", {"kind": "logout", "at": "2026-01-03T11:00:00Z"}),
    ],
}


@pytest.fixture(scope="module")
def facts() -> PrivacyFacts:
    return load_privacy(ROOT / "privacy.example.yaml")


def write_staging(
    folder: Path, staged: dict[str, list[tuple[str, dict[str, Any]]]]
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for connector, records in staged.items():
        lines = [
            json.dumps({"source": s, "data": d}, ensure_ascii=False) for s, d in records
        ]
        (folder / f"{connector}.jsonl").write_text(
            "\n".join(lines) + "\n", encoding="utf-8"
        )
    return folder


def build(
    facts: PrivacyFacts, staging: Path, target: Path, request_type: str = "access"
) -> ExportManifest:
    return build_export(
        staging,
        target,
        reference=REFERENCE,
        request_type=request_type,
        facts=facts,
        generated_at=GENERATED_AT,
        subject_email=EMAIL,
    )


def expected_by_source(connector: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for source, data in STAGED[connector]:
        grouped.setdefault(source, []).append(data)
    return grouped


def cell(value: Any) -> str:
    if isinstance(value, str):  # text that a spreadsheet would run gets a leading quote
        return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
    return "" if value is None else json.dumps(value, ensure_ascii=False)


@pytest.fixture
def package(
    facts: PrivacyFacts, tmp_path: Path
) -> Iterator[tuple[ExportManifest, zipfile.ZipFile]]:
    staging = write_staging(tmp_path / "staging" / REFERENCE, STAGED)
    manifest = build(facts, staging, tmp_path / "exports" / f"{REFERENCE}.zip")
    archive = zipfile.ZipFile(manifest.path)
    yield manifest, archive
    archive.close()


def test_the_zip_holds_a_json_and_csv_per_source_plus_index_and_manifest(package):
    _, archive = package
    assert archive.testzip() is None
    expected = {"index.html", "manifest.json"}
    for connector in STAGED:
        for source in expected_by_source(connector):
            expected |= {
                f"data/{connector}/{source}.json",
                f"data/{connector}/{source}.csv",
            }
    assert set(archive.namelist()) == expected
    assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in archive.infolist())


def test_each_json_member_is_an_array_of_that_sources_records_in_order(package):
    _, archive = package
    for connector in STAGED:
        for source, records in expected_by_source(connector).items():
            assert (
                json.loads(archive.read(f"data/{connector}/{source}.json")) == records
            )


def test_csv_header_is_the_union_of_keys_and_rows_round_trip(package):
    _, archive = package
    for connector in STAGED:
        for source, records in expected_by_source(connector).items():
            text = archive.read(f"data/{connector}/{source}.csv").decode("utf-8")
            header, *rows = list(csv.reader(io.StringIO(text, newline="")))
            union = list(dict.fromkeys(key for record in records for key in record))
            assert header == union
            assert rows == [
                [cell(record.get(key)) for key in union] for record in records
            ]


def test_manifest_lists_sources_counts_and_hashes_matching_the_member_bytes(package):
    _, archive = package
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["reference"] == REFERENCE
    assert manifest["request_type"] == "access"
    assert datetime.fromisoformat(manifest["generated_at"]) == GENERATED_AT
    listed = {(s["connector"], s["source"]): s for s in manifest["sources"]}
    for connector in STAGED:
        for source, records in expected_by_source(connector).items():
            assert listed[(connector, source)]["records"] == len(records)
    entries = [f for s in manifest["sources"] for f in s["files"]] + [manifest["index"]]
    assert {entry["path"] for entry in entries} == set(archive.namelist()) - {
        "manifest.json"
    }
    for entry in entries:
        content = archive.read(entry["path"])
        assert entry["bytes"] == len(content)
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()


def test_returned_manifest_describes_the_zip_file(package):
    manifest, archive = package
    content = manifest.path.read_bytes()
    assert manifest.size == len(content)
    assert manifest.sha256 == hashlib.sha256(content).hexdigest()
    assert manifest.counts == {
        "app_db": {"events": 3, "users": 2},
        "crm": {"contacts": 3, "deals": 2, "notes": 1},
    }
    assert {f.path for f in manifest.files} == set(archive.namelist())
    for item in manifest.files:
        assert item.sha256 == hashlib.sha256(archive.read(item.path)).hexdigest()


def test_index_states_the_art15_facts(package, facts):
    _, archive = package
    page = archive.read("index.html").decode()
    for text in (
        "Brightmetric Analytics Ltd",
        "4 Harbour Yard, Dublin D02 XY00, Ireland",
        "Aoife Byrne",
        "dpo@brightmetric.example",
        "Northwind CRM Inc.",
        "Stripe Payments Europe, Ltd.",
        "6 years after the end of the financial year of the invoice.",
        "Data Protection Commission",
        "https://www.dataprotection.ie/",
        "certified under the EU-US Data Privacy Framework",
        "employer&#39;s workspace administrator",
        "We do not make decisions about you by automated means alone",
    ):
        assert text in page
    bases = {
        "contract": "GDPR Art. 6(1)(b)",
        "legal_obligation": "GDPR Art. 6(1)(c)",
        "consent": "GDPR Art. 6(1)(a)",
        "legitimate_interests": "GDPR Art. 6(1)(f)",
    }
    for purpose in facts.purposes:
        section = page.split(f"<h3>{purpose.name}</h3>")[1].split("<h3>")[0]
        assert bases[purpose.legal_basis] in section
    for right in ("Correction (rectification)", "Erasure", "Restriction", "Objection"):
        assert f"<dt>{right}</dt>" in page
    for right in (
        "Data portability",
        "Withdrawing consent",
        "Complaint to a supervisory",
    ):
        assert right in page


def test_index_summarises_what_we_hold_per_system(package):
    _, archive = package
    page = archive.read("index.html").decode()
    assert "We found 11 records about you in 2 of our systems." in page
    assert '<td>crm</td><td>contacts</td><td class="count">3</td>' in page
    assert 'href="data/app_db/events.csv"' in page
    assert EMAIL in page
    assert REFERENCE in page


def test_index_escapes_record_values(package):
    _, archive = package
    page = archive.read("index.html").decode()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_index_is_self_contained(package):
    _, archive = package
    page = archive.read("index.html").decode().lower()
    for external in ("<script", "<link", "<img", "src=", "@import", "url("):
        assert external not in page


def test_index_shows_a_few_shortened_records_not_the_whole_data(facts, tmp_path):
    long_value = "x" * 5000
    records = [("log", {"n": n, "blob": long_value}) for n in range(50)]
    staging = write_staging(tmp_path / "staging", {"app_db": records})
    manifest = build(facts, staging, tmp_path / "out.zip")
    with zipfile.ZipFile(manifest.path) as archive:
        page = archive.read("index.html").decode()
        assert (
            json.loads(archive.read("data/app_db/log.json"))[49]["blob"] == long_value
        )
    assert long_value not in page
    assert page.count("<th>n</th>") == 3


def test_portability_package_has_only_machine_readable_files(facts, tmp_path):
    staging = write_staging(tmp_path / "staging", STAGED)
    manifest = build(facts, staging, tmp_path / "out.zip", request_type="portability")
    with zipfile.ZipFile(manifest.path) as archive:
        names = archive.namelist()
        assert "index.html" not in names
        assert all(n.startswith("data/") for n in names if n != "manifest.json")
        assert json.loads(archive.read("manifest.json"))["index"] is None
        assert (
            json.loads(archive.read("data/crm/deals.json"))
            == expected_by_source("crm")["deals"]
        )


@pytest.mark.parametrize("layout", ["missing", "empty_folder", "empty_files"])
def test_no_staged_records_gives_a_valid_package_saying_nothing_was_found(
    facts, tmp_path, layout
):
    staging = tmp_path / "staging"
    if layout != "missing":
        staging.mkdir()
    if layout == "empty_files":
        (staging / "crm.jsonl").write_text("")
        (staging / "stripe.jsonl").write_text("\n")
    manifest = build(facts, staging, tmp_path / "out.zip")
    with zipfile.ZipFile(manifest.path) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == ["index.html", "manifest.json"]
        page = archive.read("index.html").decode()
        listed = json.loads(archive.read("manifest.json"))
    assert "We found no personal data about you." in page
    assert "Data Protection Commission" in page
    assert listed["sources"] == []
    assert listed["records"] == 0
    if layout == "empty_files":
        assert "We searched these systems: crm, stripe." in page
        assert manifest.counts == {"crm": {}, "stripe": {}}


def test_only_this_requests_staging_files_go_in(facts, tmp_path):
    staging = write_staging(tmp_path / "staging" / REFERENCE, STAGED)
    other = {"crm": [("contacts", {"email": "someone.else@example.com"})]}
    write_staging(tmp_path / "staging" / "DSR-2026-0043", other)
    write_staging(staging / "nested", other)
    (staging / "crm.jsonl.tmp").write_text('{"source": "x", "data": {}}\n')
    manifest = build(facts, staging, tmp_path / "out.zip")
    with zipfile.ZipFile(manifest.path) as archive:
        everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"someone.else@example.com" not in everything
    assert set(manifest.counts) == {"crm", "app_db"}


def test_source_names_become_safe_distinct_paths(facts, tmp_path):
    records = [("../../etc/passwd", {"a": 1}), ("Users", {"a": 2}), ("users", {"a": 3})]
    staging = write_staging(tmp_path / "staging", {"app": records})
    manifest = build(facts, staging, tmp_path / "out.zip")
    paths = [f.path for f in manifest.files if f.path.startswith("data/")]
    assert all(".." not in path and path.count("/") == 2 for path in paths)
    assert len({path.casefold() for path in paths}) == len(paths) == 6
    with zipfile.ZipFile(manifest.path) as archive:
        sources = json.loads(archive.read("manifest.json"))["sources"]
        for source in sources:
            [data] = json.loads(archive.read(source["files"][0]["path"]))
            assert (source["source"], data) in records


def test_many_interleaved_sources_keep_every_record(facts, tmp_path):
    records = [(f"table_{n % 45}", {"n": n}) for n in range(450)]
    staging = write_staging(tmp_path / "staging", {"app_db": records})
    manifest = build(facts, staging, tmp_path / "out.zip", request_type="portability")
    assert manifest.counts["app_db"] == {f"table_{k}": 10 for k in range(45)}
    with zipfile.ZipFile(manifest.path) as archive:
        rows = json.loads(archive.read("data/app_db/table_7.json"))
    assert rows == [{"n": n} for n in range(7, 450, 45)]


def test_keys_past_the_column_limit_go_to_one_extra_column(facts, tmp_path):
    records = [("kv", {f"k{n}": n}) for n in range(MAX_COLUMNS + 5)]
    staging = write_staging(tmp_path / "staging", {"app_db": records})
    manifest = build(facts, staging, tmp_path / "out.zip", request_type="portability")
    with zipfile.ZipFile(manifest.path) as archive:
        text = archive.read("data/app_db/kv.csv").decode()
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(header) == MAX_COLUMNS + 1
    assert header[-1] == EXTRA_COLUMN
    assert rows[-1][-1] == json.dumps({f"k{MAX_COLUMNS + 4}": MAX_COLUMNS + 4})
    assert rows[0][0] == "0"


def test_a_malformed_staging_line_fails_naming_file_and_line_not_content(
    facts, tmp_path
):
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "crm.jsonl").write_text(
        '{"source": "contacts", "data": {"email": "a@example.com"}}\n'
        '{"source": "contacts", "data": "secret@example.com"}\n'
    )
    target = tmp_path / "exports" / "out.zip"
    with pytest.raises(StagingError) as caught:
        build(facts, staging, target)
    assert str(caught.value) == "crm.jsonl line 2: 'data' must be a JSON object"
    assert list(target.parent.iterdir()) == []  # no partial ZIP, no spool files left


def test_values_json_cannot_hold_are_kept_as_their_strings(facts, tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "db.jsonl").write_text(
        '{"source": "metrics", "data": {"ratio": NaN, "cap": Infinity, "größe": 1}}\n'
    )
    manifest = build(facts, staging, tmp_path / "out.zip")
    with zipfile.ZipFile(manifest.path) as archive:
        text = archive.read("data/db/metrics.json").decode()
        table = archive.read("data/db/metrics.csv").decode()
    assert json.loads(text) == [{"ratio": "NaN", "cap": "Infinity", "größe": 1}]
    assert table.splitlines() == ["ratio,cap,größe", "NaN,Infinity,1"]


def test_csv_cells_that_look_like_formulas_are_guarded_json_keeps_them(facts, tmp_path):
    record = {"note": '=HYPERLINK("http://x.invalid","hi")', "@who": "+1 555", "n": -5}
    staging = write_staging(tmp_path / "staging", {"crm": [("contacts", record)]})
    manifest = build(facts, staging, tmp_path / "out.zip")
    with zipfile.ZipFile(manifest.path) as archive:
        data = json.loads(archive.read("data/crm/contacts.json"))
        table = list(
            csv.reader(io.StringIO(archive.read("data/crm/contacts.csv").decode()))
        )
    assert data == [record]  # the machine-readable copy is exact
    assert table == [
        ["note", "'@who", "n"],
        ['\'=HYPERLINK("http://x.invalid","hi")', "'+1 555", "-5"],
    ]


def test_an_unpaired_surrogate_stays_a_valid_json_escape(facts, tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "db.jsonl").write_text(
        '{"source": "t\\ud800", "data": {"name": "ab\\ud800c"}}\n'
    )
    manifest = build(facts, staging, tmp_path / "out.zip")
    with zipfile.ZipFile(manifest.path) as archive:
        [path] = [n for n in archive.namelist() if n.endswith(".json") and "/" in n]
        assert json.loads(archive.read(path)) == [{"name": "ab\ud800c"}]
        listed = json.loads(archive.read("manifest.json"))["sources"][0]["source"]
        assert listed == "t\ud800"
        assert "ab\\ud800c" in archive.read("index.html").decode()


def test_an_unsupported_language_falls_back_to_english(facts, tmp_path):
    staging = write_staging(tmp_path / "staging", STAGED)
    manifest = build_export(
        staging,
        tmp_path / "out.zip",
        reference=REFERENCE,
        request_type="access",
        facts=facts,
        generated_at=GENERATED_AT,
        language="xx-YY",
        subject_email=EMAIL,
    )
    with zipfile.ZipFile(manifest.path) as archive:
        page = archive.read("index.html").decode()
    assert '<html lang="en">' in page
    assert "What we hold about you" in page


def test_rebuilding_the_same_request_gives_identical_bytes(facts, tmp_path):
    staging = write_staging(tmp_path / "staging", STAGED)
    first = build(facts, staging, tmp_path / "one.zip")
    second = build(facts, staging, tmp_path / "two.zip")
    assert first.sha256 == second.sha256


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"request_type": "erasure"}, "request_type must be one of"),
        ({"generated_at": datetime(2026, 3, 10)}, "timezone-aware"),  # noqa: DTZ001
    ],
)
def test_bad_arguments_are_refused(facts, tmp_path, changes, message):
    arguments: dict[str, Any] = {
        "reference": REFERENCE,
        "request_type": "access",
        "facts": facts,
        "generated_at": GENERATED_AT,
        "subject_email": EMAIL,
        **changes,
    }
    with pytest.raises(ValueError, match=message):
        build_export(tmp_path, tmp_path / "out.zip", **arguments)


MEMORY_PROBE = """
import json, sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from app.exports.builder import build_export
from app.privacy import load_privacy


def status(field):
    # VmHWM is this process's own peak RSS. ru_maxrss is not: Linux carries it over exec()
    # from the forking parent, here the pytest process that just wrote 100 MB.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise LookupError(field)


staging, work, privacy = map(Path, sys.argv[1:4])
facts = load_privacy(privacy)
arguments = dict(reference="DSR-MEM", request_type="access", facts=facts,
                 generated_at=datetime.now(UTC), subject_email="m@example.com")
# A tiny build first, so template compilation and locale data count as baseline.
build_export(work / "none", work / "warm.zip", **arguments)
before = status("VmRSS")
result = build_export(staging, work / "big.zip", **arguments)
print(json.dumps({"before": before, "peak": status("VmHWM"), "records": sum(
    n for sources in result.counts.values() for n in sources.values())}))
"""


def write_large_staging(folder: Path, records: int) -> int:
    """Stream ~340-byte records of three interleaved sources to disk; return bytes written."""
    folder.mkdir(parents=True)
    generator = random.Random(7)
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    written = 0
    with (folder / "app_db.jsonl").open("w", encoding="utf-8") as out:
        for n in range(records):
            note = " ".join(generator.choices(words, k=30))
            data = {
                "id": n,
                "email": EMAIL,
                "note": note,
                "meta": {"n": n, "tags": words[:3]},
            }
            line = json.dumps({"source": f"table_{n % 3}", "data": data}) + "\n"
            written += out.write(line)
    return written


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads Linux /proc")
def test_memory_does_not_grow_with_the_export(tmp_path):
    staged_bytes = write_large_staging(tmp_path / "staging", 300_000)
    assert staged_bytes > 90 * 2**20
    completed = subprocess.run(  # noqa: S603  # our interpreter and our script
        [
            sys.executable,
            "-c",
            MEMORY_PROBE,
            str(tmp_path / "staging"),
            str(tmp_path),
            str(ROOT / "privacy.example.yaml"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(completed.stdout)
    assert measured["records"] == 300_000
    growth = measured["peak"] - measured["before"]
    assert growth < 60 * 2**20, f"peak RSS grew by {growth / 2**20:.0f} MiB"


def export_msgids() -> set[Any]:
    """Every msgid of templates/export, extracted with the repository's babel.cfg."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    export = ROOT / "templates" / "export"

    def on_the_way(folder: str) -> bool:  # walk down to templates/export only
        path = Path(folder).resolve()
        return path in export.parents or path == export or export in path.parents

    return {
        message
        for filename, _, message, _, _ in extract_from_dir(
            ROOT, method_map, options_map, directory_filter=on_the_way
        )
        if filename.startswith("templates/export/")
    }


def catalogue(path: Path, locale: str | None = None) -> dict[Any, Any]:
    with path.open("rb") as source:
        return {m.id: m for m in read_po(source, locale=locale) if m.id}


def test_every_export_msgid_is_in_the_catalogue_and_translated_to_german():
    used = export_msgids()
    german = catalogue(LOCALE / "de" / "LC_MESSAGES" / "messages.po", "de")
    assert len(used) > 50  # the mapping matched the page
    assert used <= catalogue(LOCALE / "messages.pot").keys()
    for msgid in used:
        message = german.get(msgid)
        assert message is not None, msgid
        assert not message.fuzzy, msgid
        strings = (
            message.string if isinstance(message.string, tuple) else (message.string,)
        )
        assert all(strings), msgid


def test_a_german_export_page_is_german_and_says_so(facts, tmp_path):
    staging = write_staging(tmp_path / "staging", STAGED)
    manifest = build_export(
        staging,
        tmp_path / "out.zip",
        reference=REFERENCE,
        request_type="access",
        facts=facts,
        generated_at=GENERATED_AT,
        language="de-DE",
        subject_email=EMAIL,
    )
    with zipfile.ZipFile(manifest.path) as archive:
        page = archive.read("index.html").decode()
    assert '<html lang="de">' in page
    for german in (
        "Was wir über Sie gespeichert haben",
        "Wir haben 11 Datensätze über Sie in 2 unserer Systeme gefunden.",
        "Wer für Ihre Daten verantwortlich ist",
        "<dt>Datenschutzbeauftragter</dt>",
        "Rechtsgrundlage:",
        "Art. 6 Abs. 1 lit. b DSGVO",
        '<h2 id="rights">Ihre Rechte</h2>',
        "Beschwerde bei einer Aufsichtsbehörde",
        "10. März 2026",
    ):
        assert german in page
    for english in (
        "What we hold about you",
        "Who is responsible for your data",
        "Data protection officer",
        "Legal basis:",
        "GDPR Art. 6(1)",
        "Your rights",
        "Complaint to a supervisory authority",
    ):
        assert english not in page
    # No English sentence of the page is left (privacy.yaml's own wording is the operator's).
    sentences = [
        m
        for m in export_msgids()
        if isinstance(m, str) and len(m) > 20 and "%(" not in m
    ]
    assert [sentence for sentence in sentences if sentence in page] == []


def csv_writer_bytes(rows: list[list[str]]) -> bytes:
    """What the standard library's csv.writer writes for `rows` (the reference)."""
    text = io.StringIO(newline="")
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode("utf-8", "backslashreplace")


@pytest.mark.parametrize(
    "cells",
    [
        [],
        [""],
        ["", ""],
        ["plain", "words with spaces", " leading", "trailing "],
        ["a,b", 'say "hi"', "two\nlines", "cr\rlf", "\r\n", '"', ",", '""'],
        ['{"nested": [1, 2]}', "Zoë Ødegård", "東京 🌸", "tab\there"],
        ["", "x", ""],
    ],
)
def test_csv_rows_are_written_byte_for_byte_as_csv_writer_writes_them(cells):
    assert csv_row(cells).encode() == csv_writer_bytes([cells])


# Keys appear late, values span lines and hold quotes, a record is empty: rows written before a
# column existed must come out padded, exactly as if the header had been known from the start.
LATE_KEYS: list[tuple[str, dict[str, Any]]] = [
    ("t", {}),
    ("t", {"a": ""}),
    ("t", {"a": 'first\n"quoted"\r\nlines, with a comma'}),
    ("t", {"a": "x", "b": None}),
    ("t", {"b": 'he said "no"'}),
    ("t", {"c": ["list", 1], "a": True}),
    ("t", {}),
    ("t", {"a": 1.5, "b": 2, "c": {"deep": "\n"}}),
]


def test_csv_of_records_with_late_keys_equals_csv_writer_output(facts, tmp_path):
    staging = write_staging(tmp_path / "staging", {"db": LATE_KEYS})
    manifest = build(facts, staging, tmp_path / "out.zip", request_type="portability")
    union = list(dict.fromkeys(key for _, data in LATE_KEYS for key in data))
    expected = csv_writer_bytes(
        [union] + [[cell(data.get(key)) for key in union] for _, data in LATE_KEYS]
    )
    with zipfile.ZipFile(manifest.path) as archive:
        assert archive.read("data/db/t.csv") == expected
        assert json.loads(archive.read("data/db/t.json")) == [d for _, d in LATE_KEYS]


def test_a_single_column_of_empty_cells_stays_readable(facts, tmp_path):
    records = [("t", {}), ("t", {"a": None}), ("t", {"a": ""}), ("t", {})]
    staging = write_staging(tmp_path / "staging", {"db": records})
    manifest = build(facts, staging, tmp_path / "out.zip", request_type="portability")
    with zipfile.ZipFile(manifest.path) as archive:
        table = archive.read("data/db/t.csv")
    assert table == csv_writer_bytes([["a"], [""], [""], [""], [""]])


def test_lines_in_other_json_layouts_give_the_same_package(facts, tmp_path):
    canonical = write_staging(tmp_path / "canonical", STAGED)
    other = tmp_path / "other"
    other.mkdir()
    for connector, records in STAGED.items():
        lines = []
        for n, (source, data) in enumerate(records, start=1):
            record: dict[str, Any] = {"source": source, "data": data}
            if n % 4 == 0:  # compact
                lines.append(json.dumps(record, separators=(",", ":")))
            elif n % 4 == 1:  # other key order, padding
                lines.append("  " + json.dumps({"data": data, "source": source}) + " ")
            elif (
                n % 4 == 2
            ):  # the fan-out's layout, but ASCII-escaped (東京 🌸 among them)
                lines.append(json.dumps(record))
            else:  # the fan-out's layout, with trailing spaces
                lines.append(json.dumps(record, ensure_ascii=False) + " \t")
        (other / f"{connector}.jsonl").write_text("\n".join(lines) + "\n")
    first = build(facts, canonical, tmp_path / "one.zip")
    second = build(facts, other, tmp_path / "two.zip")
    assert first.sha256 == second.sha256


def test_a_source_name_with_escapes_is_decoded(facts, tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "db.jsonl").write_text(
        '{"source": "caf\\u00e9 \\"menu\\"", "data": {"a": 1}}\n'
        '{"source": "café \\"menu\\"", "data": {"a": 2}}\n'
    )
    manifest = build(facts, staging, tmp_path / "out.zip", request_type="portability")
    assert manifest.counts == {"db": {'café "menu"': 2}}
