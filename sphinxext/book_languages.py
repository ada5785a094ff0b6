"""Sphinx extension: one English source, a Chinese build that must be complete.

For every page read in a translated build, the English messages of the page are
compared with its gettext catalog (``<locale_dirs>/<language>/LC_MESSAGES/<page>.po``).
Once all pages are read, the build warns, in this order:

1. once, about every catalog that is behind its English page (a message the
   catalog lacks, one it has that the page lost, a page with no catalog),
   naming the command that updates them, ``nox -s translations``, and showing
   what changed;
2. for each up-to-date catalog, about its untranslated messages, its fuzzy
   ones (with the words that changed in the English), translated messages
   that kept their ``#|`` lines, and displayed formulas translated
   differently from the English; one warning for each, saying what to do.

The problems found are kept with the environment, so a page that is not read
again still reports them. The nox ``docs`` session builds with ``-W``, so any
of these fails the build.

It gives every page a link to the same page in the other language
(``language_links`` in the template context, shown by the
``language-switch.html`` component).

The extension also applies ``language_settings``: for the language being
built, the configuration values whose text the reader sees (the site title,
the labels of toggles).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher, get_close_matches
from pathlib import Path
from typing import Any

from catalogs import previous_message, read_catalog
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.locale import get_translation
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx.util.i18n import docname_to_domain
from sphinx.util.nodes import extract_messages
from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"
SHOWN_PER_PAGE = 5


def catalog_file(srcdir: str | Path, config: Config, docname: str) -> Path:
    """Return the path of the gettext catalog of ``docname`` in the language being built."""
    domain = docname_to_domain(docname, config.gettext_compact)
    language: str = config.language
    return Path(srcdir, config.locale_dirs[0], language, "LC_MESSAGES", f"{domain}.po")


def shown_path(path: Path) -> str:
    """Return ``path`` as a person can paste it where they ran the build (the repository's root)."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def shortened(messages: Sequence[str], width: int = 70) -> list[str]:
    """Return each message cut to about ``width`` characters, but still told apart from the others.

    A message that begins like another one for ``width`` characters or more
    also shows the words around the first place where the two differ.

    Examples
    --------
    >>> shortened(["Short.", "Take x = 1 and compute the gradient."], width=20)
    ['Short.', 'Take x = 1 and comp…']
    >>> shortened(["Take x = 1 and compute the gradient.", "Take x = 1 and compute y."], width=20)
    ['Take x = 1 and comp…pute the gradie…', 'Take x = 1 and comp…pute y.']
    """
    flat = [" ".join(message.split()) for message in messages]
    result = []
    for number, message in enumerate(flat):
        if len(message) <= width:
            result.append(message)
            continue
        head = message[: width - 1] + "…"
        others = flat[:number] + flat[number + 1 :]
        shared = max((_common_length(message, other) for other in others), default=0)
        if shared >= width - 1:
            around = message[shared - 5 : shared + 10]
            head += around + ("…" if shared + 10 < len(message) else "")
        result.append(head)
    return result


def _common_length(first: str, second: str) -> int:
    """Return how many characters ``first`` and ``second`` share at their start."""
    for position, (one, other) in enumerate(zip(first, second, strict=False)):
        if one != other:
            return position
    return min(len(first), len(second))


def difference(old: str, new: str, context: int = 5, width: int = 200) -> str:
    """Return ``new`` with the words that changed from ``old`` marked, and a few words around them.

    A changed run of words reads ``[old → new]``, an added one ``[+ new]``,
    a removed one ``[- old]``; ``context`` words are kept on each side.

    Examples
    --------
    >>> difference("Gradients flow through the whole graph, but we only see the leaves.",
    ...            "Gradients flow through the entire graph, but we only see the leaves.")
    'Gradients flow through the [whole → entire] graph, but we only see…'
    >>> difference("Take x = 1.", "Take x = 1, then y = 2.")
    'Take x = [1. → 1, then y = 2.]'
    """
    old_words, new_words = old.split(), new.split()
    opcodes = SequenceMatcher(None, old_words, new_words, autojunk=False).get_opcodes()
    parts: list[str] = []
    for number, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        removed, added = " ".join(old_words[i1:i2]), " ".join(new_words[j1:j2])
        if tag == "replace":
            parts.append(f"[{removed} → {added}]")
        elif tag == "insert":
            parts.append(f"[+ {added}]")
        elif tag == "delete":
            parts.append(f"[- {removed}]")
        else:
            words = new_words[j1:j2]
            before = " ".join(words[:context])
            after = " ".join(words[-context:])
            if number == 0 and len(words) > context:
                parts.append("…" + after)
            elif number == len(opcodes) - 1 and len(words) > context:
                parts.append(before + "…")
            elif 0 < number < len(opcodes) - 1 and len(words) > 2 * context:
                parts.append(f"{before} … {after}")
            else:
                parts.append(added)
    text = " ".join(parts)
    return text if len(text) <= width else text[: width - 1] + "…"


def _listed(shown: Sequence[str], total: int) -> str:
    quoted = "; ".join(f'"{text}"' for text in shown[:SHOWN_PER_PAGE])
    more = total - min(len(shown), SHOWN_PER_PAGE)
    return quoted + (f"; and {more} more" if more > 0 else "")


@dataclass
class CatalogProblems:
    """What a page's catalog lacks, as the Chinese (or any translated) build found it."""

    catalog: str
    # The catalog is behind the English page: `nox -s translations` fixes these.
    no_catalog: bool = False
    messages: int = 0
    changed: list[tuple[str, str]] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # Work for the translator, once the catalog is up to date.
    untranslated: list[str] = field(default_factory=list)
    fuzzy: list[tuple[str | None, str]] = field(default_factory=list)
    previous_left: list[str] = field(default_factory=list)
    formulas: list[str] = field(default_factory=list)

    @property
    def behind(self) -> bool:
        """Whether the catalog lacks messages of its page or has some the page lost."""
        return self.no_catalog or bool(self.changed or self.new or self.removed)

    def describe_behind(self) -> list[str]:
        """Return one line per kind of difference between the page and its catalog."""
        if self.no_catalog:
            return [f"  {self.catalog} does not exist yet; its page has {self.messages} messages"]
        lines = [f"  {self.catalog}:"]
        if self.changed:
            shown = [difference(old, new) for old, new in self.changed]
            lines.append(f"    changed: {_listed(shown, len(shown))}")
        if self.new:
            lines.append(f"    new: {_listed(shortened(self.new), len(self.new))}")
        if self.removed:
            shown = shortened(self.removed)
            lines.append(f"    no longer on the page: {_listed(shown, len(shown))}")
        return lines

    def translator_warnings(self) -> list[tuple[str, str]]:
        """Return one warning (subtype, text) per kind of work left, each saying what to do."""
        warnings = []
        if self.untranslated:
            count = len(self.untranslated)
            warnings.append(
                (
                    "untranslated",
                    f"{_counted(count, 'untranslated message')} in {self.catalog}: "
                    f"{_listed(shortened(self.untranslated), count)}. "
                    f"Write {'its' if count == 1 else 'their'} msgstr.",
                )
            )
        if self.fuzzy:
            shown = [
                difference(previous, current) if previous else shortened([current])[0]
                for previous, current in self.fuzzy
            ]
            count = len(self.fuzzy)
            one = count == 1
            warnings.append(
                (
                    "fuzzy",
                    f"{_counted(count, 'fuzzy message')} in {self.catalog}, whose English "
                    f"changed since {'it was' if one else 'they were'} translated: "
                    f"{_listed(shown, count)}. Bring {'its' if one else 'each'} msgstr up to "
                    "date with the new English (the `#|` lines show the old), then delete "
                    "the `#, fuzzy` line and the `#|` lines.",
                )
            )
        if self.previous_left:
            count = len(self.previous_left)
            one = count == 1
            warnings.append(
                (
                    "previous",
                    f"{_counted(count, 'translated message')} in {self.catalog} still "
                    f"{'has' if one else 'have'} `#|` lines, the English of an earlier "
                    f"version: {_listed(shortened(self.previous_left), count)}. "
                    "Delete the `#|` lines.",
                )
            )
        if self.formulas:
            count = len(self.formulas)
            one = count == 1
            warnings.append(
                (
                    "formula",
                    f"{_counted(count, 'displayed formula')} in {self.catalog} "
                    f"{'is' if one else 'are'} translated differently from the English: "
                    f"{_listed(shortened(self.formulas), count)}. A displayed formula's "
                    "msgstr must equal its msgid; put words in the text around it.",
                )
            )
        return warnings


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _problems(app: Sphinx) -> dict[str, CatalogProblems]:
    env = app.env
    if not hasattr(env, "catalog_problems"):
        env.catalog_problems = {}  # type: ignore[attr-defined]
    problems: dict[str, CatalogProblems] = env.catalog_problems  # type: ignore[attr-defined]
    return problems


class CheckCatalogCompleteness(SphinxTransform):
    """Compare the English messages of a page with its catalog, and keep what is wrong."""

    # Sphinx's Locale transform runs at 20 and replaces the English text; the
    # English messages must be collected before it.
    default_priority = 19

    def apply(self, **kwargs: object) -> None:
        """Compare the page's messages with its catalog, to be reported once all pages are read."""
        language = self.config.language
        if language == SOURCE_LANGUAGE or self.app.builder.name == "gettext":
            return
        docname = self.env.docname
        catalog_path = catalog_file(self.env.srcdir, self.config, docname)
        problems = CatalogProblems(shown_path(catalog_path))
        front_matter = _front_matter(self.document)
        found = [
            (node, message)
            for node, message in extract_messages(self.document)
            if front_matter is None or front_matter not in _ancestors(node)
        ]
        messages = dict.fromkeys(message for _, message in found)
        if not catalog_path.is_file():
            if messages:
                problems.no_catalog, problems.messages = True, len(messages)
                _problems(self.app)[docname] = problems
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
        missing = [message for message in messages if message not in catalog]
        stale = [
            str(entry.id)
            for entry in catalog
            if entry.id
            and not isinstance(entry.id, tuple)
            and entry.id not in messages
            and entry.id not in translated_by_sphinx
        ]
        # Pair each new message with the old one it replaces, as the update
        # will (babel matches them the same way), to show what changed.
        for message in missing:
            match = get_close_matches(message, stale, n=1)
            if match:
                stale.remove(match[0])
                problems.changed.append((match[0], message))
            else:
                problems.new.append(message)
        problems.removed = stale
        for message in messages:
            entry = catalog.get(message)
            if entry is None:
                continue
            if not entry.string:
                problems.untranslated.append(message)
            elif entry.fuzzy:
                problems.fuzzy.append((previous_message(entry), message))
            elif entry.previous_id:
                problems.previous_left.append(message)
        # A displayed formula's translation is parsed as text, not as math:
        # any change to it breaks the formula. Formulas must read the same in
        # every language.
        problems.formulas = [
            message
            for node, message in found
            if isinstance(node, nodes.math_block)
            and (entry := catalog.get(message)) is not None
            and entry.string not in ("", message)
        ]
        if problems.behind or problems.translator_warnings():
            _problems(self.app)[docname] = problems


def _forget_page(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    _problems(app).pop(docname, None)


def _merge_pages(
    app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment
) -> None:
    theirs: dict[str, CatalogProblems] = getattr(other, "catalog_problems", {})
    _problems(app).update({name: theirs[name] for name in docnames if name in theirs})


def _report(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Warn about the catalogs: first, once, those behind their pages; then each page's gaps.

    The problems are kept with the environment, so a page that is not read
    again still reports them.
    """
    problems = {
        name: found for name, found in sorted(_problems(app).items()) if name in env.found_docs
    }
    behind = [found for found in problems.values() if found.behind]
    if behind:
        lines = [
            f"the {app.config.language} catalogs are behind the English pages. Run "
            "`nox -s translations` to update them; it then lists what is left to translate.",
        ]
        for found in behind:
            lines += found.describe_behind()
        logger.warning("\n".join(lines), type="i18n", subtype="behind")
    for name, found in problems.items():
        if found.behind:
            continue
        for subtype, warning in found.translator_warnings():
            logger.warning(warning, location=name, type="i18n", subtype=subtype)
    return []


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


def setup(app: Sphinx) -> ExtensionMetadata:
    """Register the catalog check, the per-language settings and the language switch."""
    app.add_config_value("language_names", {}, "html", types=[dict])
    app.connect("html-page-context", _add_language_links)
    app.add_config_value("language_settings", {}, "env", types=[dict])
    # The text of the site's 404 page in each language (site_files.py), where
    # {home} stands for the link to the language's first page.
    app.add_config_value("not_found_title", "", "html", types=[str])
    app.add_config_value("not_found_text", "", "html", types=[str])
    # Every extension has registered its values by now (in its setup); this
    # runs before their own config-inited handlers (priority 500) read them.
    app.connect("config-inited", _apply_language_settings, priority=100)
    app.add_transform(CheckCatalogCompleteness)
    app.connect("env-purge-doc", _forget_page)
    app.connect("env-merge-info", _merge_pages)
    app.connect("env-updated", _report)
    return {
        "version": "1",
        # The environment keeps each page's catalog problems; a change to
        # what it keeps must raise this, so that old environments are not used.
        "env_version": 1,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
