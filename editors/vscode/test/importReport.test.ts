import assert from "node:assert/strict";
import { test } from "node:test";
import { importCounts, type ImportReport } from "../src/importReport";

function report(counts: Partial<ImportReport>): ImportReport {
  const none = { tags: 0, aliases: 0, translations: 0, skipped: 0, skipped_lines: {} };
  return { file: "list.tag", format: "listtag", ...none, ...counts };
}

test("the counts of tags added and aliases, in words that agree with them", () => {
  assert.equal(importCounts([report({ tags: 1, aliases: 2 })]), "1 tag added or changed, 2 aliases");
  assert.equal(importCounts([report({ tags: 1234, aliases: 1 })]), "1,234 tags added or changed, 1 alias");
});

test("translations and skipped lines only when there are some, summed over the files", () => {
  assert.equal(
    importCounts([report({ tags: 2, skipped: 1 }), report({ translations: 5, skipped: 2 })]),
    "2 tags added or changed, 0 aliases, 5 translations, 3 bad lines skipped",
  );
});
