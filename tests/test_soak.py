"""The soak at CI size: 1,000 messages from 20 clients, two SIGKILLs of the relay, and an
upstream that tempfails, drops connections and goes away. Nothing that got a 250 is lost.
The full run (10,000 messages, five kills) is `bench/soak.py`; docs/security.md has its figures."""
from __future__ import annotations

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))

import soak  # noqa: E402


def test_soak_loses_nothing():
    result = soak.soak(messages=1000, clients=20, kills=2, seed=7, verbose=False)
    assert result.accepted == 1000
    assert result.kills == 2
    assert result.lost == 0, result
    assert result.held == 100  # one in ten carries patient data
    assert result.delivered == 900
    assert result.duplicates <= 20  # only messages whose 250 was lost to a kill
