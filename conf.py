"""Sphinx configuration for autograd-guide: one English source, built in English and Chinese.

Build from the repository root with ``sphinx-build -c . docs <outdir>``; the nox
``docs`` session does this for each language. Logic lives in ``sphinxext/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "sphinxext"))

# -- Project -----------------------------------------------------------------
project = "autograd-guide"
author = "The autograd-guide authors"
copyright = "2026, The autograd-guide authors"
# Settings whose text readers see, by language; the book_languages extension
# applies the entry for the language being built. A cell tagged hide-cell is
# the solution of an exercise; its toggle says so.
language_settings = {
    "en": {
        "html_title": "Autograd Guide",
        "nb_code_prompt_show": "Show the solution",
        "nb_code_prompt_hide": "Hide the solution",
        "notebook_download_tooltip": "Download this page as a notebook",
        "sidebar_toggle_label": "Show or hide the pages of this section",
        "open_graph_locale": "en_US",
        # The first cell of a downloaded notebook (sphinxext/notebook_downloads.py).
        "notebook_install_note": (
            "**Before you start.** This notebook is the chapter at <{url}>. Its code uses "
            "`{package}`, the book's small package of helpers: the next cell installs version "
            "{version}, the one the book was built with, if the package is missing, and does "
            "nothing if it is installed. The outputs saved here were computed with PyTorch "
            "{torch}; with another version, some of them may differ."
        ),
        "notebook_figure_label": "Figure:",
        "book_pdf_tooltip": "Download the whole book as a PDF",
        "not_found_title": "Page not found",
        "not_found_text": (
            "This page does not exist. It may have moved; start again from the\n{home}."
        ),
        # Messages of Sphinx's search page that its catalog for the language
        # lacks, as Documentation.TRANSLATIONS holds them (sphinxext/book_search.py).
        "search_messages": {},
        "author": "The autograd-guide authors",
        "copyright": "2026, The autograd-guide authors",
    },
    "zh_CN": {
        "html_title": "PyTorch 自动微分指南",
        "nb_code_prompt_show": "显示参考答案",
        "nb_code_prompt_hide": "隐藏参考答案",
        "notebook_download_tooltip": "将本页下载为 Jupyter 笔记本",
        "sidebar_toggle_label": "展开或收起本节的页面",
        "open_graph_locale": "zh_CN",
        "notebook_install_note": (
            "**开始之前**：本笔记本就是网页 <{url}> 上的一章。"
            "其中的代码用到本书配套的辅助函数小软件包`{package}`："
            "下一个单元格会在这个软件包缺失时安装 {version} 版，"
            "也就是构建本书所用的版本；如果已经安装，它什么也不做。"
            "这里保存的输出是用 PyTorch {torch} 算出的，换用其他版本时，个别输出可能不同。"
        ),
        "notebook_figure_label": "图：",
        "book_pdf_tooltip": "下载全书的 PDF 文件",
        "not_found_title": "页面不存在",
        "not_found_text": "你要找的页面不存在，可能已经移动了位置。请从{home}的首页重新开始。",
        # Sphinx 8.2.3's search asks for its status line with ngettext, in
        # words its Chinese catalog does not have (it has the older "page(s)").
        "search_messages": {
            "Search finished, found one page matching the search query.": [
                "搜索完成，共找到 ${resultCount} 个匹配的页面。"
            ],
        },
        "author": "autograd-guide 编写组",
        "copyright": "2026，autograd-guide 编写组",
    },
}
# The book's languages, each named in itself as the language switch and the
# site's root page show it. nox builds these, in this order.
language_names = {"en": "English", "zh_CN": "中文"}

extensions = [
    "myst_nb",
    "cell_errors",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "mathml",
    "line_breaking",
    "sphinx_design",
    "book_languages",
    "warned_pages",
    "helper_source",
    "execution_cache",
    "figure_alt",
    "book_search",
    "light_pages",
    "plain_tokens",
    "accessible_theme",
    "page_metadata",
    "stable_rebuilds",
    "package_version",
    "notebook_downloads",
    "book_pdf",
    "sphinx_copybutton",
]

exclude_patterns = ["locale", "**/.ipynb_checkpoints"]

# -- Languages ---------------------------------------------------------------
language = "en"
locale_dirs = ["locale/"]
# One catalog per page (docs/locale/zh_CN/LC_MESSAGES/autograd/gradients.po),
# so a translator works on one page at a time.
gettext_compact = False
# Source line numbers in the catalogs would change the .po files on every
# edit above a message, hiding the real changes in review.
gettext_location = False
# No per-message uuids: they would make every regeneration a diff.
gettext_uuid = False

# -- Execution ---------------------------------------------------------------
# jupyter-cache keys each notebook on its code alone, so the English build
# executes a page and the Chinese build reuses that execution. The
# execution_cache extension puts the cache in _build/jupyter_cache/<hash of
# the package's sources and the installed packages>, so that changing either
# executes the pages again.
nb_execution_mode = "cache"
# The package the pages import, and its distribution name.
executed_package = ("autograd_guide", "autograd-guide")
# A cell that raises gives a warning at its line of the page that shows the
# cell and its error (sphinxext/cell_errors.py), and the build (run with -W)
# fails; cells whose point is the error carry the raises-exception tag.
# Raising at once would stop sooner, but when pages are read in parallel
# Sphinx then drops what the page logged, the cell's error with it, and names
# only the page.
nb_execution_raise_on_error = False
nb_execution_timeout = 300
nb_merge_streams = True

# -- MyST --------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# -- API reference -----------------------------------------------------------
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
# The doctest builder runs the docstring examples of the API reference, which
# use the package's names as pytest's --doctest-modules sees them.
doctest_global_setup = "from autograd_guide import *"
# torch and matplotlib objects in signatures have no inventory offline (nothing
# is fetched during a build), so nitpicky mode may not look them up.
nitpick_ignore_regex = [
    (r"py:.*", r"(torch|matplotlib|collections\.abc)\..*"),
    (r"py:.*", r"TensorFunction"),
]

# -- HTML --------------------------------------------------------------------
# Formulas become MathML when the site is built, so that pages show them with
# no script and nothing fetched from a CDN (see sphinxext/mathml.py).
html_math_renderer = "mathml"
html_theme = "sphinx_book_theme"
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
    # The language switch (sphinxext/templates/language-switch.html) comes
    # first among the buttons above each page.
    "article_header_end": ["language-switch", "article-header-buttons"],
    # pydata-sphinx-theme 0.20 puts a search field in a top bar of its own
    # unless told otherwise, and sphinx-book-theme 1.4.0, which has the
    # search in its sidebar and its search button above each page, does not
    # tell it (executablebooks/sphinx-book-theme#986): the bar would hold a
    # second search field and nothing else. templates/layout.html leaves out
    # the bar itself.
    "navbar_persistent": [],
}
# The search page has its own search field; the sidebar's would be a second.
html_sidebars = {"search": ["navbar-logo.html", "icon-links.html", "sbt-sidebar-nav.html"]}
# Without a default, the theme's script logs an error on a first visit.
html_context = {"default_mode": "auto"}
templates_path = ["sphinxext/templates"]
html_static_path = ["sphinxext/static"]
html_css_files = ["book.css"]
html_favicon = "sphinxext/static/favicon.svg"
html_last_updated_fmt = None

# -- Search ------------------------------------------------------------------
# The page that teaches a term of the query comes first; sphinxext/book_search.py
# finds it, gives the Chinese index the glossary's terms and cuts queries the
# way the index was cut.
# Absolute: Sphinx opens it from the working directory (not a config hash input).
html_search_scorer = str(ROOT / "sphinxext" / "search" / "scorer.js")

# -- Copy buttons ------------------------------------------------------------
# Code cells get a copy button; their outputs do not. In doctest examples
# only the lines after a prompt are copied, without the prompt.
copybutton_selector = "div:not(.output) > div.highlight > pre"
copybutton_prompt_text = r">>> |\.\.\. "
copybutton_prompt_is_regexp = True
html_copy_source = False
