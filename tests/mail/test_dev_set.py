"""The classifier over the development sets: a regression guard.

`dev/` is what the intent words were first built from; `dev2/` and `dev3/` were written
later by other authors who had not read the classifier, and were measured blind as they
arrived (docs/mail.md) before the misses were read; so were `dev4/` (en, de, es, it, pt)
and `dev5/` (fr, nl, pl, sv, es, pt), both mostly look-alike non-requests, whose false
alarms (24 and 25 blind) taught the look-alike rules; `dev6/` (all nine languages), whose
12 blind false alarms and 6 misses taught the rest; `dev7/` (all nine languages,
look-alikes from new themes: mail for another company, chain letters, bug reports), whose
16 blind false alarms and 14 misses taught their classes; `dev8/` (all nine languages,
the look-alikes a support inbox gets most: relatives' and colleagues' data, newsletter
footers, spam, status questions, internal mail), whose 13 blind false alarms and 4 misses
taught theirs; `dev9/` (all nine languages, sampled like a month of a support inbox:
legal footers, agents, IT admins, replies to marketing), whose 16 blind false alarms and 5
misses taught theirs; and `dev10/` (all nine languages, individual users' short mail:
account administration, forwards from a shop's customer, newsletters to a firm's clients),
whose 8 blind false alarms, 4 misses and 1 wrong type taught theirs; and `dev11/` (all
nine languages, a balanced year of a privacy and support inbox with the hardest look-alikes),
whose 11 blind false alarms, 10 misses and 1 wrong type taught theirs. The held-out
evaluation set is never read here:
`bench/bench_classifier.py` measures it.

Each set must keep what it has reached (with a message or two of slack, not 100 % where it
is not): a change that loses requests, files the wrong type, or files any non-request
fails here.
"""

from pathlib import Path

import pytest

from bench.bench_classifier import read_set

DATA = Path(__file__).parents[1] / "data" / "mail"

# set: (at least this many requests, recall, type right among found)
GOALS = {
    "dev": (90, 0.97, 0.97),
    "dev2": (120, 0.97, 0.97),
    "dev3": (140, 0.95, 0.97),
    "dev4": (55, 0.96, 0.96),  # 58 of 58, all of the right type
    "dev5": (60, 0.95, 0.96),  # 62 of 63, all of the right type
    "dev6": (75, 0.97, 0.98),  # 77 of 78, all of the right type
    "dev7": (62, 0.95, 0.98),  # 63 of 65, all of the right type
    "dev8": (65, 0.97, 0.98),  # 67 of 67, all of the right type
    "dev9": (70, 0.98, 0.98),  # 72 of 72, all of the right type
    "dev10": (65, 0.98, 0.98),  # 68 of 68, all of the right type
    "dev11": (70, 0.91, 0.98),  # 67 of 72, all of the right type
}


@pytest.mark.parametrize("name", sorted(GOALS))
def test_the_development_sets_keep_their_figures(name: str) -> None:
    least, recall, type_right = GOALS[name]
    results = read_set(DATA / name)
    requests = [r for r in results if r.kind == "request"]
    found = [r for r in requests if r.found]
    assert len(requests) >= least
    assert len(found) / len(requests) >= recall, [
        r.file for r in requests if not r.found
    ]
    right = [r for r in found if r.predicted_type == r.type]
    assert len(right) / len(found) >= type_right, [
        (r.file, r.predicted_type) for r in found if r not in right
    ]
    alarms = [r.file for r in results if r.kind != "request" and r.found]
    assert alarms == []


def test_automatic_mail_of_the_development_set_is_recognised() -> None:
    results = read_set(DATA / "dev")
    automatic = [r for r in results if r.kind in ("auto_reply", "bounce")]
    assert automatic
    assert [r.file for r in automatic if not r.automatic] == []
