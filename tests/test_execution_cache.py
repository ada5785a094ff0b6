"""The cache of executed notebooks is used while what the pages run against is unchanged.

A scratch book, built by ``noxfile.sphinx_command`` with the project's
configuration and the cache where a real build keeps it, imports a scratch
package in place of ``autograd_guide``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from scratch_book import notebook, scratch_book

from noxfile import ROOT, sphinx_command

PAGE = notebook("A page", "import scratch_helpers\n\nscratch_helpers.ANSWER")


def _scratch_book(root: Path) -> None:
    scratch_book(root / "docs", {"page": PAGE})
    conf = (ROOT / "conf.py").read_text(encoding="utf-8")
    # The fingerprint hashes root/scratch_helpers, and follows the
    # requirements of the installed distribution, as for autograd_guide.
    conf += '\nexecuted_package = ("scratch_helpers", "autograd-guide")\n'
    (root / "conf.py").write_text(conf, encoding="utf-8")
    (root / "sphinxext").symlink_to(ROOT / "sphinxext")
    _write_helpers(root, answer=41)


def _write_helpers(root: Path, answer: int) -> None:
    package = root / "scratch_helpers"
    package.mkdir(exist_ok=True)
    # The book shows the version of the package it executes (package_version).
    source = f'"""Helpers of the scratch book."""\n\n__version__ = "1.0.0"\nANSWER = {answer}\n'
    (package / "__init__.py").write_text(source, encoding="utf-8")


def _build(root: Path) -> tuple[list[str], str]:
    """Build the scratch book; return the pages it executed and the page's output."""
    command = sphinx_command("html", "en", root=root)
    # The kernels import the scratch package from the book's root.
    environment = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run(
        command, cwd=root, env=environment, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    executed = re.findall(r"^executing notebook \d+ of \d+: (\S+)", result.stderr, re.MULTILINE)
    html = (root / "_build" / "html" / "en" / "page.html").read_text(encoding="utf-8")
    [output] = re.findall(r'<div class="output text_plain[^>]*>.*?<pre>(.*?)</pre>', html, re.S)
    return executed, re.sub(r"<[^>]+>", "", output).strip()


def test_changing_the_package_executes_the_pages_again_and_nothing_else_does(tmp_path):
    root = tmp_path / "book"
    _scratch_book(root)
    assert _build(root) == (["page"], "41")
    caches = {path.name for path in (root / "_build" / "jupyter_cache").iterdir()}
    assert len(caches) == 1

    assert _build(root) == ([], "41")  # nothing changed: nothing executes

    _write_helpers(root, answer=42)
    assert _build(root) == (["page"], "42")
    new = {path.name for path in (root / "_build" / "jupyter_cache").iterdir()} - caches
    assert len(new) == 1  # the new sources have a cache of their own

    assert _build(root) == ([], "42")
    shutil.rmtree(root / "_build" / "doctrees")  # every page read again, from the cache
    assert _build(root) == ([], "42")
