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
  // The query being run, as the reader typed it, and its words.
  query: "",
  words: [],
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
  BookSearch.words = words;
  for (const run of query.split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu)) {
    for (const piece of run.split(/(\p{Script=Han}+)/u)) {
      if (!piece) continue;
      if (/\p{Script=Han}/u.test(piece)) words.push(...BookSearch.splitHan(piece));
      else words.push(piece);
    }
  }
  return words;
};

/*
 * Sphinx's full-text lookup (Search.performTermsSearch of searchtools.js,
 * Sphinx 8.2.3), with two changes for Chinese words, and one for both
 * languages: a page scores the sum of its words' scores, not the highest,
 * so that a page whose titles hold every word of the query comes before
 * one whose titles hold only one.
 *
 * - Sphinx does not require a query word of one or two letters when the
 *   query has longer ones, a rule for English (so "an" need not be on the
 *   page). A Chinese word of two characters is a whole word (分离 in
 *   分离计算图) and is always required.
 * - A Chinese word made of shorter indexed words (反向步骤: 反向, 步骤) also
 *   finds the pages that hold all its parts, as an English query finds the
 *   pages that hold all its words, a point below the lowest score of its
 *   parts: below the pages that hold it whole in their text, unless the
 *   parts are all in a page's titles (自定义函数 in "自定义自动微分函数").
 */
BookSearch.han = /\p{Script=Han}/u;

BookSearch.files = (record) =>
  record === undefined ? [] : record.length === undefined ? [record] : record;

// The files holding a word, each with Sphinx's score for it.
BookSearch.scores = (word) => {
  const { terms, titleterms } = Search._index;
  const scores = new Map();
  const add = (record, score) =>
    BookSearch.files(record).forEach((file) => scores.set(file, Math.max(scores.get(file) || 0, score)));
  if (Object.hasOwn(terms, word)) add(terms[word], Scorer.term);
  if (Object.hasOwn(titleterms, word)) add(titleterms[word], Scorer.title);
  if (word.length > 2) {
    const escaped = _escapeRegExp(word);
    if (!Object.hasOwn(terms, word))
      Object.keys(terms).forEach((term) => term.match(escaped) && add(terms[term], Scorer.partialTerm));
    if (!Object.hasOwn(titleterms, word))
      Object.keys(titleterms).forEach(
        (term) => term.match(escaped) && add(titleterms[term], Scorer.partialTitle),
      );
  }
  return scores;
};

// The shorter indexed words a Chinese word is made of, or none.
BookSearch.parts = (word) => {
  const parts = [];
  let start = 0;
  while (start < word.length) {
    let end = Math.min(word.length, start + word.length - 1);
    while (end > start && !BookSearch.indexed(word.slice(start, end))) end -= 1;
    if (end === start) return [];
    parts.push(word.slice(start, end));
    start = end;
  }
  return parts.length > 1 ? parts : [];
};

Search.performTermsSearch = (searchTerms, excludedTerms) => {
  const { terms, titleterms, filenames, docnames, titles } = Search._index;
  const matches = [...searchTerms].map((word) => {
    const scores = BookSearch.scores(word);
    if (BookSearch.han.test(word)) {
      const parts = BookSearch.parts(word).map(BookSearch.scores);
      if (parts.length)
        for (const file of parts[0].keys())
          if (!scores.has(file) && parts.every((part) => part.has(file)))
            scores.set(file, Math.min(...parts.map((part) => part.get(file))) - 1);
    }
    return { word, scores };
  });
  // Sphinx's rule: a file must hold every word, or every long word; a
  // Chinese word counts as long.
  const required = matches.filter(({ word }) => word.length > 2 || BookSearch.han.test(word));
  const files = new Set(matches.flatMap(({ scores }) => [...scores.keys()]));
  const results = [];
  for (const file of files) {
    const held = matches.filter(({ scores }) => scores.has(file));
    if (held.length !== matches.length && !required.every(({ scores }) => scores.has(file)))
      continue;
    if (!held.length || (required.length === 0 && held.length !== matches.length)) continue;
    const excluded = [...excludedTerms].some((term) =>
      [terms[term], titleterms[term]].some((record) => BookSearch.files(record).includes(file)),
    );
    if (excluded) continue;
    results.push([
      docnames[file],
      titles[file],
      "",
      null,
      held.reduce((total, { scores }) => total + scores.get(file), 0),
      filenames[file],
      SearchResultKind.text,
    ]);
  }
  return results;
};
