import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { imageBeside } from "../src/image";

function folder(names: string[]): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "captionls-image-"));
  for (const name of names) {
    fs.writeFileSync(path.join(root, name), "");
  }
  return root;
}

test("the image with the caption's stem", () => {
  const root = folder(["001.txt", "001.png", "002.jpg", "001.png.txt"]);
  assert.equal(imageBeside(path.join(root, "001.txt")), path.join(root, "001.png"));
});

test("extensions match case-insensitively and png comes before jpg", () => {
  const root = folder(["a.caption", "a.JPG", "a.Png"]);
  assert.equal(imageBeside(path.join(root, "a.caption")), path.join(root, "a.Png"));
});

test("stems with dots, spaces, CJK and emoji", () => {
  const root = folder(["少女 v1.2 🌸.txt", "少女 v1.2 🌸.webp", "少女 v1.2.png"]);
  assert.equal(imageBeside(path.join(root, "少女 v1.2 🌸.txt")), path.join(root, "少女 v1.2 🌸.webp"));
});

test("no image, not-an-image, or no folder", () => {
  const root = folder(["README.txt", "README.md", "b.txt", "b.psd"]);
  assert.equal(imageBeside(path.join(root, "README.txt")), undefined);
  assert.equal(imageBeside(path.join(root, "b.txt")), undefined);
  assert.equal(imageBeside(path.join(root, "gone", "c.txt")), undefined);
});
