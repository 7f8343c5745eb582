import assert from "node:assert/strict";
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { discoverServer, findOnPath, type Probe, PYTHON_ENTRY } from "../src/discovery";
import { isExecutableFile, pythonHasCaptionls } from "../src/probe";

/** A real folder tree with real files; `executable` ones get mode 755. */
function tree(files: Record<string, "executable" | "plain">): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "captionls-discovery-"));
  for (const [name, kind] of Object.entries(files)) {
    const file = path.join(root, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "#!/bin/sh\n");
    fs.chmodSync(file, kind === "executable" ? 0o755 : 0o644);
  }
  return root;
}


function probe(overrides: Partial<Probe>): Probe {
  return {
    settingPath: "",
    pythonInterpreter: undefined,
    pathVariable: "",
    platform: "linux",
    isExecutableFile,
    pythonHasCaptionls: async () => false,
    ...overrides,
  };
}

test("the setting wins over everything else", async () => {
  const root = tree({ "custom/captionls": "executable", "venv/bin/python": "executable", "venv/bin/captionls": "executable", "bin/captionls": "executable" });
  const found = await discoverServer(
    probe({
      settingPath: path.join(root, "custom/captionls"),
      pythonInterpreter: path.join(root, "venv/bin/python"),
      pathVariable: path.join(root, "bin"),
    }),
  );
  assert.deepEqual(found, { found: true, server: { command: path.join(root, "custom/captionls"), args: [], source: "setting" } });
});

test("a setting that points nowhere is reported, not replaced by PATH", async () => {
  const root = tree({ "bin/captionls": "executable", "notes.txt": "plain" });
  for (const setting of [path.join(root, "missing"), path.join(root, "notes.txt"), root]) {
    const found = await discoverServer(probe({ settingPath: setting, pathVariable: path.join(root, "bin") }));
    assert.equal(found.found, false);
    assert.match(!found.found ? found.reason : "", /captionls\.server\.path/);
  }
});

test("the console script beside the Python extension's interpreter", async () => {
  const root = tree({ "venv/bin/python": "executable", "venv/bin/captionls": "executable", "bin/captionls": "executable" });
  const found = await discoverServer(
    probe({ pythonInterpreter: path.join(root, "venv/bin/python"), pathVariable: path.join(root, "bin") }),
  );
  assert.deepEqual(found, { found: true, server: { command: path.join(root, "venv/bin/captionls"), args: [], source: "python" } });
});

test("an interpreter without the script runs the CLI module when captionls imports there", async () => {
  const root = tree({ "py/python3": "executable" });
  const python = path.join(root, "py/python3");
  const asked: string[] = [];
  const found = await discoverServer(
    probe({
      pythonInterpreter: python,
      pythonHasCaptionls: async (interpreter) => {
        asked.push(interpreter);
        return true;
      },
    }),
  );
  assert.deepEqual(asked, [python]);
  assert.deepEqual(found, { found: true, server: { command: python, args: ["-c", PYTHON_ENTRY], source: "python" } });
});

test("an interpreter without captionls falls through to PATH", async () => {
  const root = tree({ "py/python3": "executable", "first/other": "executable", "second/captionls": "executable" });
  const found = await discoverServer(
    probe({
      pythonInterpreter: path.join(root, "py/python3"),
      pathVariable: ["", path.join(root, "first"), path.join(root, "second")].join(":"),
    }),
  );
  assert.deepEqual(found, { found: true, server: { command: path.join(root, "second/captionls"), args: [], source: "path" } });
});

test("a non-executable captionls on PATH is skipped", async () => {
  const root = tree({ "a/captionls": "plain", "b/captionls": "executable" });
  const found = findOnPath("captionls", probe({ pathVariable: `${path.join(root, "a")}:${path.join(root, "b")}` }));
  assert.equal(found, path.join(root, "b/captionls"));
});

test("nothing found says so", async () => {
  const root = tree({ "bin/other": "executable" });
  const found = await discoverServer(probe({ pathVariable: path.join(root, "bin") }));
  assert.deepEqual(found, { found: false, reason: "The captionls language server was not found." });
});

test("Windows: PATHEXT extensions, ';' separators and Scripts\\ beside python.exe", async () => {
  const existing = new Set(["C:\\tools\\captionls.CMD", "C:\\venv\\Scripts\\captionls.exe"]);
  const windows = (overrides: Partial<Probe>): Probe =>
    probe({ platform: "win32", isExecutableFile: (file) => existing.has(file), ...overrides });
  assert.deepEqual(await discoverServer(windows({ pathVariable: "C:\\empty;C:\\tools", pathExtensions: ".EXE;.CMD" })), {
    found: true,
    server: { command: "C:\\tools\\captionls.CMD", args: [], source: "path" },
  });
  assert.deepEqual(await discoverServer(windows({ pythonInterpreter: "C:\\venv\\Scripts\\python.exe" })), {
    found: true,
    server: { command: "C:\\venv\\Scripts\\captionls.exe", args: [], source: "python" },
  });
});

/** The repository's virtualenv, where captionls is installed (scripts/e2e-vscode makes sure of it). */
const VENV_PYTHON = path.resolve(__dirname, "../../../../.venv/bin/python");

test("the real virtualenv: its console script, and the module entry that runs the real CLI", { skip: !fs.existsSync(VENV_PYTHON) && "no .venv" }, async () => {
  const found = await discoverServer(probe({ pythonInterpreter: VENV_PYTHON, pythonHasCaptionls }));
  assert.deepEqual(found, { found: true, server: { command: path.join(path.dirname(VENV_PYTHON), "captionls"), args: [], source: "python" } });
  // Without the console script, discovery falls back to this entry; it must start the real CLI.
  assert.equal(await pythonHasCaptionls(VENV_PYTHON), true);
  const help = childProcess.spawnSync(VENV_PYTHON, ["-c", PYTHON_ENTRY, "serve", "--help"], { encoding: "utf8" });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /--tcp/);
});

test("a real interpreter without captionls falls through", { skip: !fs.existsSync("/usr/bin/python3") && "no /usr/bin/python3" }, async () => {
  assert.equal(await pythonHasCaptionls("/usr/bin/python3"), false);
  assert.equal(await pythonHasCaptionls("/nonexistent/python"), false);
});
