/*
 * The book's query splitter (sphinxext/book_search.py puts it in
 * language_data.js, after searchtools.js, whose splitQuery it replaces).
 *
 * A run of Chinese characters is cut into the longest words the search
 * index holds, from left to right, as the index was cut from the pages; a
 * character that starts no indexed word is left out. Latin words, numbers
 * and API names (retain_graph) are kept whole, as Sphinx's own splitter
 * keeps them.
 */
var BookSearch = {
  // Each glossary term, English (lowercase) and Chinese, and the pages that
  // teach it, from the glossary and the pages (book_search.teaching_pages).
  teaching: /* TEACHING_PAGES */ {},
  // The query being run, as the reader typed it.
  query: "",
  _longest: 0,

  indexed: (word) => {
    const index = typeof Search === "undefined" ? null : Search._index;
    if (!index) return false;
    return Object.hasOwn(index.terms, word) || Object.hasOwn(index.titleterms, word);
  },

  longestTerm: () => {
    if (!BookSearch._longest && typeof Search !== "undefined" && Search._index) {
      const words = [...Object.keys(Search._index.terms), ...Object.keys(Search._index.titleterms)];
      BookSearch._longest = Math.max(1, ...words.map((word) => word.length));
    }
    return BookSearch._longest || 1;
  },

  splitHan: (run) => {
    const words = [];
    let start = 0;
    while (start < run.length) {
      let end = Math.min(run.length, start + BookSearch.longestTerm());
      while (end > start && !BookSearch.indexed(run.slice(start, end))) end -= 1;
      if (end > start) {
        words.push(run.slice(start, end));
        start = end;
      } else start += 1;
    }
    return words;
  },

  // The pages that teach a term of the query: a Chinese term anywhere in
  // it, an English one as whole words (a plural too). A term inside a longer
  // one that the query also holds does not count: 梯度累积 is about
  // accumulation, not about the gradient itself.
  teachingPages: (query) => {
    const normal = (text) => text
      .toLowerCase()
      .replace(/[\s_-]+/g, " ")
      .replace(/(\p{Script=Han}) (?=\p{Script=Han})/gu, "$1")
      .trim();
    const text = normal(query);
    const matched = Object.keys(BookSearch.teaching).filter((term) => {
      const key = normal(term);
      if (/\p{Script=Han}/u.test(key)) return text.includes(key);
      const words = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      return new RegExp(`(^|[^\\p{L}\\p{N}])${words}(s|es)?($|[^\\p{L}\\p{N}])`, "u").test(text);
    });
    const pages = new Set();
    for (const term of matched) {
      const inside = matched.some((other) => other !== term && normal(other).includes(normal(term)));
      if (!inside) BookSearch.teaching[term].forEach((page) => pages.add(page));
    }
    return pages;
  },
};

var splitQuery = (query) => {
  BookSearch.query = query;
  const words = [];
  for (const run of query.split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu)) {
    for (const piece of run.split(/(\p{Script=Han}+)/u)) {
      if (!piece) continue;
      if (/\p{Script=Han}/u.test(piece)) words.push(...BookSearch.splitHan(piece));
      else words.push(piece);
    }
  }
  return words;
};
