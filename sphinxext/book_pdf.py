"""Sphinx extension: the site links the PDF of its language, when there is one.

``nox -s pdf`` prints the book of each language to
``_build/pdf/autograd-guide-<language>.pdf`` (``print_pdf.py``); it needs
Chromium, which a local build may not have. When the HTML build finds the
PDF of its language there, it copies the file beside the pages, adds it to
every page's download menu (in place of the theme's
"print to PDF"), and shows the ``book-pdf`` directive's text with
a link to it. Without the PDF, the menu has no such entry and the directive's
text is left out, so no link leads to a missing file.

Whether the PDF is there is a configuration value (``book_pdf``, the file's
name or empty), so that a PDF that appears or disappears makes Sphinx write
every page again.

The directive's content is ordinary text, translated like the rest of the
page; the link, the file's name, is added after it::

    ```{book-pdf}
    The whole book is also one PDF file, to read offline or print:
    ```
"""

from __future__ import annotations

import posixpath
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxDirective


class book_pdf_note(nodes.General, nodes.Element):
    """Text about the book's PDF, shown with a link to it only where the PDF is published."""


def pdf_name(language: str) -> str:
    """Return the file name of the book's PDF in ``language``.

    Examples
    --------
    >>> pdf_name("zh_CN")
    'autograd-guide-zh_CN.pdf'
    """
    return f"autograd-guide-{language}.pdf"


def _skip(self: object, node: nodes.Node) -> None:
    raise nodes.SkipNode


def pdf_folder(outdir: str | Path) -> Path:
    """Return the folder of ``nox -s pdf``'s PDFs, for a build in ``<build>/<builder>/<language>``.

    Examples
    --------
    >>> pdf_folder("/book/_build/html/en").as_posix()
    '/book/_build/pdf'
    """
    return Path(outdir).parents[1] / "pdf"


def _published(app: Sphinx) -> bool:
    return app.builder.name == "html" and bool(app.config.book_pdf)


def _find_pdf(app: Sphinx, config: Config) -> None:
    name = pdf_name(config.language)
    config.book_pdf = name if (pdf_folder(app.outdir) / name).is_file() else ""


class BookPdf(SphinxDirective):
    """Hold text about the book's PDF, to be linked to it or left out."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        """Parse the content as text."""
        self.assert_has_content()
        node = book_pdf_note()
        self.set_source_info(node)
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


class LinkBookPdf(SphinxPostTransform):
    """Link the text of each ``book-pdf`` directive to the PDF, or drop it where there is none."""

    default_priority = 50

    def run(self, **kwargs: object) -> None:
        """Replace each note by its text with the link, or remove it."""
        if self.app.builder.name == "gettext":
            return  # its text is extracted for translation like any other
        for note in list(self.document.findall(book_pdf_note)):
            paragraphs = list(note.findall(nodes.paragraph))
            if not _published(self.app) or not paragraphs:
                note.parent.remove(note)
                continue
            name = self.config.book_pdf
            depth = self.env.docname.count("/")
            link = nodes.reference(
                "", name, refuri=posixpath.join(*[".."] * depth, name), classes=["book-pdf"]
            )
            paragraphs[-1] += [nodes.Text(" "), link]
            note.replace_self(note.children)


def _copy_pdf(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.name != "html":
        return
    target = Path(app.outdir, pdf_name(app.config.language))
    if app.config.book_pdf:
        shutil.copyfile(pdf_folder(app.outdir) / app.config.book_pdf, target)
    else:
        target.unlink(missing_ok=True)


def _link_in_menu(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: object
) -> None:
    if not _published(app):
        return
    menu = next(
        (b for b in context.get("header_buttons", []) if b.get("label") == "download-buttons"),
        None,
    )
    if menu is None:
        return
    # The book's PDF takes the place of the theme's "print this page".
    menu["buttons"] = [b for b in menu["buttons"] if b.get("label") != "download-pdf-button"]
    menu["buttons"].append(
        {
            "type": "link",
            "url": context["pathto"](app.config.book_pdf, 1),
            "text": "PDF",
            "icon": "fas fa-book",
            "tooltip": app.config.book_pdf_tooltip,
            "label": "download-book-pdf-button",
        }
    )


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive, its node, the link in the menu and the copy of the PDF."""
    app.add_config_value("book_pdf", "", "html", types=[str])
    app.add_config_value(
        "book_pdf_tooltip", "Download the whole book as a PDF", "html", types=[str]
    )
    skip = (_skip, None)
    app.add_node(book_pdf_note, html=skip, latex=skip, text=skip, man=skip, texinfo=skip)
    app.add_directive("book-pdf", BookPdf)
    app.add_post_transform(LinkBookPdf)
    app.connect("config-inited", _find_pdf)
    app.connect("build-finished", _copy_pdf)
    # After notebook_downloads.py has laid out the menu (priority 600).
    app.connect("html-page-context", _link_in_menu, priority=650)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
