"""Two cold builds of the whole book, made once for the tests that compare them.

Each build runs in its own copy of the project and executes every page into
its own empty cache; the two copies' paths differ, even in length, and the
first executes the pages in kernels forked from the kernel server, the
second in plain kernels. So one pair of builds shows both that a build
reproduces the site byte for byte wherever it runs
(``tests/test_publishing.py``) and that forked kernels give what plain ones
give (``tests/test_kernels.py``); building the book twice more for the
second question would add some four minutes to every test run.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from site_files import languages_and_titles

from noxfile import sphinx_command
from tests.built_site import ROOT

LANGUAGES = tuple(languages_and_titles()[0])
# The setting that turns the kernel server off, for the second build.
PLAIN_KERNELS = ("--define=fork_kernels=0",)


@dataclass(frozen=True)
class ColdBuilds:
    """The two copies of the project, each with its ``_build`` made by a cold build."""

    forked: Path
    plain: Path

    def rebuild_plain(self) -> None:
        """Build the second copy again, as its cold build did, with nothing changed."""
        build_site(self.plain, *PLAIN_KERNELS)


def make_cold_builds(folder: Path) -> ColdBuilds:
    builds = ColdBuilds(
        forked=checkout(folder / "a"),
        plain=checkout(folder / "another checkout" / "autograd-guide"),
    )
    build_site(builds.forked)
    build_site(builds.plain, *PLAIN_KERNELS)
    return builds


def checkout(folder: Path) -> Path:
    """Copy the files git tracks, as the working tree has them, to ``folder``."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        if (ROOT / name).is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, folder / name)
    return folder


def build_site(root: Path, *extra: str) -> None:
    """Build the site in ``root`` as ``nox -s docs`` does, its kernels importing its package."""
    environment = {**os.environ, "PYTHONPATH": str(root)}
    # The real build does not set it; a date stamp in a page must not pass unseen.
    environment.pop("SOURCE_DATE_EPOCH", None)
    commands = [sphinx_command("html", language, *extra, root=root) for language in LANGUAGES]
    site = str(root / "_build" / "html")
    commands.append([sys.executable, str(root / "sphinxext" / "site_files.py"), site])
    for command in commands:
        result = subprocess.run(
            command, cwd=root, capture_output=True, text=True, env=environment, check=False
        )
        assert result.returncode == 0, result.stderr[-3000:]


def differences(left: Path, right: Path) -> list[str]:
    """The files, below the two folders, that one has and the other lacks or holds otherwise."""
    found = []

    def compare(comparison: filecmp.dircmp[str], prefix: str = "") -> None:
        found.extend(prefix + name for name in comparison.left_only + comparison.right_only)
        _, mismatch, errors = filecmp.cmpfiles(
            comparison.left, comparison.right, comparison.common_files, shallow=False
        )
        found.extend(prefix + name for name in mismatch + errors)
        for name, sub in comparison.subdirs.items():
            compare(sub, f"{prefix}{name}/")

    compare(filecmp.dircmp(left, right))
    return found
