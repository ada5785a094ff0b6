/*
 * The book's search ranking (html_search_scorer in conf.py). Sphinx scores
 * a page higher when the query is in one of its titles; before every other
 * page comes the one that teaches a term of the query, as the glossary's
 * terms and the pages tell (BookSearch.teaching, in split_query.js).
 */
var Scorer = {
  objNameMatch: 11,
  objPartialMatch: 6,
  objPrio: { 0: 15, 1: 5, 2: -5 },
  objPrioDefault: 0,
  title: 15,
  partialTitle: 7,
  term: 5,
  partialTerm: 2,
  // Above any score Sphinx gives.
  teachingPage: 100,
  _teaching: { query: null, pages: new Set() },

  score: (result) => {
    const [docname, , , , score] = result;
    if (Scorer._teaching.query !== BookSearch.query) {
      Scorer._teaching = { query: BookSearch.query, pages: BookSearch.teachingPages(BookSearch.query) };
    }
    return score + (Scorer._teaching.pages.has(docname) ? Scorer.teachingPage : 0);
  },
};
