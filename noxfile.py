"""Sessions that build, test and translate autograd-guide.

Run ``nox -l`` to list them. Every environment is made from the dependency
groups in ``pyproject.toml``.
"""

from __future__ import annotations

import hashlib
import json
import os
import runpy
import shlex
import shutil
from pathlib import Path

import nox
import nox.virtualenv
from packaging.version import Version

nox.needs_version = ">=2025.2.9"  # nox.project.dependency_groups
# The CPU build of torch that pip finds for these environments would be a
# multi-gigabyte CUDA download for uv, so environments are plain venvs. nox
# looks for uv whenever it makes or reuses any environment, and logs "uv
# binary not found" where there is none; these three names are what it
# computes from that search, so setting them says there is no uv to find.
nox.options.default_venv_backend = "venv"
nox.virtualenv.HAS_UV, nox.virtualenv.UV, nox.virtualenv.UV_VERSION = False, "uv", Version("0")
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["lint", "doctest", "tests"]

ROOT = Path(__file__).resolve().parent
BUILD = ROOT / "_build"
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
PYTHON = "3.11"
# The book's languages, as conf.py lists them.
LANGUAGES = tuple(runpy.run_path(str(ROOT / "conf.py"))["language_names"])
# For builds that need the pages' text but not their outputs. The glued
# versions on the landing page are then missing, which is expected.
WITHOUT_EXECUTION = (
    "--define=nb_execution_mode=off",
    "--define=suppress_warnings=mystnb.glue",
)


def install(session: nox.Session, *groups: str, package: bool = True) -> None:
    """Install the named dependency groups and, unless told not to, the package itself.

    The package requires torch; installed without the pinned CPU build beside
    it, pip would fetch the newest torch, a multi-gigabyte CUDA build.

    pip takes about ten seconds to find that nothing needs installing, so the
    environment keeps a stamp of what was installed into it: the
    requirements and the package's metadata (its requirements and entry
    points; its code is installed editable). While they are unchanged,
    nothing is installed. A new environment has no stamp.
    """
    requirements = nox.project.dependency_groups(PYPROJECT, *groups)
    command = [*requirements, *(["-e", "."] if package else [])]
    metadata = {"build-system": PYPROJECT["build-system"], "project": PYPROJECT["project"]}
    wanted = hashlib.sha256(json.dumps([command, metadata], sort_keys=True).encode()).hexdigest()
    location = getattr(session.virtualenv, "location", None)
    stamp = Path(location, "installed-requirements.sha256") if location else None
    if stamp is not None and stamp.is_file() and stamp.read_text(encoding="ascii") == wanted:
        return
    session.install(*command)
    if stamp is not None:
        stamp.write_text(wanted, encoding="ascii")


def sphinx_command(
    builder: str,
    language: str,
    *extra: str,
    root: Path = ROOT,
    build: Path | None = None,
    source: Path | None = None,
) -> list[str]:
    """Return the command that builds the book in ``root`` with one builder in one language.

    The output goes to ``<build>/<builder>/<language>``, ``build`` being
    ``root/_build`` unless given; the pages are read from ``source``, or
    ``root/docs``. ``nox -s bench`` times this same command, the
    reproducibility test runs it into a scratch folder, and the tests of the
    build's failures run it on scratch pages.
    """
    build = build or root / "_build"
    source = source or root / "docs"
    return [
        "sphinx-build",
        f"--builder={builder}",
        f"--conf-dir={root}",  # conf.py lives at the root, the pages in docs/
        f"--doctree-dir={build / 'doctrees' / builder / language}",  # one each
        f"--define=language={language}",
        "--jobs=auto",  # read (and so execute) pages in parallel, one per core
        "--fail-on-warning",  # warnings are errors
        "--keep-going",  # but report all of them first
        "--nitpicky",  # every cross-reference must resolve
        "--quiet",
        *extra,
        str(source),
        str(build / builder / language),
    ]


def sphinx_build(session: nox.Session, builder: str, language: str, *extra: str) -> None:
    """Build the book with one builder in one language into ``_build/<builder>/<language>``."""
    # A failed build keeps what it read; sphinxext/warned_pages.py makes the
    # next build read the pages that warned again, so it fails the same way.
    session.run(*sphinx_command(builder, language, *extra))


# What the HTML build reads, besides the installed packages.
BUILD_INPUTS = ("conf.py", "noxfile.py", "pyproject.toml", "docs", "sphinxext", "autograd_guide")
# Options that ask Sphinx to build everything again.
FULL_REBUILD = ("-E", "-a", "--fresh-env", "--write-all")


def build_inputs_digest(session: nox.Session, options: list[str]) -> str:
    """Return a digest of everything a build of the book depends on.

    The files of :data:`BUILD_INPUTS` (compiled catalogs aside, which the
    build writes itself), the extra options, and the names and versions of
    the packages installed in the session's environment.
    """
    digest = hashlib.sha256(json.dumps(options).encode() + b"\0")
    for name in BUILD_INPUTS:
        paths = [ROOT / name] if (ROOT / name).is_file() else sorted((ROOT / name).rglob("*"))
        for path in paths:
            if path.is_file() and path.suffix not in (".mo", ".pyc"):
                digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    location = getattr(session.virtualenv, "location", None)
    if location:
        installed = sorted(path.name for path in Path(location).glob("lib/*/site-packages/*"))
        digest.update("\n".join(installed).encode())
    return digest.hexdigest()


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the HTML book in English and Chinese into _build/html/<language>/."""
    install(session, "docs")
    # Extra sphinx-build options come from SPHINXOPTS, as with Sphinx's own
    # Makefile, not from posargs: `nox -s tests -- -k name` also runs this
    # session, first, with the same posargs.
    options = shlex.split(os.environ.get("SPHINXOPTS", ""))
    # When nothing the build reads has changed since the last build that
    # succeeded, and its pages are there, Sphinx would find nothing to do,
    # after seconds of starting up twice: the session says so at once.
    stamp = BUILD / "html-inputs.sha256"
    inputs = build_inputs_digest(session, options)
    built = all((BUILD / "html" / language / "index.html").is_file() for language in LANGUAGES)
    forced = any(option in FULL_REBUILD for option in options)
    if built and not forced and stamp.is_file() and stamp.read_text(encoding="ascii") == inputs:
        session.log(f"Nothing has changed since the last build: the book is in {BUILD / 'html'}")
        return
    stamp.unlink(missing_ok=True)
    for language in LANGUAGES:
        sphinx_build(session, "html", language, *options)
    # Quiet unless it fails: a build that changed nothing prints nothing.
    published = session.run("python", "sphinxext/publishing.py", str(BUILD / "html"), silent=True)
    if published is not None:  # None: nothing ran (--install-only)
        stamp.write_text(inputs, encoding="ascii")
    session.log(f"The book is in {BUILD / 'html'}: open en/index.html or zh_CN/index.html")


@nox.session(python=PYTHON)
def doctest(session: nox.Session) -> None:
    """Run the examples in the package's docstrings and in the pages' doctest blocks."""
    install(session, "docs", "test")
    session.run("pytest", "--doctest-modules", "autograd_guide", "-p", "no:cacheprovider")
    sphinx_build(session, "doctest", "en", *WITHOUT_EXECUTION, *session.posargs)


@nox.session(python=PYTHON, requires=["docs"])
def tests(session: nox.Session) -> None:
    """Run the test suite, including the checks on the built site."""
    install(session, "test", "docs")
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON, requires=["docs"])
def browser(session: nox.Session) -> None:
    """Read every page of both languages in Chromium and Lighthouse; save screenshots."""
    install(session, "browser", package=False)
    # Lighthouse, pinned by tests/browser/lighthouse/package-lock.json, goes
    # into _build/lighthouse with the script that runs it; npm installs it
    # again only when the lock file has changed.
    source, target = ROOT / "tests" / "browser" / "lighthouse", BUILD / "lighthouse"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json", "audit.mjs"):
        shutil.copyfile(source / name, target / name)
    lock = (source / "package-lock.json").read_bytes()
    stamp = target / "node_modules" / ".installed-lock"
    if not stamp.is_file() or stamp.read_bytes() != lock:
        npm_ci = ("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", f"--prefix={target}")
        session.run_install(*npm_ci, external=True)
        if stamp.parent.is_dir():  # not with --no-install
            stamp.write_bytes(lock)
    session.run(
        "pytest",
        "tests/browser",
        "--confcutdir=tests/browser",  # tests/conftest.py sets up the helpers' tests
        *session.posargs,
        env={"LIGHTHOUSE_DIR": str(target)},
    )


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Check style with ruff and types with mypy."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run(
        "check-jsonschema",
        "--builtin-schema=vendor.github-workflows",
        *(str(path) for path in sorted(ROOT.glob(".github/workflows/*.yml"))),
    )
    session.run("check-jsonschema", "--builtin-schema=vendor.readthedocs", ".readthedocs.yaml")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Time cold, no-op and edited builds against the naive way, on a scratch copy."""
    install(session, "bench")
    session.run("python", "benchmarks/build_speed.py", *session.posargs)


@nox.session(python=PYTHON)
def linkcheck(session: nox.Session) -> None:
    """Check the book's external links (needs the network; not part of the tests)."""
    install(session, "docs")
    session.run(*sphinx_command("linkcheck", "en", *WITHOUT_EXECUTION, *session.posargs))


def translation_commands(
    root: Path = ROOT, build: Path | None = None, source: Path | None = None
) -> list[list[str]]:
    """Return the commands that bring the catalogs in ``source/locale`` up to date with the pages.

    The first extracts the English messages of each page into
    ``<build>/gettext/en/<page>.pot``; the second updates the catalogs from
    them (see ``sphinxext/catalogs.py``). The tests of the translation loop
    run these same commands on scratch pages.
    """
    build = build or root / "_build"
    source = source or root / "docs"
    extract = sphinx_command(
        "gettext",
        "en",
        *WITHOUT_EXECUTION,  # messages do not depend on outputs
        root=root,
        build=build,
        source=source,
    )
    update = [
        "python",
        str(root / "sphinxext" / "catalogs.py"),
        str(build / "gettext" / "en"),
        str(source / "locale"),
    ]
    return [extract, update]


@nox.session(python=PYTHON)
def translations(session: nox.Session) -> None:
    """Extract the English messages and update the Chinese catalogs to match them."""
    install(session, "docs")
    for command in translation_commands():
        session.run(*command)
