"""Shared test setup."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import matplotlib
import pytest
from hypothesis import settings

from tests.cold_builds import ColdBuilds, make_cold_builds

# Tests draw figures without a display; the backend must be chosen before pyplot is imported.
matplotlib.use("Agg")

import matplotlib.pyplot as plt

# Property tests: enough examples to find an edge, no deadline (the first call of a torch
# operation can be slow), and no example database, so that a run does not depend on the last.
settings.register_profile("autograd-guide", max_examples=50, deadline=None, database=None)
settings.load_profile("autograd-guide")


@pytest.fixture(autouse=True, scope="session")
def plain_output() -> Iterator[None]:
    """Make the programs the tests start write text without colour codes.

    Sphinx, nox and pip colour their output when ``FORCE_COLOR`` is set, as CI
    services often set it, and the tests read that output line by line.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("FORCE_COLOR", raising=False)
        patch.setenv("NO_COLOR", "1")
        yield


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    """Close every figure a test made, so that the next test starts with none open."""
    yield
    plt.close("all")


@pytest.fixture
def fail_after_two_seconds() -> Iterator[None]:
    def interrupt(signum, frame):
        raise TimeoutError("the call did not return within 2 s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(2)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="session")
def cold_builds(tmp_path_factory: pytest.TempPathFactory) -> ColdBuilds:
    """The book built cold twice, with forked and with plain kernels (tests/cold_builds.py)."""
    return make_cold_builds(tmp_path_factory.mktemp("cold-builds"))
