"""Sphinx extension: one English source, a Chinese build that must be complete.

For every page read in a translated build, the English messages of the page are
compared with its gettext catalog (``<locale_dirs>/<language>/LC_MESSAGES/<page>.po``),
and a warning names each message that is missing, empty or fuzzy, and each
catalog entry the page no longer has. The nox ``docs`` session builds with
``-W``, so any of these fails the build.

It gives every page a link to the same page in the other language
(``language_links`` in the template context, shown by the
``language-switch.html`` component).

The extension also applies ``language_settings``: for the language being
built, the configuration values whose text the reader sees (the site title,
the labels of toggles).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.locale import get_translation
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx.util.i18n import docname_to_domain
from sphinx.util.nodes import extract_messages

logger = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"
SHOWN_PER_PAGE = 5


def catalog_file(srcdir: str | Path, config: Config, docname: str) -> Path:
    """Return the path of the gettext catalog of ``docname`` in the language being built."""
    domain = docname_to_domain(docname, config.gettext_compact)
    language: str = config.language
    return Path(srcdir, config.locale_dirs[0], language, "LC_MESSAGES", f"{domain}.po")


def read_catalog(path: Path) -> Catalog:
    """Read a ``.po`` file."""
    with path.open("rb") as po_file:
        return read_po(po_file)


def _shorten(message: str, width: int = 70) -> str:
    flat = " ".join(message.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


class CheckCatalogCompleteness(SphinxTransform):
    """Warn about English messages of a page that its catalog does not translate."""

    # Sphinx's Locale transform runs at 20 and replaces the English text; the
    # English messages must be collected before it.
    default_priority = 19

    def apply(self, **kwargs: object) -> None:
        """Compare the page's messages with its catalog and warn about the gaps."""
        language = self.config.language
        if language == SOURCE_LANGUAGE or self.app.builder.name == "gettext":
            return
        docname = self.env.docname
        catalog_path = catalog_file(self.env.srcdir, self.config, docname)
        relative = catalog_path.relative_to(self.env.srcdir)
        front_matter = _front_matter(self.document)
        found = [
            (node, message)
            for node, message in extract_messages(self.document)
            if front_matter is None or front_matter not in _ancestors(node)
        ]
        messages = dict.fromkeys(message for _, message in found)
        # A displayed formula's translation is parsed as text, not as math:
        # any change to it breaks the formula. Formulas must read the same in
        # every language.
        formulas = {message for node, message in found if isinstance(node, nodes.math_block)}
        if not catalog_path.is_file():
            if messages:
                logger.warning(
                    "no %s catalog for this page; run `nox -s translations` to create %s "
                    "and translate its %d messages",
                    language,
                    relative,
                    len(messages),
                    location=docname,
                    type="i18n",
                    subtype="untranslated",
                )
            return
        catalog = read_catalog(catalog_path)
        # Headings such as "Parameters", which napoleon and autodoc add to the
        # API reference, come out of Sphinx already translated by its own
        # catalog: they are neither missing nor stale.
        sphinx_gettext = get_translation("sphinx")
        translated_by_sphinx = {
            str(entry.id): sphinx_gettext(str(entry.id))
            for entry in catalog
            if entry.id and sphinx_gettext(str(entry.id)) != entry.id
        }
        for message in translated_by_sphinx.values():
            messages.pop(message, None)
        untranslated = [
            message
            for message in messages
            if (entry := catalog.get(message)) is None or entry.fuzzy or not entry.string
        ]
        stale = [
            str(entry.id)
            for entry in catalog
            if entry.id
            and not isinstance(entry.id, tuple)
            and entry.id not in messages
            and entry.id not in translated_by_sphinx
        ]
        changed_formulas = [
            message
            for message in formulas
            if (entry := catalog.get(message)) is not None and entry.string not in ("", message)
        ]
        for problem, wrong, advice in (
            ("untranslated or fuzzy", untranslated, "translate them and clear the fuzzy flag"),
            ("stale (no longer on the page)", stale, "run `nox -s translations` to update it"),
            (
                "changed display-formula",
                changed_formulas,
                "a displayed formula's msgstr must equal its msgid; put words in the text",
            ),
        ):
            if wrong:
                shown = "; ".join(repr(_shorten(m)) for m in wrong[:SHOWN_PER_PAGE])
                more = len(wrong) - SHOWN_PER_PAGE
                logger.warning(
                    "%d %s messages in %s: %s%s; %s",
                    len(wrong),
                    problem,
                    relative,
                    shown,
                    f" and {more} more" if more > 0 else "",
                    advice,
                    location=docname,
                    type="i18n",
                    subtype="untranslated",
                )


def _front_matter(document: nodes.document) -> nodes.Element | None:
    """Return the field list that docutils will turn into the page's metadata, if any.

    A page's front matter (``file_format: mystnb`` and the like) is parsed as a
    field list at the top of the document; docutils later makes it the page's
    docinfo and Sphinx removes it, so its text is never a message to translate.
    """
    for child in document.children:
        # Comments, targets and the like may come first, as docutils allows.
        if isinstance(child, nodes.PreBibliographic):
            continue
        return child if isinstance(child, nodes.field_list) else None
    return None


def _ancestors(node: nodes.Node) -> list[nodes.Node]:
    found = []
    while node.parent is not None:
        node = node.parent
        found.append(node)
    return found


def _apply_language_settings(app: Sphinx, config: Config) -> None:
    settings: dict[str, dict[str, object]] = config.language_settings
    if config.language not in settings:
        raise ValueError(
            f"language_settings has no entry for language {config.language!r}; "
            f"add one to conf.py beside {sorted(settings)}"
        )
    for name, value in settings[config.language].items():
        if name not in config:
            raise ValueError(f"language_settings sets {name!r}, which is not a configuration value")
        config[name] = value


def hreflang(language: str) -> str:
    """Return the BCP 47 tag of a Sphinx language name (``zh_CN`` becomes ``zh-CN``)."""
    return language.replace("_", "-")


def counterpart_links(pagename: str, language: str, names: dict[str, str]) -> list[dict[str, str]]:
    """Return a link to the same page in each other language of the book.

    The sites of the languages sit side by side (``en/``, ``zh_CN/``), so a
    relative link climbs out of this language's folder and into the other's.
    It works under any path prefix and from ``file://``.
    """
    depth = pagename.count("/")
    return [
        {
            "href": "../" * (depth + 1) + f"{other}/{pagename}.html",
            "name": name,
            "hreflang": hreflang(other),
        }
        for other, name in names.items()
        if other != language
    ]


def _add_language_links(
    app: Sphinx,
    pagename: str,
    templatename: str,
    context: dict[str, Any],
    doctree: nodes.document | None,
) -> None:
    names: dict[str, str] = app.config.language_names
    context["language_links"] = counterpart_links(pagename, app.config.language, names)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the catalog check, the per-language settings and the language switch."""
    app.add_config_value("language_names", {}, "html", types=[dict])
    app.connect("html-page-context", _add_language_links)
    app.add_config_value("language_settings", {}, "env", types=[dict])
    # Every extension has registered its values by now (in its setup); this
    # runs before their own config-inited handlers (priority 500) read them.
    app.connect("config-inited", _apply_language_settings, priority=100)
    app.add_transform(CheckCatalogCompleteness)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
