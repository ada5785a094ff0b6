"""Where the site is served from, and so every page's absolute address.

The address comes from one setting, the environment variable
``AUTOGRAD_GUIDE_BASE_URL`` (on Read the Docs, ``READTHEDOCS_CANONICAL_URL``
is used when the first is not set). The pages' metadata (``page_metadata.py``)
and the site's own files (``site_files.py``) both use it.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

DEFAULT_BASE_URL = "https://autograd-guide.github.io/"
# Pages every Sphinx site has, which are not content to index or share.
UTILITY_PAGES = frozenset({"genindex", "search", "py-modindex"})


def base_url() -> str:
    """Return the address of the site's root, ending with a slash."""
    url = (
        os.environ.get("AUTOGRAD_GUIDE_BASE_URL")
        or os.environ.get("READTHEDOCS_CANONICAL_URL")
        or DEFAULT_BASE_URL
    )
    scheme, host = urlsplit(url)[:2]
    if scheme not in ("http", "https") or not host:
        raise ValueError(
            f"AUTOGRAD_GUIDE_BASE_URL must be an absolute http(s) URL, got {url!r}; "
            f"set it to the address the site is served from, such as {DEFAULT_BASE_URL}"
        )
    return url if url.endswith("/") else url + "/"


def page_url(language: str, pagename: str) -> str:
    """Return the absolute URL of a page in one language."""
    return f"{base_url()}{language}/{pagename}.html"
