import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { imagesBeside } from "../src/galleryImages";
import { findTag, whereWithTag } from "../src/selection";

test("images beside many captions, one folder read each, in extension order", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "captionls-gallery-"));
  const other = path.join(root, "sub");
  fs.mkdirSync(other);
  for (const name of ["a.txt", "a.JPG", "a.png", "b.txt", "b.webp", "c.txt", "c.txt.png"]) {
    fs.writeFileSync(path.join(root, name), "");
  }
  fs.writeFileSync(path.join(other, "d.caption"), "");
  fs.writeFileSync(path.join(other, "d.gif"), "");
  const captions = ["a.txt", "b.txt", "c.txt", "sub/d.caption"].map((name) => path.join(root, name));
  const images = imagesBeside(captions);
  assert.equal(images.get(captions[0]), path.join(root, "a.png"));
  assert.equal(images.get(captions[1]), path.join(root, "b.webp"));
  assert.equal(images.has(captions[2]), false);
  assert.equal(images.get(captions[3]), path.join(other, "d.gif"));
  fs.rmSync(root, { recursive: true });
});

test("a tag in a query is quoted, and narrows the view's query", () => {
  assert.equal(whereWithTag("", 'say "hi"'), '"say \\"hi\\""');
  assert.equal(whereWithTag("smile OR solo", "long hair"), '(smile OR solo) AND "long hair"');
});

test("a tag is found as written, whatever its style", () => {
  assert.deepEqual(findTag("1girl, long_hair, smile", "long hair"), [7, 16]);
  assert.deepEqual(findTag("1girl,  \\(cat\\) ears", "(cat) ears"), [8, 20]);
  assert.equal(findTag("1girl, long hair", "hair"), undefined);
});
