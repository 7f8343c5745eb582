import assert from "node:assert/strict";
import { test } from "node:test";
import { serverPathAdvice } from "../src/serverPathScope";

test("a local window opens the User settings and needs no word on scopes", () => {
  assert.deepEqual(serverPathAdvice(undefined), { sentence: "", command: "workbench.action.openSettings" });
});

test("a remote window names the Remote settings, where a machine setting takes effect", () => {
  const advice = serverPathAdvice("ssh-remote");
  assert.equal(advice.command, "workbench.action.openRemoteSettings");
  assert.match(advice.sentence, /remote window \(ssh-remote\): set `captionls\.server\.path` in the Remote settings/);
  assert.match(advice.sentence, /ignores the User settings/);
});
