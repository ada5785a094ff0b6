"""Time the book's build against the naive way of running the same stack.

Run it with ``nox -s bench``. On a scratch copy of the working tree it times,
in one run:

- the naive cold build: each language built on its own, one page after
  another, with myst-nb executing every notebook (``nb_execution_mode=force``);
- our cold build: the command of ``nox -s docs`` for both languages, with an
  empty execution cache;
- a no-op rebuild;
- an edit of English prose (with the catalog entry updated to match);
- an edit of a Chinese translation only;
- an edit of one code cell;

counts the notebooks each executed, prints a table, writes it as JSON to
``_build/bench/build-speed.json``, and fails if a ratio or a count is off
target. Absolute times depend on the machine; the ratios and counts are what
it checks.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from noxfile import LANGUAGES, sphinx_command  # noqa: E402

REPORT = ROOT / "_build" / "bench" / "build-speed.json"
EXECUTED = re.compile(r"Executed notebook in")
# The targets, as fractions of the naive cold build.
COLD_TARGET = 0.4
NO_OP_TARGET = 0.1
# The page the edits touch, and what they change.
PAGE = "autograd/detach"
ENGLISH_BEFORE = "Sometimes part of a computation"
ENGLISH_AFTER = "Sometimes a part of a computation"
CHINESE_BEFORE = "有时"
CHINESE_AFTER = "有时候"
NEW_CELL = "\n```{code-cell} ipython3\nu.sum()\n```\n"


@dataclass
class Step:
    """One timed build."""

    name: str
    seconds: float
    executions: int
    expected_executions: int


def scratch_copy() -> Path:
    """Copy the files git knows about (committed or not) into a new folder."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    target = Path(tempfile.mkdtemp(prefix="autograd-guide-bench-"))
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def run(commands: list[list[str]]) -> tuple[float, int]:
    """Run the commands one after another; return the time taken and notebooks executed."""
    start = time.perf_counter()
    executions = 0
    for command in commands:
        verbose = [part for part in command if part != "--quiet"]
        if verbose[0] == "sphinx-build":
            verbose = [sys.executable, "-m", "sphinx", *verbose[1:]]
        result = subprocess.run(verbose, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            sys.exit(f"build failed: {' '.join(verbose)}\n{result.stdout}\n{result.stderr}")
        executions += len(EXECUTED.findall(result.stdout + result.stderr))
    return time.perf_counter() - start, executions


def ours(copy: Path) -> list[list[str]]:
    """Return the commands of ``nox -s docs`` (both languages) for the scratch copy."""
    return [sphinx_command("html", language, root=copy) for language in LANGUAGES]


def naive(copy: Path) -> list[list[str]]:
    """Return commands that build each language on its own, executing every notebook in turn."""
    commands = []
    for language in LANGUAGES:
        command = sphinx_command("html", language, root=copy)
        command = [part for part in command if part != "--jobs=auto"]
        command[-1] = str(copy / "_build" / "naive" / language)
        command.insert(-2, "--define=nb_execution_mode=force")
        command.insert(-2, f"--doctree-dir={copy / '_build' / 'naive-doctrees' / language}")
        commands.append(command)
    return commands


def edit(path: Path, before: str, after: str) -> None:
    """Replace the first ``before`` in the file by ``after``."""
    text = path.read_text(encoding="utf-8")
    if before not in text:
        sys.exit(f"{path} no longer contains {before!r}; update benchmarks/build_speed.py")
    path.write_text(text.replace(before, after, 1), encoding="utf-8")


def notebook_count(copy: Path) -> int:
    """Return how many pages are notebooks."""
    return sum(
        1 for page in (copy / "docs").rglob("*.md") if "file_format: mystnb" in page.read_text()
    )


def main() -> None:
    """Run the builds, report them and check the targets."""
    copy = scratch_copy()
    try:
        pages = notebook_count(copy)
        steps: list[Step] = []

        def measure(name: str, commands: list[list[str]], expected: int) -> None:
            seconds, executions = run(commands)
            steps.append(Step(name, round(seconds, 2), executions, expected))
            print(f"{name:<28} {seconds:8.1f} s  {executions:3d} notebooks executed", flush=True)

        shutil.rmtree(copy / "_build", ignore_errors=True)
        measure("naive cold build", naive(copy), len(LANGUAGES) * pages)
        shutil.rmtree(copy / "_build", ignore_errors=True)
        measure("cold build", ours(copy), pages)
        measure("no-op rebuild", ours(copy), 0)

        catalog = copy / "docs" / "locale" / "zh_CN" / "LC_MESSAGES" / f"{PAGE}.po"
        edit(copy / "docs" / f"{PAGE}.md", ENGLISH_BEFORE, ENGLISH_AFTER)
        edit(catalog, ENGLISH_BEFORE, ENGLISH_AFTER)
        measure("English prose edit", ours(copy), 0)
        edit(catalog, CHINESE_BEFORE, CHINESE_AFTER)
        measure("Chinese translation edit", ours(copy), 0)
        (copy / "docs" / f"{PAGE}.md").write_text(
            (copy / "docs" / f"{PAGE}.md").read_text(encoding="utf-8") + NEW_CELL,
            encoding="utf-8",
        )
        measure("one code cell edited", ours(copy), 1)
    finally:
        shutil.rmtree(copy, ignore_errors=True)

    naive_seconds = steps[0].seconds
    ratios = {step.name: round(step.seconds / naive_seconds, 3) for step in steps}
    report = {
        "machine": {
            "cores": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
        },
        "notebooks": pages,
        "steps": [asdict(step) | {"ratio_to_naive": ratios[step.name]} for step in steps],
        "targets": {"cold build": COLD_TARGET, "no-op rebuild": NO_OP_TARGET},
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print()
    print("| build | seconds | x naive | notebooks executed |")
    print("| --- | ---: | ---: | ---: |")
    for step in steps:
        print(f"| {step.name} | {step.seconds:.1f} | {ratios[step.name]:.2f} | {step.executions} |")
    print(f"\nwritten to {REPORT}")

    failures = [
        f"{step.name}: executed {step.executions} notebooks, expected {step.expected_executions}"
        for step in steps
        if step.executions != step.expected_executions
    ]
    for name, target in report["targets"].items():
        if ratios[name] > target:
            failures.append(f"{name}: {ratios[name]:.2f} x the naive build, target {target}")
    if failures:
        sys.exit("\n".join(["benchmark targets missed:", *failures]))


if __name__ == "__main__":
    main()
