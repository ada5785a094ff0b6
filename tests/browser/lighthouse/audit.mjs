// Runs Lighthouse (its default mobile profile) on each URL given, one Chromium
// for all, and prints one JSON object: URL -> category scores and metrics.
// Usage: node audit.mjs CHROMIUM all|performance URL...; "performance" audits
// that category alone, for the pages measured again.
// Used by tests/browser/test_first_paint.py; the pinned Lighthouse is
// installed beside this file by `nox -s browser`.
import lighthouse from "lighthouse";
import * as chromeLauncher from "chrome-launcher";

const [chromePath, categories, ...urls] = process.argv.slice(2);
const onlyCategories = {
  all: ["performance", "accessibility", "best-practices", "seo"],
  performance: ["performance"],
}[categories];
if (!onlyCategories) throw new Error(`categories: pass "all" or "performance", not ${categories}`);
const chrome = await chromeLauncher.launch({
  chromePath,
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"],
});
const metrics = [
  "first-contentful-paint",
  "largest-contentful-paint",
  "speed-index",
  "total-blocking-time",
  "cumulative-layout-shift",
];
const results = {};
try {
  for (const url of urls) {
    const { lhr } = await lighthouse(url, {
      port: chrome.port,
      logLevel: "error",
      output: "json",
      onlyCategories,
      // No screenshots but the trace's own filmstrip, which the speed index is
      // computed from: a long page's full-page screenshot costs seconds and
      // counts towards no score.
      disableFullPageScreenshot: true,
      skipAudits: ["screenshot-thumbnails", "final-screenshot"],
    });
    const failing = [];
    for (const category of Object.values(lhr.categories)) {
      for (const ref of category.auditRefs) {
        const audit = lhr.audits[ref.id];
        if (ref.weight > 0 && audit.score !== null && audit.score < 1) {
          failing.push(`${ref.id} (${audit.score})`);
        }
      }
    }
    results[url] = {
      scores: Object.fromEntries(
        Object.entries(lhr.categories).map(([name, category]) => [name, category.score]),
      ),
      metrics: Object.fromEntries(metrics.map((name) => [name, lhr.audits[name].numericValue])),
      failing,
      // Lighthouse's measure of the host's speed, taken before each run: a
      // busy or slow machine shows here, and scales the simulated phone's tasks.
      benchmarkIndex: lhr.environment.benchmarkIndex,
      runtimeError: lhr.runtimeError ? lhr.runtimeError.message : null,
    };
  }
} finally {
  await chrome.kill();
}
process.stdout.write(JSON.stringify(results));
