"""Time the book's build against the naive way of running the same stack.

Run it with ``nox -s bench``. On a scratch copy of the working tree it times,
in one run:

- the naive cold build: each language built on its own, one page after
  another, with myst-nb executing every notebook (``nb_execution_mode=force``)
  in Jupyter's own kernels;
- "Sphinx only": ``nox -s docs`` with execution off, from nothing;
- "execution only": every notebook executed through the kernels the build
  uses (forked from the kernel server, as many at once as the build runs),
  without Sphinx;
- the cold build: ``nox -s docs``, from nothing (no execution cache);
- a no-op rebuild;
- an edit of English prose (with the catalog entry updated to match);
- an edit of a Chinese translation only;
- an edit of one code cell.

Every build but the naive one is the command a person types, ``nox -s
docs``, timed end to end, nox included (its environment is the working
tree's ``.nox/docs``, brought up to date first). It counts the notebooks each
build executed, prints a table, writes it as JSON to
``_build/bench/build-speed.json``, and fails if a ratio or a count is off
target. Absolute times depend on the machine and its load; the ratios,
measured in one run, and the counts are what it checks.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "sphinxext")]

from site_files import languages_and_titles  # noqa: E402

from noxfile import sphinx_command  # noqa: E402

# The book's languages, as conf.py names them: English, then the translation.
LANGUAGES = tuple(languages_and_titles()[0])

REPORT = ROOT / "_build" / "bench" / "build-speed.json"
# myst-nb's line in the naive (verbose) build; the progress line of ours.
EXECUTED = re.compile(r"Executed notebook in|^executed notebook ", re.MULTILINE)
# Options for a build without execution: its figures, and so their alt text,
# and the glued versions on the landing page are missing.
SPHINX_ONLY = (
    "--define=nb_execution_mode=off",
    "--define=suppress_warnings=mystnb.glue,mystnb.glue_ref,figure-alt",
)
# The targets, as fractions of the naive cold build.
TARGETS = {"cold build": 0.25, "no-op rebuild": 0.05, "one code cell edited": 0.1}
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


def run(commands: list[list[str]], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Run the commands one after another; return the time taken and notebooks executed."""
    start = time.perf_counter()
    executions = 0
    for command in commands:
        result = subprocess.run(
            command, capture_output=True, text=True, check=False, env=env or os.environ.copy()
        )
        if result.returncode != 0:
            sys.exit(f"build failed: {' '.join(command)}\n{result.stdout}\n{result.stderr}")
        executions += len(EXECUTED.findall(result.stdout + result.stderr))
    return time.perf_counter() - start, executions


def nox_docs(copy: Path) -> list[list[str]]:
    """Return ``nox -s docs`` for the scratch copy, with the working tree's environment."""
    noxfile = str(copy / "noxfile.py")
    return [
        [sys.executable, "-m", "nox", "-f", noxfile, "--envdir", str(ROOT / ".nox"), "-s", "docs"]
    ]


def naive(copy: Path) -> list[list[str]]:
    """Return commands that build each language on its own, executing every notebook in turn."""
    commands = []
    for language in LANGUAGES:
        command = sphinx_command("html", language, root=copy)
        command = [part for part in command if part not in ("--jobs=auto", "--quiet")]
        command[0:1] = [str(ROOT / ".nox" / "docs" / "bin" / "python"), "-m", "sphinx"]
        command[-1] = str(copy / "_build" / "naive" / language)
        command.insert(-2, "--define=nb_execution_mode=force")
        command.insert(-2, "--define=book_kernels=0")  # Jupyter's own kernels
        command.insert(-2, f"--doctree-dir={copy / '_build' / 'naive-doctrees' / language}")
        commands.append(command)
    return commands


def execute_notebooks(copy: Path) -> None:
    """Execute every notebook page of ``copy`` through the build's kernels, without Sphinx."""
    sys.path.insert(0, str(copy / "sphinxext"))
    from book_kernels import use_book_kernels

    finish = use_book_kernels(copy / "_build")
    try:
        pages = [page for page in sorted((copy / "docs").rglob("*.md")) if is_notebook(page)]
        # As many at once as the build's parallel readers (--jobs=auto).
        with multiprocessing.get_context("fork").Pool(os.cpu_count()) as pool:
            for page, seconds in pool.imap_unordered(_execute, pages):
                print(f"executed notebook {page} in {seconds:.1f} s", flush=True)
    finally:
        finish()


def _execute(page: Path) -> tuple[str, float]:
    from jupyter_cache.executors.utils import single_nb_execution
    from myst_nb.core.read import read_myst_markdown_notebook

    notebook = read_myst_markdown_notebook(page.read_text(encoding="utf-8"), path=page)
    result = single_nb_execution(
        notebook, cwd=str(page.parent), timeout=300, allow_errors=False, meta_override=True
    )
    if result.err is not None:
        raise RuntimeError(f"{page}: {result.exc_string}")
    return page.name, result.time


def is_notebook(page: Path) -> bool:
    """Return whether a page is a notebook."""
    return "file_format: mystnb" in page.read_text(encoding="utf-8")


def edit(path: Path, before: str, after: str) -> None:
    """Replace the first ``before`` in the file by ``after``."""
    text = path.read_text(encoding="utf-8")
    if before not in text:
        sys.exit(f"{path} no longer contains {before!r}; update benchmarks/build_speed.py")
    path.write_text(text.replace(before, after, 1), encoding="utf-8")


def notebook_count(copy: Path) -> int:
    """Return how many pages are notebooks."""
    return sum(1 for page in (copy / "docs").rglob("*.md") if is_notebook(page))


def up_to_date_environment() -> None:
    """Install into the working tree's docs environment whatever its stamp says is missing."""
    command = [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), "-s", "docs"]
    subprocess.run([*command, "--install-only"], check=True, capture_output=True)


def main() -> None:
    """Run the builds, report them and check the targets."""
    copy = scratch_copy()
    try:
        pages = notebook_count(copy)
        steps: list[Step] = []

        def measure(
            name: str, commands: list[list[str]], expected: int, env: dict[str, str] | None = None
        ) -> None:
            seconds, executions = run(commands, env)
            steps.append(Step(name, round(seconds, 2), executions, expected))
            print(f"{name:<28} {seconds:8.1f} s  {executions:3d} notebooks executed", flush=True)

        up_to_date_environment()
        shutil.rmtree(copy / "_build", ignore_errors=True)
        measure("naive cold build", naive(copy), len(LANGUAGES) * pages)
        shutil.rmtree(copy / "_build", ignore_errors=True)
        without_execution = os.environ | {"SPHINXOPTS": shlex.join(SPHINX_ONLY)}
        measure("Sphinx only", nox_docs(copy), 0, env=without_execution)
        shutil.rmtree(copy / "_build", ignore_errors=True)
        measure("execution only", [[sys.executable, __file__, "--execute", str(copy)]], pages)
        shutil.rmtree(copy / "_build", ignore_errors=True)
        measure("cold build", nox_docs(copy), pages)
        measure("no-op rebuild", nox_docs(copy), 0)

        catalog = copy / "docs" / "locale" / LANGUAGES[1] / "LC_MESSAGES" / f"{PAGE}.po"
        edit(copy / "docs" / f"{PAGE}.md", ENGLISH_BEFORE, ENGLISH_AFTER)
        edit(catalog, ENGLISH_BEFORE, ENGLISH_AFTER)
        measure("English prose edit", nox_docs(copy), 0)
        edit(catalog, CHINESE_BEFORE, CHINESE_AFTER)
        measure("Chinese translation edit", nox_docs(copy), 0)
        (copy / "docs" / f"{PAGE}.md").write_text(
            (copy / "docs" / f"{PAGE}.md").read_text(encoding="utf-8") + NEW_CELL,
            encoding="utf-8",
        )
        measure("one code cell edited", nox_docs(copy), 1)
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
        "load_average": os.getloadavg(),
        "targets": TARGETS,
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print()
    print("| build | seconds | x naive | notebooks executed |")
    print("| --- | ---: | ---: | ---: |")
    for step in steps:
        print(f"| {step.name} | {step.seconds:.1f} | {ratios[step.name]:.2f} | {step.executions} |")
    print(f"\nload average (1, 5, 15 min) at the end: {os.getloadavg()}")
    print(f"written to {REPORT}")

    failures = [
        f"{step.name}: executed {step.executions} notebooks, expected {step.expected_executions}"
        for step in steps
        if step.executions != step.expected_executions
    ]
    for name, target in TARGETS.items():
        if ratios[name] > target:
            failures.append(f"{name}: {ratios[name]:.2f} x the naive build, target {target}")
    if failures:
        sys.exit("\n".join(["benchmark targets missed:", *failures]))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--execute"]:
        execute_notebooks(Path(sys.argv[2]))
    else:
        main()
