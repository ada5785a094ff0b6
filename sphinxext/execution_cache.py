"""Sphinx extension: cache executed notebooks by everything their code runs against.

jupyter-cache keys a notebook on the code of its cells only. The outputs also
depend on the sources of the package the cells import and on the versions of
the packages that execute them (torch above all). This extension puts the
cache in ``_build/jupyter_cache/<fingerprint>``, where the fingerprint hashes
the package's sources, the Python version and the installed versions of the
packages the package and the kernel need. Changing any of these starts from an
empty cache and executes the pages again; the two languages of a build share
one cache, and tools installed beside them (linters, test runners) do not
count.

It also creates the cache in the main process before a parallel build forks
its readers, keeps myst-nb's executed notebooks out of the published site,
and gives the kernel the IPython configuration in ``sphinxext/kernel/``
(through a private ``IPYTHONDIR`` under ``_build/``), which counts in the
fingerprint too, as do the kernels' fork server (``kernel_server.py``, which
names the modules imported before a notebook starts) and their environment
(``book_kernels.py``, which it sets up).
An explicit ``-D nb_execution_cache_path=...`` is respected.

Run as a script in the build's environment, it prints the fingerprint of the
book it lies in, so that CI can keep the cache of each fingerprint between
runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from book_kernels import KERNEL_ENV
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util.typing import ExtensionMetadata

# The distributions whose versions decide what the pages print: the package's
# own requirements are added to these, with everything they require in turn.
KERNEL_DISTRIBUTIONS = ("ipykernel",)
# The package the pages import and its distribution, unless conf.py says otherwise.
EXECUTED_PACKAGE = ("autograd_guide", "autograd-guide")
KERNEL_CONFIG = Path(__file__).parent / "kernel" / "ipython_kernel_config.py"
# The files that decide how a kernel starts: its IPython configuration, and
# the fork server, which names the modules imported before a notebook runs.
KERNEL_FILES = (KERNEL_CONFIG, Path(__file__).parent / "kernel_server.py")


def _requirement_name(requirement: str) -> str | None:
    if "extra ==" in requirement:
        return None
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    return match.group(0).lower().replace("_", "-") if match else None


def runtime_versions(roots: tuple[str, ...]) -> list[str]:
    """Return ``name==version`` for the installed ``roots`` and all they require.

    Optional extras are not followed, and distributions that are not installed
    (such as requirements for other platforms) are skipped.
    """
    seen: dict[str, str] = {}
    pending = [root.lower() for root in roots]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[name] = distribution.version
        for requirement in distribution.requires or []:
            required = _requirement_name(requirement)
            if required is not None:
                pending.append(required)
    return sorted(f"{name}=={version}" for name, version in seen.items())


def environment_fingerprint(package_dir: Path, distribution: str) -> str:
    """Return 16 hex digits that change when the package's sources or runtime change.

    Parameters
    ----------
    package_dir
        The folder of the package the pages import; every ``.py`` file below
        it is hashed, by path and content.
    distribution
        The package's distribution name, whose requirements are followed.
    """
    if not package_dir.is_dir():
        raise ValueError(f"package_dir must be the package's folder, got {package_dir}")
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*.py")):
        digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    try:
        requirements = metadata.distribution(distribution).requires or []
    except metadata.PackageNotFoundError as error:
        raise ValueError(
            f"{distribution} is not installed; install it with `pip install -e .`"
        ) from error
    roots = (
        tuple(name for name in map(_requirement_name, requirements) if name is not None)
        + KERNEL_DISTRIBUTIONS
    )
    for path in KERNEL_FILES:
        digest.update(path.read_bytes() + b"\0")
    digest.update(json.dumps(KERNEL_ENV, sort_keys=True).encode() + b"\0")
    versions = [platform.python_version(), *runtime_versions(roots)]
    digest.update("\n".join(versions).encode())
    return digest.hexdigest()[:16]


def _configure_kernel(build_dir: Path) -> None:
    profile = build_dir / "ipython" / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(KERNEL_CONFIG, profile / KERNEL_CONFIG.name)
    # Kernels are started by this process and inherit its environment.
    os.environ["IPYTHONDIR"] = str(profile.parent)


def _use_cache(app: Sphinx, config: Config) -> None:
    _configure_kernel(Path(app.confdir, "_build"))
    if not config.nb_execution_cache_path:
        root = Path(app.confdir)
        package, distribution = config.executed_package
        fingerprint = environment_fingerprint(root / package, distribution)
        config.nb_execution_cache_path = str(root / "_build" / "jupyter_cache" / fingerprint)
    create_cache(Path(config.nb_execution_cache_path))


@contextmanager
def opened_cache(path: Path | str) -> Iterator[Any]:
    """Open the jupyter-cache at ``path``, creating it if missing, and close its database after.

    An SQLite connection must not cross a fork: a build process that inherits
    an open one can lose another's writes, so that a page executed in the
    build is missing from the cache. jupyter-cache leaves its connection open
    until garbage collection; this closes it on leaving the block.
    """
    from jupyter_cache import get_cache

    cache = get_cache(str(path))
    try:
        yield cache
    finally:
        cache.db.dispose()


def create_cache(path: Path) -> None:
    """Create the jupyter-cache at ``path``, if missing, with no connection left open.

    Called before a parallel build forks its readers, this avoids their race
    to create the tables ("table settings already exists", Sphinx issue 12481).
    """
    with opened_cache(path) as cache:
        cache.list_cache_records()


def _keep_executed_notebooks_private(app: Sphinx) -> None:
    # myst-nb writes executed notebooks beside the output folder
    # (_build/html/jupyter_execute), which would put a third folder into the
    # published site and make the two languages write the same files. The
    # doctree folder is private to one builder and one language.
    env: Any = app.env  # myst-nb adds mystnb_config to the environment
    env.mystnb_config = env.mystnb_config.copy(
        output_folder=str(Path(app.doctreedir, "jupyter_execute"))
    )


def setup(app: Sphinx) -> ExtensionMetadata:
    """Register the cache location, the folder for executed notebooks and the kernels."""
    app.setup_extension("book_kernels")
    app.add_config_value("executed_package", EXECUTED_PACKAGE, "env", types=[tuple])
    app.connect("config-inited", _use_cache)
    # After myst-nb's own handler (priority 500) has chosen its folder.
    app.connect("builder-inited", _keep_executed_notebooks_private, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    package, distribution = EXECUTED_PACKAGE
    if sys.argv[1:]:
        sys.exit(f"usage: python {sys.argv[0]} (prints the fingerprint of {root})")
    print(environment_fingerprint(root / package, distribution))
