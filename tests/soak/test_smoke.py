"""Short runs of the soak suites (`make soak` runs them in full), so their code cannot rot.

Each starts the real processes (`dsr serve`, `dsr worker`) and checks every invariant the
long run checks; only the sizes, the faults and the duration shrink.
"""

import pytest

from soak import chaos, faults, load
from soak.hook import Faults

pytestmark = pytest.mark.pg


async def test_a_short_fault_run_keeps_every_invariant() -> None:
    options = chaos.Options(
        tickets=3,
        workers=1,  # one start-up less; the long run has two
        others=2,
        spread=1.0,
        random_kills=0,
        effect_kills=1,
        kill_after=("store",),
        first_kill_after=(0.0, 0.0),
        cuts=1,
        outage_seconds=0.0,
        faults=Faults(),  # a vendor fault costs a 15-30 s retry: the long run has them
        bound=120.0,
    )

    report = await faults.main(options)

    assert report.violations == []
    # On three tickets the one kill after a store erasure lands only if a worker is steady
    # at that moment (it was missed once in a clean-clone run); `make soak` counts them.
    assert report.kills["store"] <= 1
    assert report.cuts >= 1


async def test_a_short_load_run_keeps_every_invariant() -> None:
    options = load.Options(
        seconds=5.0, posters=4, same_address=2, api_clients=4, health_clients=1
    )

    problems, outcome = await load.one_database("sqlite", options)

    assert problems == []
    assert outcome.accepted
    assert outcome.created
