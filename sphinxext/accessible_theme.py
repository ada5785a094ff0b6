"""Sphinx extension: give the theme's unlabelled controls an accessible name.

The sidebar of pydata-sphinx-theme opens and closes a section with a
``<summary>`` element that holds only an icon, so a screen reader announces
it with no name (axe-core rule ``summary-name``). This extension labels each
such element with ``sidebar_toggle_label``, which ``language_settings`` sets
in the reader's language. myst-nb writes the English name "Toggle hidden
content" on the ``<summary>`` of every cell tagged ``hide-cell`` (the
solutions' code), in every language, over the prompt the reader sees; those
are written without it, by the node's HTML visitor, which Sphinx lets an
extension override, so that the visible prompt (``nb_code_prompt_show``,
"Show the solution", or ``nb_code_prompt_hide``) is also the name. The
solutions' text is in sphinx-design's dropdowns, whose ``<summary>`` is
named by its visible, translated title.

The words around the pages that Sphinx's and the themes' catalogs leave in
English for a language, or give in another region's words, are translated
in ``sphinxext/locale/<language>/LC_MESSAGES/<domain>.po``: ``sphinx`` for
Sphinx, pydata-sphinx-theme and the templates in ``templates/``
(sphinx-book-theme's buttons and navigation, whose labels it writes in
English, copied with the labels marked for translation), ``booktheme`` for
sphinx-book-theme's own. They are compiled into the doctree folder when the
build starts and registered before the theme registers its own catalog,
so that for ``booktheme`` they come first; for ``sphinx`` they come after
Sphinx's own catalog and fill its gaps.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from markupsafe import Markup, escape
from myst_nb.sphinx_ import HideCodeCellNode
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util.typing import ExtensionMetadata
from sphinx.writers.html5 import HTML5Translator
from stable_rebuilds import files_digest

LOCALE = Path(__file__).resolve().parent / "locale"
DOMAINS = ("sphinx", "booktheme")


def compile_catalogs(source: Path, target: Path) -> list[str]:
    """Compile every ``.po`` file under ``source`` into the same place under ``target``.

    Returns the domains compiled. A message without a translation or marked
    fuzzy is refused: it would be shown in English.
    """
    domains = set()
    for po in sorted(source.rglob("*.po")):
        with po.open("rb") as po_file:
            catalog = read_po(po_file)
        for message in catalog:
            if message.id and (not message.string or message.fuzzy):
                raise ValueError(f"{po}: translate {message.id!r} and remove any fuzzy flag")
        mo = target / po.relative_to(source).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        # Builds of the same language may start at once: replace, never truncate.
        temporary = mo.with_name(f"{mo.name}.{os.getpid()}")
        with temporary.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        temporary.replace(mo)
        domains.add(po.stem)
    return sorted(domains)


def _register_catalogs(app: Sphinx) -> None:
    target = Path(app.doctreedir, "theme-locale")
    for domain in compile_catalogs(LOCALE, target):
        if domain not in DOMAINS:
            raise ValueError(f"{LOCALE}: {domain}.po translates no catalog; use one of {DOMAINS}")
        app.add_message_catalog(domain, str(target))


def _digest_catalogs(app: Sphinx, config: Config) -> None:
    # An edited translation is no reason for Sphinx to read or write a page
    # again; a config value that asks for both is (some of the words, such
    # as the title of a signature's *, are written into the doctree).
    config.theme_catalogs_digest = files_digest(LOCALE, ["."])


def label_summaries(html: str, label: str) -> Markup:
    """Return ``html`` with an ``aria-label`` on every bare ``<summary>``."""
    return Markup(str(html).replace("<summary>", f'<summary aria-label="{escape(label)}">'))


def _label_sidebar(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: object
) -> None:
    generate: Callable[..., str] | None = context.get("generate_toctree_html")
    if generate is None:
        return
    label: str = app.config.sidebar_toggle_label

    def labelled(*args: object, **kwargs: object) -> Markup:
        return label_summaries(generate(*args, **kwargs), label)

    context["generate_toctree_html"] = labelled


def visit_hidden_cell(translator: HTML5Translator, node: HideCodeCellNode) -> None:
    """Open a cell tagged ``hide-cell`` as myst-nb does, its summary named by its prompt."""
    classes = " ".join(node["classes"])
    translator.body.append(f'<details class="admonition hide {escape(classes)}">\n')
    translator.body.append("<summary>\n")
    for state, prompt in (("collapsed", node["prompt_show"]), ("expanded", node["prompt_hide"])):
        translator.body.append(f'<p class="{state} admonition-title">{escape(prompt)}</p>\n')
    translator.body.append("</summary>\n")


def depart_hidden_cell(translator: HTML5Translator, node: HideCodeCellNode) -> None:
    """Close the cell that :func:`visit_hidden_cell` opened."""
    translator.body.append("</details>\n")


def setup(app: Sphinx) -> ExtensionMetadata:
    """Label the sidebar's section toggles and the solutions' code cells; translate the theme."""
    app.add_config_value("sidebar_toggle_label", "Show or hide the pages of this section", "html")
    # Now, while the extensions are set up: the theme registers its catalog
    # once the builder is made.
    _register_catalogs(app)
    app.add_config_value("theme_catalogs_digest", "", "env", types=[str])
    app.connect("config-inited", _digest_catalogs)
    app.setup_extension("myst_nb")  # so that its visitor is the one replaced
    app.add_node(HideCodeCellNode, override=True, html=(visit_hidden_cell, depart_hidden_cell))
    # After the theme has put its toctree function in the context (priority 500).
    app.connect("html-page-context", _label_sidebar, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
