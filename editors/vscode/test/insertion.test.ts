import assert from "node:assert/strict";
import { test } from "node:test";
import { tagInsertion } from "../src/insertion";

const cases: Array<[string, string, string]> = [
  // before, after, expected inserted text for the tag "arms up"
  ["", "", "arms up"],
  ["1girl, ", "", "arms up"],
  ["1girl,", "", " arms up"],
  ["1girl", "", ", arms up"],
  ["1girl ", "", ", arms up"],
  ["", "1girl", "arms up, "],
  ["1girl, ", ", sitting", "arms up"],
  ["1girl, ", "sitting", "arms up, "],
  ["1girl", ", sitting", ", arms up"],
];

for (const [before, after, expected] of cases) {
  test(`insert between ${JSON.stringify(before)} and ${JSON.stringify(after)}`, () => {
    assert.equal(tagInsertion(before, after, "arms up").text, expected);
  });
}

test("another separator", () => {
  assert.equal(tagInsertion("1girl", "", "smile", "|").text, "| smile");
});
