"""A reader downloads a page's notebook and runs it in a fresh Jupyter.

The reader's environment is a virtual environment made on top of this
session's: the pinned torch and matplotlib, a kernel and nbclient (a
``.pth`` file makes them importable), and no ``autograd_guide``. Its first
cell finds the package missing and installs it into the kernel's
environment, from the wheel ``nox -s dist`` built, through pip's own
options: ``PIP_NO_INDEX`` and ``PIP_FIND_LINKS``, as there is no network.
Every cell must run, and every output must be the one on the site.

Every notebook of both languages is run, two at a time, one per core of
the machines this runs on; each of the two runs in a reader environment of
its own, which serves it for all its notebooks: the package is removed after
each notebook, so that the next one installs it again. The two languages'
notebooks of a chapter also have the same code cells, with the same outputs
(one English source, executed once), and differ only in their Markdown; a
test checks that too.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import venv
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.built_site import CHINESE, ENGLISH

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
DIST = ROOT / "_build" / "dist"
RUNNER = Path(__file__).parent / "execute_notebook.py"
LANGUAGES = (ENGLISH, CHINESE)
INSTALL_CELL_ID = "install-package"
WORKERS = 2


def chapters() -> list[str]:
    """Return the path of every downloadable notebook, relative to its language's folder."""
    return sorted(
        path.relative_to(SITE / ENGLISH).as_posix()
        for path in (SITE / ENGLISH).rglob("*.ipynb")
        if not path.relative_to(SITE / ENGLISH).parts[0].startswith("_")
    )


CHAPTERS = chapters()
NOTEBOOKS = [f"{language}/{chapter}" for chapter in CHAPTERS for language in LANGUAGES]


@dataclass
class Run:
    """One notebook executed in the reader's environment."""

    notebook: str
    executed: Path
    returncode: int
    log: str
    installed: list[str]
    seconds: float


def _reader_environment(folder: Path) -> Path:
    """Make a virtual environment that sees this one's packages but installs into its own."""
    venv.create(folder, with_pip=False)
    shared = sysconfig.get_path("purelib")
    (_site_packages(folder) / "reader-shared-packages.pth").write_text(
        shared + "\n", encoding="utf-8"
    )
    kernel = folder / "share" / "jupyter" / "kernels" / "python3"
    kernel.mkdir(parents=True)
    spec = {
        "argv": [
            str(folder / "bin" / "python"),
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
        ],
        "display_name": "Python 3",
        "language": "python",
    }
    (kernel / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return folder


def _site_packages(environment: Path) -> Path:
    return Path(
        sysconfig.get_path("purelib", vars={"base": str(environment), "platbase": str(environment)})
    )


def _installed(environment: Path) -> list[str]:
    return sorted(path.name for path in _site_packages(environment).glob("autograd_guide*"))


def _uninstall(environment: Path) -> None:
    for path in _site_packages(environment).glob("autograd_guide*"):
        shutil.rmtree(path)


def _environment_variables(
    environment: Path, home: Path, wheelhouse: Path | None
) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "JUPYTER", "IPYTHON"))}
    return {
        **kept,
        "PIP_NO_INDEX": "1",
        **({"PIP_FIND_LINKS": str(wheelhouse)} if wheelhouse else {}),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "JUPYTER_PATH": str(environment / "share" / "jupyter"),
        "IPYTHONDIR": str(home / "ipython"),
        "MPLCONFIGDIR": str(home / "matplotlib"),
    }


def _run(notebook: str, environment: Path, scratch: Path, wheelhouse: Path) -> Run:
    """Run ``notebook`` in ``environment``, which lacks ``autograd_guide``, and leaves it so."""
    work = scratch / notebook.replace("/", "-").removesuffix(".ipynb")
    work.mkdir()
    source = work / Path(notebook).name
    shutil.copyfile(SITE / notebook, source)
    executed = work / "executed.ipynb"
    start = time.monotonic()
    done = subprocess.run(
        [str(environment / "bin" / "python"), str(RUNNER), str(source), str(executed)],
        cwd=work,
        env=_environment_variables(environment, environment.parent, wheelhouse),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - start
    installed = _installed(environment)
    _uninstall(environment)
    return Run(notebook, executed, done.returncode, done.stderr[-5000:], installed, seconds)


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wheels = sorted(DIST.glob("autograd_guide-*.whl"))
    if len(wheels) != 1:
        pytest.fail(f"expected one wheel in {DIST}, found {len(wheels)}; run `nox -s dist` first")
    folder = tmp_path_factory.mktemp("wheelhouse")
    shutil.copy(wheels[0], folder)
    return folder


@pytest.fixture(scope="session")
def readers(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    assert _import_fails("autograd_guide"), "the reader's environment must not have the package"
    return [_reader_environment(tmp_path_factory.mktemp("reader") / "venv") for _ in range(WORKERS)]


@pytest.fixture(scope="session")
def runs(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    readers: list[Path],
    wheelhouse: Path,
) -> dict[str, Run]:
    if not CHAPTERS:
        pytest.fail(f"no notebooks in {SITE}; run `nox -s docs` first")
    # Only the notebooks of the tests selected (pytest -k), all at once.
    selected = {
        item.callspec.params["notebook"]
        for item in request.session.items
        if hasattr(item, "callspec") and "notebook" in item.callspec.params
    }
    scratch = tmp_path_factory.mktemp("notebooks")
    free: queue.SimpleQueue[Path] = queue.SimpleQueue()
    for environment in readers:
        free.put(environment)

    def run(notebook: str) -> Run:
        environment = free.get()
        try:
            return _run(notebook, environment, scratch, wheelhouse)
        finally:
            free.put(environment)

    start = time.monotonic()
    chosen = [notebook for notebook in NOTEBOOKS if notebook in selected] or NOTEBOOKS[:1]
    with ThreadPoolExecutor(WORKERS) as pool:
        results = dict(zip(chosen, pool.map(run, chosen), strict=True))
    report = {
        "notebooks": len(results),
        "workers": WORKERS,
        "seconds": round(time.monotonic() - start, 1),
        "each": {run.notebook: round(run.seconds, 1) for run in results.values()},
    }
    (ROOT / "_build" / "notebook-runs.json").write_text(
        json.dumps(report, indent=1), encoding="utf-8"
    )
    return results


def _import_fails(module: str) -> bool:
    # Not from the repository's root, where the package's folder is importable.
    probe = subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd="/", capture_output=True, check=False
    )
    return probe.returncode != 0


def _version() -> str:
    text = (ROOT / "autograd_guide" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    assert match
    return match.group(1)


def comparable(output: dict[str, Any]) -> dict[str, Any]:
    """Return what a reader sees of an output, without what depends on the kernel's settings.

    An error keeps its type and message: the book's kernel shows tracebacks
    in IPython's minimal mode, a reader's Jupyter in full.
    """
    kind = output["output_type"]
    if kind == "error":
        return {"error": output["ename"], "message": output["evalue"]}
    if kind == "stream":
        return {"stream": output["name"], "text": without_kernel_frames("".join(output["text"]))}
    return {
        kind: {
            mime: without_kernel_frames("".join(value) if isinstance(value, list) else str(value))
            for mime, value in output["data"].items()
        }
    }


# The anomaly report of the debugging chapter lists the stack of the kernel
# that ran the cell: the launcher's and IPython's frames, with the paths of
# the environment they are installed in, and a file named after the kernel's
# process id. Only the frames of the notebook's own code can match.
_KERNEL_FRAME = re.compile(
    r" 'File \"(?!/tmp/ipykernel_)[^\"]+\", line \d+, in [^']*',\n [^\n]*,\n"
)
_CELL_FILE = re.compile(r"/tmp/ipykernel_\d+/\d+\.py")


def without_kernel_frames(text: str) -> str:
    return _CELL_FILE.sub("<cell>", _KERNEL_FRAME.sub("", text))


# torch.linalg.lstsq on the CPU can differ in the last bit of a float32 from
# one run to the next on a loaded machine (seen in the chapter on the training
# loop: the least-squares loss drawn as a dashed line). Printed values round
# that away; the coordinates of a figure do not, so a figure's numbers are
# compared to a hundredth of a point.
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")
FIGURE_TOLERANCE = 0.01


def same_figure(seen: str, expected: str) -> bool:
    if _NUMBER.sub("#", seen) != _NUMBER.sub("#", expected):
        return False
    pairs = zip(_NUMBER.findall(seen), _NUMBER.findall(expected), strict=True)
    return all(abs(float(a) - float(b)) <= FIGURE_TOLERANCE for a, b in pairs)


def same_outputs(seen: list[dict[str, Any]], expected: list[dict[str, Any]]) -> bool:
    if seen == expected:
        return True
    if len(seen) != len(expected):
        return False
    for one, other in zip(seen, expected, strict=True):
        if one.keys() != other.keys():
            return False
        for kind, data in one.items():
            if not isinstance(data, dict) or data.keys() != other[kind].keys():
                if data != other[kind]:
                    return False
                continue
            for mime, value in data.items():
                close = mime == "image/svg+xml" and same_figure(value, other[kind][mime])
                if value != other[kind][mime] and not close:
                    return False
    return True


def _code_outputs(path: Path) -> list[tuple[str, list[dict[str, Any]]]]:
    notebook = nbformat.read(path, as_version=4)
    return [
        (cell.source, [comparable(output) for output in cell.outputs])
        for cell in notebook.cells
        if cell.cell_type == "code" and cell.get("id") != INSTALL_CELL_ID
    ]


def _code_cells(path: Path) -> list[dict[str, Any]]:
    notebook = nbformat.read(path, as_version=4)
    return [
        {key: cell[key] for key in ("source", "metadata", "outputs")}
        for cell in notebook.cells
        if cell.cell_type == "code"
    ]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_both_languages_have_the_same_code_and_outputs(chapter):
    assert _code_cells(SITE / ENGLISH / chapter) == _code_cells(SITE / CHINESE / chapter)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs_top_to_bottom_after_installing_the_package(notebook, runs):
    run = runs[notebook]
    assert run.returncode == 0, f"{run.notebook} stopped:\n{run.log}"
    assert run.installed == ["autograd_guide", f"autograd_guide-{_version()}.dist-info"], (
        "the first cell installs the book's version of the package into the kernel's environment"
    )
    first = nbformat.read(run.executed, as_version=4).cells[1]
    assert first.get("id") == INSTALL_CELL_ID
    assert f"Successfully installed autograd-guide-{_version()}" in "".join(
        output.get("text", "") for output in first.outputs
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_outputs_equal_the_site(notebook, runs):
    run = runs[notebook]
    assert run.returncode == 0, f"{run.notebook} stopped:\n{run.log}"
    site = _code_outputs(SITE / run.notebook)
    reader = _code_outputs(run.executed)
    assert [source for source, _ in reader] == [source for source, _ in site]
    for (source, expected), (_, seen) in zip(site, reader, strict=True):
        assert same_outputs(seen, expected), (
            f"a cell of {run.notebook} printed something else:\n{source}"
        )


def test_install_cell_does_nothing_where_the_package_is_installed(readers, wheelhouse, tmp_path):
    reader = readers[0]
    notebook = nbformat.read(SITE / ENGLISH / CHAPTERS[0], as_version=4)
    install = next(cell for cell in notebook.cells if cell.get("id") == INSTALL_CELL_ID)
    again = nbformat.v4.new_code_cell(install.source)
    again["id"] = "install-again"
    notebook.cells = [install, again]
    source = tmp_path / "install-twice.ipynb"
    source.write_text(nbformat.writes(notebook), encoding="utf-8")
    target = tmp_path / "installed-twice.ipynb"
    try:
        subprocess.run(
            [str(reader / "bin" / "python"), str(RUNNER), str(source), str(target)],
            env=_environment_variables(reader, tmp_path, wheelhouse),
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )
    finally:
        _uninstall(reader)
    first, second = nbformat.read(target, as_version=4).cells
    assert first.outputs != []
    assert second.outputs == []
