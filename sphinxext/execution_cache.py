"""Where executed notebooks are cached, keyed on everything the code runs against.

jupyter-cache keys a notebook on the code of its cells only. The outputs also
depend on the ``autograd_guide`` sources the cells import and on the installed
packages (torch above all), so the cache lives in a folder named after a hash
of those: a change to either starts from an empty cache and executes the
pages again, while the two languages of one build share one cache.
"""

from __future__ import annotations

import hashlib
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config


def environment_fingerprint(package_dir: Path) -> str:
    """Return a short hash of the package's sources and the installed distributions.

    Parameters
    ----------
    package_dir
        The folder of the package the pages import; every ``.py`` file below
        it is hashed, by path and content.

    Returns
    -------
    str
        16 hexadecimal digits.
    """
    if not package_dir.is_dir():
        raise ValueError(f"package_dir must be the package's folder, got {package_dir}")
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*.py")):
        digest.update(path.relative_to(package_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    installed = sorted(
        f"{dist.metadata['Name']}=={dist.version}".lower()
        for dist in metadata.distributions()
        # The package itself is hashed by its sources above.
        if dist.metadata["Name"] and dist.metadata["Name"].lower() != "autograd-guide"
    )
    digest.update("\n".join([platform.python_version(), *installed]).encode())
    return digest.hexdigest()[:16]


def execution_cache_path(root: Path, package: str = "autograd_guide") -> Path:
    """Return the jupyter-cache folder for the current sources and environment."""
    return root / "_build" / "jupyter_cache" / environment_fingerprint(root / package)


def _use_cache(app: Sphinx, config: Config) -> None:
    if not config.nb_execution_cache_path:
        root = Path(app.confdir)
        config.nb_execution_cache_path = str(execution_cache_path(root, config.executed_package))
    # Creating the cache here, in the main process, before a parallel build
    # forks its readers, avoids their race to create its tables
    # ("table settings already exists", Sphinx issue 12481).
    from jupyter_cache import get_cache

    get_cache(config.nb_execution_cache_path).list_cache_records()


def setup(app: Sphinx) -> dict[str, Any]:
    """Point myst-nb's execution cache at the folder for the current sources."""
    app.add_config_value("executed_package", "autograd_guide", "env", types=[str])
    app.connect("config-inited", _use_cache)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
