import assert from "node:assert/strict";
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { type BundleManifest, type BundleProbe, BUNDLED_ENTRY, bundledServer, pythonCandidates } from "../src/bundled";
import { discoverServer } from "../src/discovery";
import { describePython, installBundle, isDirectory, isExecutableFile, readManifest } from "../src/probe";

/** The bundle `npm run package` builds (scripts/e2e-vscode packages before it tests). */
const BUNDLE = path.resolve(__dirname, "../../bundled");
const hasBundle = fs.existsSync(path.join(BUNDLE, "manifest.json"));
/** A real interpreter of the machine, outside the repository's virtualenv. */
const SYSTEM_PYTHON = ["/usr/bin/python3", "/usr/local/bin/python3"].find((file) => fs.existsSync(file));

function temporary(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `captionls-${prefix}-`));
}

/** A bundle folder with only a manifest, for the choices made before anything is installed. */
function manifestOnly(manifest: Partial<BundleManifest>): string {
  const folder = temporary("bundle");
  fs.writeFileSync(
    path.join(folder, "manifest.json"),
    JSON.stringify({ id: "0123", target: "linux-x64", captionls: "0.1.0", pythonVersions: ["3.11"], pip: "pip.whl", ...manifest }),
  );
  return folder;
}

function probe(overrides: Partial<BundleProbe>): BundleProbe {
  return {
    bundleDir: BUNDLE,
    storageDir: temporary("storage"),
    pythons: [],
    readManifest,
    describePython,
    isDirectory,
    install: (python, manifest, folder) => installBundle(BUNDLE, python, manifest, folder),
    ...overrides,
  };
}

test("candidates: the Python extension's interpreter, then python3 and python on PATH, each once", () => {
  const root = temporary("pythons");
  for (const file of ["a/python3", "b/python3", "b/python"]) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), "#!/bin/sh\n");
    fs.chmodSync(path.join(root, file), 0o755);
  }
  const machine = {
    settingPath: "",
    pathVariable: ["a", "b"].map((folder) => path.join(root, folder)).join(path.delimiter),
    platform: process.platform,
    isExecutableFile,
    pythonHasCaptionls: async () => false,
  };
  assert.deepEqual(pythonCandidates({ ...machine, pythonInterpreter: "/venv/bin/python" }), [
    "/venv/bin/python",
    path.join(root, "a/python3"),
    path.join(root, "b/python"),
  ]);
  assert.deepEqual(pythonCandidates({ ...machine, pythonInterpreter: path.join(root, "a/python3") }), [
    path.join(root, "a/python3"),
    path.join(root, "b/python"),
  ]);
});

test("an extension built without a bundle says so", async () => {
  const found = await bundledServer(probe({ bundleDir: temporary("empty"), pythons: ["python3"] }));
  assert.deepEqual(found, { found: false, reason: "this build of the extension carries no server" });
});

test("no Python at all: the message says what the bundle needs and that none was found", async () => {
  const found = await bundledServer(probe({ bundleDir: manifestOnly({ pythonVersions: ["3.11", "3.12"] }) }));
  assert.deepEqual(found, {
    found: false,
    reason: "the bundled server needs CPython 3.11 to 3.12: found no python3 or python on PATH",
  });
});

test("interpreters that do not run or are another version are named with why", { skip: !SYSTEM_PYTHON && "no system python3" }, async () => {
  const python = SYSTEM_PYTHON as string;
  const version = (await describePython(python))?.version;
  const missing = path.join(temporary("nothing"), "python3");
  const found = await bundledServer(probe({ bundleDir: manifestOnly({ pythonVersions: ["2.7"] }), pythons: [missing, python] }));
  assert.deepEqual(found, {
    found: false,
    reason: `the bundled server needs CPython 2.7 to 2.7: tried ${missing} (does not run), ${python} (cpython ${version})`,
  });
});

test("a real interpreter describes itself", { skip: !SYSTEM_PYTHON && "no system python3" }, async () => {
  const description = await describePython(SYSTEM_PYTHON as string);
  assert.ok(description);
  assert.equal(description.implementation, "cpython");
  assert.match(description.version, /^3\.\d+$/);
  assert.match(description.kind, /^cpython-3\d+.*-\w+$/);
  assert.equal(await describePython(path.join(temporary("nothing"), "python3")), undefined);
});

test(
  "the real bundle: installed once per kind of Python with no index, then run from the extension's storage",
  { skip: (!hasBundle && "no bundled/ (npm run package builds it)") || (!SYSTEM_PYTHON && "no system python3") },
  async () => {
    const python = SYSTEM_PYTHON as string;
    const storageDir = temporary("storage");
    // A copy of an older bundle, which the install of this one removes.
    fs.mkdirSync(path.join(storageDir, "older-bundle", "cpython-311"), { recursive: true });
    const installs: string[] = [];
    const bundle = probe({
      storageDir,
      pythons: [path.join(temporary("nothing"), "python3"), python],
      install: async (description, manifest, folder) => {
        installs.push(folder);
        await installBundle(BUNDLE, description, manifest, folder);
      },
    });
    const first = await bundledServer(bundle);
    assert.ok(first.found, !first.found ? first.reason : "");
    const manifest = readManifest(path.join(BUNDLE, "manifest.json")) as BundleManifest;
    const description = await describePython(python);
    const folder = path.join(storageDir, manifest.id, description?.kind ?? "");
    assert.deepEqual(first.server, {
      command: description?.executable,
      args: ["-I", "-c", BUNDLED_ENTRY, folder],
      source: "bundled",
    });
    assert.deepEqual(fs.readdirSync(storageDir), [manifest.id]);
    assert.deepEqual(fs.readdirSync(path.join(storageDir, manifest.id)), [description?.kind]);

    // The installed server is the bundle's captionls, and its CLI runs.
    const version = childProcess.spawnSync(first.server.command, [...first.server.args, "--version"], { encoding: "utf8" });
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.trim(), `captionls ${manifest.captionls}`);
    const serve = childProcess.spawnSync(first.server.command, [...first.server.args, "serve", "--help"], { encoding: "utf8" });
    assert.equal(serve.status, 0, serve.stderr);
    assert.match(serve.stdout, /Usage: captionls serve/);
    // `serve` imports the language server (every feature module) only when it starts: import it all here.
    const imports = childProcess.spawnSync(
      first.server.command,
      ["-I", "-c", "import sys; sys.path.insert(0, sys.argv[1]); import captionls.server.lsp.server", folder],
      { encoding: "utf8" },
    );
    assert.equal(imports.status, 0, imports.stderr);

    // Discovery takes it after an empty setting, and a second start installs nothing.
    const discovered = await discoverServer({
      settingPath: "",
      pythonInterpreter: undefined,
      pathVariable: "",
      platform: process.platform,
      isExecutableFile,
      pythonHasCaptionls: async () => false,
      bundledServer: () => bundledServer(bundle),
    });
    assert.deepEqual(discovered, first);
    assert.deepEqual(installs, [folder]);
  },
);

test("the setting wins over the bundled server", async () => {
  const root = temporary("setting");
  const executable = path.join(root, "captionls");
  fs.writeFileSync(executable, "#!/bin/sh\n");
  fs.chmodSync(executable, 0o755);
  let asked = false;
  const found = await discoverServer({
    settingPath: executable,
    pythonInterpreter: undefined,
    pathVariable: "",
    platform: process.platform,
    isExecutableFile,
    pythonHasCaptionls: async () => false,
    bundledServer: async () => {
      asked = true;
      return { found: false, reason: "unused" };
    },
  });
  assert.deepEqual(found, { found: true, server: { command: executable, args: [], source: "setting" } });
  assert.equal(asked, false);
});

test("when neither the bundle nor an installed server is found, the message carries why the bundle could not run", async () => {
  const found = await discoverServer({
    settingPath: "",
    pythonInterpreter: undefined,
    pathVariable: "",
    platform: process.platform,
    isExecutableFile,
    pythonHasCaptionls: async () => false,
    bundledServer: async () => ({ found: false, reason: "the bundled server needs CPython 3.11 to 3.15: tried python3 (cpython 3.9)" }),
  });
  assert.deepEqual(found, {
    found: false,
    reason:
      "The captionls language server was not found (the bundled server needs CPython 3.11 to 3.15: tried python3 (cpython 3.9)).",
  });
});
