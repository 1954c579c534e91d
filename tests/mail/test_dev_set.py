"""The classifier over the development set (`tests/data/mail/dev/`): a regression guard.

The held-out evaluation set is never read here: `bench/bench_classifier.py` measures it.
The development set is what the intent words were built from, so it must stay at the
issue's goals or better: a change that loses a request or files a non-request fails here.
"""

from pathlib import Path

from bench.bench_classifier import read_set

DEV = Path(__file__).parents[1] / "data" / "mail" / "dev"


def test_the_development_set_meets_the_goals() -> None:
    results = read_set(DEV)
    requests = [r for r in results if r.kind == "request"]
    found = [r for r in requests if r.found]
    assert len(requests) >= 90
    assert len(found) / len(requests) >= 0.95, [r.file for r in requests if not r.found]
    right = [r for r in found if r.predicted_type == r.type]
    assert len(right) / len(found) >= 0.95, [r.file for r in found if r not in right]
    alarms = [r.file for r in results if r.kind != "request" and r.found]
    assert alarms == []


def test_automatic_mail_of_the_development_set_is_recognised() -> None:
    results = read_set(DEV)
    automatic = [r for r in results if r.kind in ("auto_reply", "bounce")]
    assert automatic
    assert [r.file for r in automatic if not r.automatic] == []
