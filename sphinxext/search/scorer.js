/*
 * The book's search ranking (html_search_scorer in conf.py). Sphinx scores
 * a page higher when the query is in one of its titles. Before every other
 * page comes the one that teaches a term of the query, as the glossary's
 * terms and the pages tell (BookSearch.teaching, in split_query.js); then
 * the pages whose own title holds the most words of the query.
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
  // For each word of the query in the page's title (a Chinese word also
  // when all its parts are: 自定义函数 in 自定义自动微分函数).
  pageTitle: 10,
  _teaching: { query: null, pages: new Set() },

  score: (result) => {
    const [docname, , , , score] = result;
    if (Scorer._teaching.query !== BookSearch.query) {
      Scorer._teaching = { query: BookSearch.query, pages: BookSearch.teachingPages(BookSearch.query) };
    }
    const title = (Search._index.titles[Search._index.docnames.indexOf(docname)] || "").toLowerCase();
    const inTitle = BookSearch.words.filter((word) => {
      const lower = word.toLowerCase();
      if (stopwords.indexOf(lower) !== -1) return false;
      if (title.includes(lower)) return true;
      const parts = BookSearch.han.test(word) ? BookSearch.parts(word) : [];
      return parts.length > 0 && parts.every((part) => title.includes(part));
    }).length;
    const teaching = Scorer._teaching.pages.has(docname) ? Scorer.teachingPage : 0;
    return score + teaching + Scorer.pageTitle * inTitle;
  },
};
