import assert from "node:assert/strict";
import { test } from "node:test";
import { checkMessage, counted } from "../src/counts";

test("one is singular, everything else plural", () => {
  assert.equal(counted(1, "caption"), "1 caption");
  assert.equal(counted(0, "caption"), "0 captions");
  assert.equal(counted(12_000, "tag"), "12,000 tags");
  assert.equal(counted(2, "alias", "aliases"), "2 aliases");
});

test("the check summary counts what the Problems panel lists, hints apart", () => {
  const summary = { captions: 1, findings: 3, problems: 2, hints: 1, captionsWithProblems: 1 };
  assert.equal(
    checkMessage(summary),
    "captionls: 2 problems in 1 caption of 1 checked; 1 hint marked in the editor only.",
  );
  assert.equal(
    checkMessage({ captions: 12, findings: 0, problems: 0, hints: 0, captionsWithProblems: 0 }),
    "captionls: no problems in 12 captions.",
  );
  assert.equal(
    checkMessage({ captions: 4, findings: 1, problems: 1, hints: 0, captionsWithProblems: 1 }),
    "captionls: 1 problem in 1 caption of 4 checked.",
  );
});
