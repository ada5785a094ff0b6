"""Print the single-page book of each language to a PDF with Chromium.

Usage: ``python sphinxext/print_pdf.py <singlehtml folder> <PDF folder>``.
For each language built in ``<singlehtml folder>/<language>/index.html``
(Sphinx's ``singlehtml`` builder: the whole book in reading order, the
landing page's table of contents linking into it), it writes
``<PDF folder>/autograd-guide-<language>.pdf``.

Chromium typesets the MathML formulas and keeps text, figures (SVG) and
links as vectors; it embeds the subsets of the fonts it uses, the CJK ones
included. Before printing, every solution is opened: the dropdowns of the
solutions' prose and the collapsed solution cells. The stylesheet's print
rules (``book.css``) hide the site's navigation and buttons and start each
chapter on a new page. Page numbers go in the footer.

The PDF's outline (the bookmarks a viewer shows beside the pages) lists the
parts and chapters as the table of contents does, each leading to the page
where it starts. Chromium writes an outline only into a tagged PDF, whose
structure of every formula and highlighted token makes the file four times
larger; pypdf adds it instead, from the named destinations Chromium writes
for the targets of internal links.

Debian's Chromium is driven through Playwright (the browser tests do the
same); no TeX is needed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from book_pdf import pdf_name
from playwright.sync_api import sync_playwright
from pypdf import PdfReader, PdfWriter

CHROMIUM = Path("/usr/bin/chromium")
# Nothing but the book's own files is fetched while printing.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Opens every solution, as a reader of the book on paper cannot click.
OPEN_SOLUTIONS = """
() => {
    document.querySelectorAll("details").forEach((details) => { details.open = true; });
}
"""
# The parts and chapters as the print table of contents lists them:
# [title, id of the chapter's anchor, depth].
CONTENTS = """
() => Array.from(document.querySelectorAll("#jb-print-toc nav a.reference.internal")).map(
    (link) => {
        let depth = 0;
        for (let node = link; node && node.id !== "jb-print-toc"; node = node.parentElement) {
            if (node.tagName === "UL") depth += 1;
        }
        return [link.textContent.trim(), link.getAttribute("href").slice(1), depth];
    }
)
"""
FOOTER = (
    '<div style="width:100%;font-size:8px;text-align:center;color:#666">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


def add_outline(path: Path, contents: list[tuple[str, str, int]]) -> None:
    """Give the PDF at ``path`` an outline of ``contents``: (title, anchor, depth from 1) in order.

    Raises
    ------
    ValueError
        If an entry leads to an anchor the PDF has no destination for.
    """
    reader = PdfReader(path)
    destinations = reader.named_destinations
    writer = PdfWriter(clone_from=reader)
    parents: dict[int, Any] = {}
    for title, anchor, depth in contents:
        destination = destinations.get("/" + anchor)
        if destination is None:
            raise ValueError(f"{path} has no destination for {anchor!r}, the target of {title!r}")
        page = reader.get_destination_page_number(destination)
        parents[depth] = writer.add_outline_item(
            title=title, page_number=page, parent=parents.get(depth - 1)
        )
    writer.page_mode = "/UseOutlines"
    with path.open("wb") as file:
        writer.write(file)


def print_books(single: Path, target: Path) -> list[Path]:
    """Print ``single/<language>/index.html`` of each language to ``target``; return the PDFs."""
    books = sorted(path.parent for path in single.glob("*/index.html"))
    if not books:
        raise ValueError(
            f"{single} holds no single-page book; build one with sphinx-build -b singlehtml"
        )
    target.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            for book in books:
                page = browser.new_page()
                page.emulate_media(media="print")
                page.goto((book / "index.html").as_uri(), wait_until="load")
                page.evaluate(OPEN_SOLUTIONS)
                page.evaluate("document.fonts.ready")
                contents = page.evaluate(CONTENTS)
                path = target / pdf_name(book.name)
                page.pdf(
                    path=str(path),
                    format="A4",
                    margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
                    print_background=True,
                    display_header_footer=True,
                    header_template="<span></span>",
                    footer_template=FOOTER,
                )
                page.close()
                add_outline(path, [(title, anchor, depth) for title, anchor, depth in contents])
                written.append(path)
        finally:
            browser.close()
    return written


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python sphinxext/print_pdf.py <singlehtml folder> <PDF folder>")
    for written in print_books(Path(sys.argv[1]), Path(sys.argv[2])):
        print(f"wrote {written} ({written.stat().st_size / 2**20:.1f} MiB)")
