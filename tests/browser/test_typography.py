"""Chinese typesetting as Chromium lays out the Chinese pages, on a phone, a tablet and a desktop.

Run with ``nox -s browser`` after ``nox -s docs``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.built_site import CHINESE

from .conftest import site_pages

# Chinese typesetting never starts a line with these: full-width stops,
# commas and colons, closing brackets and closing quotes.
NOT_AT_LINE_START = "。，、；：？！）」』】〕〉》］｝”’"  # noqa: RUF001
WIDTHS = (390, 768, 1280)
PAGES = site_pages(CHINESE)

# Every character of NOT_AT_LINE_START in the article that begins a line: one
# that sits left of the end of what comes before it, and below it (its middle
# lower than the other's bottom: a formula on the same line may be taller than
# the text). What comes before is the previous character, or the previous
# formula or image as a whole. Solutions and hidden cells are opened first, so
# that they are read too.
LINE_STARTS = """
(marks) => {
  // Sections a reader has not scrolled to may be left unlaid out
  // (content-visibility); lay every line out to measure it.
  document.querySelectorAll("section").forEach((section) => {
    section.style.contentVisibility = "visible";
  });
  document.querySelectorAll("details").forEach((details) => { details.open = true; });
  const article = document.querySelector("article") || document.body;
  const atomic = "math, img, svg";
  const box = (node, start, end) => {
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, end);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
    return rects.length ? rects[rects.length - 1] : null;
  };
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  const texts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) texts.push(node);
  const before = (position, index) => {
    const node = texts[position];
    for (let i = index - 1; i >= 0; i--) {
      if (node.data[i].trim()) return box(node, i, i + 1);
    }
    for (let p = position - 1; p >= 0; p--) {
      const previous = texts[p];
      const whole = previous.parentElement.closest(atomic);
      if (whole) return whole.getBoundingClientRect();
      for (let i = previous.data.length - 1; i >= 0; i--) {
        if (previous.data[i].trim()) return box(previous, i, i + 1);
      }
    }
    return null;
  };
  const found = [];
  texts.forEach((node, position) => {
    const parent = node.parentElement;
    if (parent.closest("pre, script, style, math, .highlight")) return;
    for (let i = 0; i < node.data.length; i++) {
      if (!marks.includes(node.data[i])) continue;
      const mark = box(node, i, i + 1);
      const previous = mark && before(position, i);
      if (!previous) continue;
      if (mark.left < previous.right - 1 && (mark.top + mark.bottom) / 2 > previous.bottom) {
        const block = parent.closest("p, li, dd, dt, td, th, h1, h2, h3, h4, h5, h6, div");
        const lead = document.createRange();
        lead.setStart(block || parent, 0);
        lead.setEnd(node, i);
        const context = lead.toString().slice(-12) + "⏎" + node.data.slice(i, i + 12);
        found.push(context.replace(/\\s+/g, " "));
      }
    }
  });
  return found;
}
"""


@pytest.fixture(scope="module", params=WIDTHS, ids=[f"{width}px" for width in WIDTHS])
def reader(request, browser: Browser) -> Iterator[Page]:
    """A Chinese reader's window at one width: a phone, a tablet or a desktop."""
    context = browser.new_context(
        viewport={"width": request.param, "height": 900}, locale=CHINESE.replace("_", "-")
    )
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("page", PAGES)
def test_no_line_starts_with_closing_punctuation(reader, base_url, page):
    reader.goto(f"{base_url}/{CHINESE}/{page}", wait_until="load")
    reader.evaluate("document.fonts.ready")
    line_starts = reader.evaluate(LINE_STARTS, NOT_AT_LINE_START)
    assert line_starts == [], f"lines of {CHINESE}/{page} that begin with closing punctuation"
