// Builds the .vsix with the captionls server inside, for one VS Code platform target:
//   node scripts/package.mjs [--target linux-x64] [--python PYTHON]
// (`npm run package`; the target defaults to this machine's). The .vsix carries, under bundled/wheels/, the
// captionls wheel built from this checkout, the wheels of its dependencies for every CPython in
// PYTHON_VERSIONS on that platform (pip resolves them from the wheel's metadata, so the list is pyproject's),
// and pip's own wheel. On first use the extension pip-installs them, with no index, into its storage
// (src/bundled.ts). Wheels are downloaded at build time only, and kept in .wheel-cache/ (git-ignored): a
// build that the cache already covers never goes to the network.
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

const extension = path.resolve(import.meta.dirname, "..");
const repository = path.resolve(extension, "../..");
const bundled = path.join(extension, "bundled");
const wheels = path.join(bundled, "wheels");
const cache = path.join(extension, ".wheel-cache");

/**
 * The CPython versions the bundle may serve: pyproject's requires-python (>=3.11) up to the newest release. A
 * version newer than the first is left out while a compiled dependency has no wheel for it yet (the manifest
 * lists the versions served); the first must be served.
 */
const PYTHON_VERSIONS = ["3.11", "3.12", "3.13", "3.14", "3.15"];

/** VS Code glibc Linux builds need glibc 2.28, so manylinux wheels up to 2.28 run wherever VS Code does. */
function manylinux(arch) {
  const glibc = Array.from({ length: 12 }, (_, i) => `manylinux_2_${17 + i}_${arch}`);
  return [...glibc, `manylinux2014_${arch}`];
}

/** pip's platform tags per VS Code target (pip widens a macosx tag to older macOS and universal2 itself). */
const PLATFORMS = {
  "linux-x64": manylinux("x86_64"),
  "linux-arm64": manylinux("aarch64"),
  "alpine-x64": ["musllinux_1_1_x86_64", "musllinux_1_2_x86_64"],
  "alpine-arm64": ["musllinux_1_1_aarch64", "musllinux_1_2_aarch64"],
  "darwin-x64": ["macosx_10_15_x86_64"],
  "darwin-arm64": ["macosx_11_0_arm64"],
  "win32-x64": ["win_amd64"],
  "win32-arm64": ["win_arm64"],
};

function thisMachine() {
  const musl = process.platform === "linux" && !process.report.getReport().header.glibcVersionRuntime;
  return `${musl ? "alpine" : process.platform}-${process.arch}`;
}

const { values: options } = parseArgs({
  options: {
    target: { type: "string", default: thisMachine() },
    python: { type: "string", default: process.env.PYTHON ?? (process.platform === "win32" ? "python" : "python3") },
  },
});
const platforms = PLATFORMS[options.target];
if (!platforms) {
  console.error(`package.mjs: no bundle for target ${options.target}; one of ${Object.keys(PLATFORMS).join(", ")}`);
  process.exit(2);
}

function run(command, args, { quiet = false } = {}) {
  const result = spawnSync(command, args, { cwd: extension, stdio: quiet ? "pipe" : "inherit", encoding: "utf8" });
  if (result.error) {
    throw result.error;
  }
  return result.status === 0;
}

function pip(args, what) {
  if (!run(options.python, ["-m", "pip", "--disable-pip-version-check", ...args])) {
    throw new Error(`package.mjs: ${what} failed (pip ${args.join(" ")})`);
  }
}

/**
 * Copies into bundled/wheels what `requirement` needs for one Python version: from the cache alone when it
 * covers the requirement, else after pip downloads the missing wheels into the cache. False when PyPI has
 * no wheel of some dependency for that version (nothing is copied then).
 */
function bundleWheels(requirement, version, extra = []) {
  const tags = [
    "--only-binary=:all:",
    "--implementation=cp",
    `--python-version=${version}`,
    `--abi=cp${version.replace(".", "")}`,
    ...platforms.map((platform) => `--platform=${platform}`),
    ...extra,
  ];
  const fromCache = ["download", "--quiet", "--no-index", `--find-links=${cache}`, `--dest=${wheels}`, ...tags, requirement];
  if (run(options.python, ["-m", "pip", "--disable-pip-version-check", ...fromCache], { quiet: true })) {
    return true;
  }
  console.log(`package.mjs: downloading wheels for Python ${version} on ${options.target}`);
  if (!run(options.python, ["-m", "pip", "--disable-pip-version-check", "download", "--quiet", `--dest=${cache}`, ...tags, requirement])) {
    return false;
  }
  pip(fromCache, `bundling for Python ${version}`);
  return true;
}

fs.rmSync(bundled, { recursive: true, force: true });
fs.mkdirSync(wheels, { recursive: true });
fs.mkdirSync(cache, { recursive: true });

// The captionls wheel of this checkout, next to the cached dependencies so the cache-only pass resolves it.
const built = fs.mkdtempSync(path.join(cache, "build-"));
try {
  pip(["wheel", "--quiet", "--no-deps", `--wheel-dir=${built}`, repository], "building the captionls wheel");
  const [captionlsWheel] = fs.readdirSync(built).filter((name) => name.startsWith("captionls-"));
  fs.copyFileSync(path.join(built, captionlsWheel), path.join(cache, captionlsWheel));
  const captionlsVersion = captionlsWheel.split("-")[1];
  const served = PYTHON_VERSIONS.filter((version, index) => {
    if (bundleWheels(path.join(cache, captionlsWheel), version)) {
      return true;
    }
    if (index === 0) {
      throw new Error(`package.mjs: no wheels for Python ${version}, the oldest captionls supports`);
    }
    console.log(`package.mjs: Python ${version} left out: a dependency has no wheel for it on ${options.target} yet`);
    return false;
  });
  // pip itself, the newest that runs on the oldest Python served: it installs the rest on first use.
  if (!bundleWheels("pip", served[0], ["--no-deps"])) {
    throw new Error("package.mjs: no pip wheel");
  }

  const names = fs.readdirSync(wheels).sort();
  const digest = crypto.createHash("sha256");
  for (const name of names) {
    digest.update(name).update(fs.readFileSync(path.join(wheels, name)));
  }
  const manifest = {
    // Names the installed copy in the extension's storage: a new bundle installs afresh.
    id: digest.digest("hex").slice(0, 16),
    target: options.target,
    captionls: captionlsVersion,
    pythonVersions: served,
    pip: names.find((name) => name.startsWith("pip-")),
  };
  fs.writeFileSync(path.join(bundled, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`package.mjs: bundled ${names.length} wheels for ${options.target} (${manifest.id})`);
} finally {
  fs.rmSync(built, { recursive: true, force: true });
}

const packageJson = JSON.parse(fs.readFileSync(path.join(extension, "package.json"), "utf8"));
const vsix = `captionls-${options.target}-${packageJson.version}.vsix`;
const vsce = path.join(extension, "node_modules", ".bin", process.platform === "win32" ? "vsce.cmd" : "vsce");
const packaged = run(vsce, [
  "package",
  "--no-dependencies",
  "--allow-missing-repository",
  "--no-rewrite-relative-links",
  `--target=${options.target}`,
  `--out=${vsix}`,
]);
if (!packaged) {
  process.exit(1);
}
console.log(`package.mjs: ${vsix}, ${(fs.statSync(path.join(extension, vsix)).size / 1e6).toFixed(1)} MB`);
