"""Every environment nox makes holds exactly the packages its lock names.

``nox -s lock`` writes the locks; the sessions install with them as pip
constraints.
"""

from __future__ import annotations

import re
from importlib import metadata

from packaging.utils import canonicalize_name

from noxfile import LOCKS, lock_drift

# pip and the packages that make environments come with the environment.
ENVIRONMENT_TOOLS = {"pip", "setuptools", "wheel", "autograd-guide"}


def _locked(name: str) -> dict[str, str]:
    text = (LOCKS / f"{name}.txt").read_text(encoding="utf-8")
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", text, re.MULTILINE)
    return {canonicalize_name(package): version for package, version in pins}


def test_the_locks_match_pyproject():
    assert lock_drift() == []


def test_this_environment_holds_exactly_what_its_lock_names():
    # The tests run in the environment of `nox -s tests`, locked as "tests".
    locked = _locked("tests")
    installed = {
        canonicalize_name(distribution.metadata["Name"]): distribution.version
        for distribution in metadata.distributions()
    }
    wrong = {
        package: (version, locked.get(package))
        for package, version in installed.items()
        if package not in ENVIRONMENT_TOOLS and locked.get(package) != version
    }
    assert wrong == {}, "installed version, locked version"
    missing = set(locked) - set(installed) - ENVIRONMENT_TOOLS
    assert missing == set()
