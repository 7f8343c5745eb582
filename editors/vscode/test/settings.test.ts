import assert from "node:assert/strict";
import { test } from "node:test";
import { serverSettings } from "../src/settings";

/** Reads like `settingsFor`: the values the user set, undefined for the others. */
function reader(user: Record<string, unknown>): (key: string) => unknown {
  return (key) => user[key];
}

test("defaults send nothing, so captionls.toml and the server decide", () => {
  assert.deepEqual(serverSettings(reader({})), {});
});

test("the detected tag style leaves the style to the dataset", () => {
  assert.deepEqual(serverSettings(reader({ tagStyle: "detected" })), {});
});

test("set values map to the server's keys", () => {
  assert.deepEqual(
    serverSettings(
      reader({
        vocabulary: " /data/vocab.sqlite ",
        tagStyle: "underscores",
        escapeParentheses: false,
        rules: { "duplicate-tag": "error", "structure-order": "off" },
      }),
    ),
    {
      vocabulary: "/data/vocab.sqlite",
      tagStyle: "underscores",
      escapeParentheses: false,
      rules: { "duplicate-tag": "error", "structure-order": "off" },
    },
  );
});

test("editor-only settings never reach the server", () => {
  const settings = serverSettings(reader({ "server.path": "/x/captionls", "preview.follow": true }));
  assert.deepEqual(settings, {});
});

test("invalid values are dropped, valid neighbours kept", () => {
  assert.deepEqual(
    serverSettings(
      reader({
        vocabulary: "   ",
        tagStyle: "camelCase",
        escapeParentheses: "yes",
        rules: { "duplicate-tag": "fatal", "empty-tag": "hint", "tag-count": 3 },
      }),
    ),
    { rules: { "empty-tag": "hint" } },
  );
  assert.deepEqual(serverSettings(reader({ rules: ["duplicate-tag"] })), {});
  assert.deepEqual(serverSettings(reader({ rules: null })), {});
});

test("non-ASCII vocabulary paths pass through untouched", () => {
  assert.deepEqual(serverSettings(reader({ vocabulary: "/데이터/タグ (1)/vocab.sqlite" })), {
    vocabulary: "/데이터/タグ (1)/vocab.sqlite",
  });
});
