"""The contract kit's own rules fail where they should (a check that cannot fail is none)."""

import pytest

from connectors.base import EraseStatus, EraseSummary
from connectors.testing import assert_second_erase

DONE = EraseSummary(erased={"contacts": 2})
PENDING = EraseSummary(status=EraseStatus.PENDING, job_ref="job-1")
ALREADY = EraseSummary(status=EraseStatus.ALREADY_ERASED)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (DONE, EraseSummary()),  # nothing left
        (DONE, DONE),  # the first answer replayed
        (DONE, ALREADY),  # the vendor can tell
        (PENDING, PENDING),
        (PENDING, ALREADY),
    ],
)
def test_a_truthful_second_erase_passes(first, second):
    assert_second_erase(first, second)


@pytest.mark.parametrize(
    ("first", "second", "why"),
    [
        (EraseSummary(), EraseSummary(), "counts say 0"),
        (ALREADY, ALREADY, "said 'already erased'"),
        (DONE, EraseSummary(erased={"contacts": 1}), "the first erase left data"),
        (DONE, PENDING, "a second erase reported pending after done"),
        (
            EraseSummary(status=EraseStatus.MANUAL_REQUIRED),
            EraseSummary(status=EraseStatus.MANUAL_REQUIRED),
            "says what to do",
        ),
    ],
)
def test_an_untruthful_second_erase_fails(first, second, why):
    with pytest.raises(AssertionError, match=why):
        assert_second_erase(first, second)
