import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { discoverServer, findOnPath, type Probe, PYTHON_ENTRY } from "../src/discovery";

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

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) {
      return false;
    }
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function probe(overrides: Partial<Probe>): Probe {
  return {
    settingPath: "",
    pythonInterpreter: undefined,
    pathVariable: "",
    platform: "linux",
    isExecutableFile,
    pythonHasCaptionls: () => false,
    ...overrides,
  };
}

test("the setting wins over everything else", () => {
  const root = tree({ "custom/captionls": "executable", "venv/bin/python": "executable", "venv/bin/captionls": "executable", "bin/captionls": "executable" });
  const found = discoverServer(
    probe({
      settingPath: path.join(root, "custom/captionls"),
      pythonInterpreter: path.join(root, "venv/bin/python"),
      pathVariable: path.join(root, "bin"),
    }),
  );
  assert.deepEqual(found, { found: true, server: { command: path.join(root, "custom/captionls"), args: [], source: "setting" } });
});

test("a setting that points nowhere is reported, not replaced by PATH", () => {
  const root = tree({ "bin/captionls": "executable", "notes.txt": "plain" });
  for (const setting of [path.join(root, "missing"), path.join(root, "notes.txt"), root]) {
    const found = discoverServer(probe({ settingPath: setting, pathVariable: path.join(root, "bin") }));
    assert.equal(found.found, false);
    assert.match(!found.found ? found.reason : "", /captionls\.server\.path/);
  }
});

test("the console script beside the Python extension's interpreter", () => {
  const root = tree({ "venv/bin/python": "executable", "venv/bin/captionls": "executable", "bin/captionls": "executable" });
  const found = discoverServer(
    probe({ pythonInterpreter: path.join(root, "venv/bin/python"), pathVariable: path.join(root, "bin") }),
  );
  assert.deepEqual(found, { found: true, server: { command: path.join(root, "venv/bin/captionls"), args: [], source: "python" } });
});

test("an interpreter without the script runs the CLI module when captionls imports there", () => {
  const root = tree({ "py/python3": "executable" });
  const python = path.join(root, "py/python3");
  const asked: string[] = [];
  const found = discoverServer(
    probe({
      pythonInterpreter: python,
      pythonHasCaptionls: (interpreter) => {
        asked.push(interpreter);
        return true;
      },
    }),
  );
  assert.deepEqual(asked, [python]);
  assert.deepEqual(found, { found: true, server: { command: python, args: ["-c", PYTHON_ENTRY], source: "python" } });
});

test("an interpreter without captionls falls through to PATH", () => {
  const root = tree({ "py/python3": "executable", "first/other": "executable", "second/captionls": "executable" });
  const found = discoverServer(
    probe({
      pythonInterpreter: path.join(root, "py/python3"),
      pathVariable: ["", path.join(root, "first"), path.join(root, "second")].join(":"),
    }),
  );
  assert.deepEqual(found, { found: true, server: { command: path.join(root, "second/captionls"), args: [], source: "path" } });
});

test("a non-executable captionls on PATH is skipped", () => {
  const root = tree({ "a/captionls": "plain", "b/captionls": "executable" });
  const found = findOnPath("captionls", probe({ pathVariable: `${path.join(root, "a")}:${path.join(root, "b")}` }));
  assert.equal(found, path.join(root, "b/captionls"));
});

test("nothing found says so", () => {
  const root = tree({ "bin/other": "executable" });
  const found = discoverServer(probe({ pathVariable: path.join(root, "bin") }));
  assert.deepEqual(found, { found: false, reason: "The captionls language server was not found." });
});

test("Windows: PATHEXT extensions, ';' separators and Scripts\\ beside python.exe", () => {
  const existing = new Set(["C:\\tools\\captionls.CMD", "C:\\venv\\Scripts\\captionls.exe"]);
  const windows = (overrides: Partial<Probe>): Probe =>
    probe({ platform: "win32", isExecutableFile: (file) => existing.has(file), ...overrides });
  assert.deepEqual(discoverServer(windows({ pathVariable: "C:\\empty;C:\\tools", pathExtensions: ".EXE;.CMD" })), {
    found: true,
    server: { command: "C:\\tools\\captionls.CMD", args: [], source: "path" },
  });
  assert.deepEqual(discoverServer(windows({ pythonInterpreter: "C:\\venv\\Scripts\\python.exe" })), {
    found: true,
    server: { command: "C:\\venv\\Scripts\\captionls.exe", args: [], source: "python" },
  });
});
