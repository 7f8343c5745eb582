// The server inside the .vsix: bundled/wheels/ holds captionls, its dependencies' wheels for this platform and
// pip (scripts/package.mjs). On first use with a Python, pip installs them with no index into the extension's
// storage, one folder per bundle and interpreter kind; the server then runs from there with that Python.
// Pure logic over an injected `BundleProbe`, tested against a real bundle and real interpreters.
import * as path from "node:path";
import { findOnPath, type Probe, type ServerCommand } from "./discovery";

/** bundled/manifest.json, written by scripts/package.mjs. */
export interface BundleManifest {
  /** Digest of the wheels: a new bundle installs into a new folder. */
  id: string;
  /** The VS Code platform target the wheels are for. */
  target: string;
  /** The captionls version inside. */
  captionls: string;
  /** "3.11", ... : the CPython versions the wheels cover. */
  pythonVersions: string[];
  /** The pip wheel's file name (pip runs straight from it). */
  pip: string;
}

/** What an interpreter says about itself (PYTHON_DESCRIPTION). */
export interface PythonDescription {
  executable: string;
  /** "3.12" */
  version: string;
  implementation: string;
  freeThreaded: boolean;
  /** Names the interpreter kind (ABI and machine): interpreters of one kind share an installed copy. */
  kind: string;
}

/** Printed by `python -I -c PYTHON_DESCRIPTION` as one JSON object. */
export const PYTHON_DESCRIPTION = [
  "import json, os, platform, sys, sysconfig",
  "print(json.dumps({'executable': sys.executable, 'version': '%d.%d' % sys.version_info[:2],",
  "'implementation': sys.implementation.name, 'freeThreaded': bool(sysconfig.get_config_var('Py_GIL_DISABLED')),",
  "'kind': os.path.splitext(sysconfig.get_config_var('EXT_SUFFIX') or '')[0].strip('.') + '-' + platform.machine()}))",
].join("\n");

/** `python -I -c BUNDLED_ENTRY FOLDER ARGS...` runs the captionls installed in FOLDER, isolated from the user's site. */
export const BUNDLED_ENTRY =
  "import sys; sys.path.insert(0, sys.argv.pop(1)); from captionls.server.cli import main; main(prog_name='captionls')";

/** What the bundled server is given about the machine. */
export interface BundleProbe {
  /** The extension's bundled/ folder. */
  bundleDir: string;
  /** Where installed copies live (in the extension's global storage). */
  storageDir: string;
  /** Interpreters to try, in order: the Python extension's, then python3 and python on PATH. */
  pythons: string[];
  readManifest(file: string): BundleManifest | undefined;
  /** Runs PYTHON_DESCRIPTION; undefined when the interpreter does not run. */
  describePython(python: string): Promise<PythonDescription | undefined>;
  isDirectory(folder: string): boolean;
  /** Installs the bundle with pip into `folder`, atomically: the folder appears complete or not at all. */
  install(python: PythonDescription, manifest: BundleManifest, folder: string): Promise<void>;
}

/** The interpreters that may run the bundle, in order: the Python extension's, then python3 and python on PATH. */
export function pythonCandidates(machine: Probe): string[] {
  const onPath = ["python3", "python"].map((name) => findOnPath(name, machine));
  return [...new Set([machine.pythonInterpreter, ...onPath].filter((python): python is string => !!python))];
}

export type BundledServer = { found: true; server: ServerCommand } | { found: false; reason: string };

export async function bundledServer(probe: BundleProbe): Promise<BundledServer> {
  const manifest = probe.readManifest(path.join(probe.bundleDir, "manifest.json"));
  if (!manifest) {
    return { found: false, reason: "this build of the extension carries no server" };
  }
  const tried: string[] = [];
  let python: PythonDescription | undefined;
  for (const candidate of probe.pythons) {
    const description = await probe.describePython(candidate);
    const problem = unsuitable(description, manifest);
    if (!problem) {
      python = description;
      break;
    }
    tried.push(`${candidate} (${problem})`);
  }
  const versions = `CPython ${manifest.pythonVersions[0]} to ${manifest.pythonVersions.at(-1)}`;
  if (!python) {
    const looked = tried.length > 0 ? `tried ${tried.join(", ")}` : "found no python3 or python on PATH";
    return { found: false, reason: `the bundled server needs ${versions}: ${looked}` };
  }
  const folder = path.join(probe.storageDir, manifest.id, python.kind);
  if (!probe.isDirectory(folder)) {
    try {
      await probe.install(python, manifest, folder);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { found: false, reason: `installing the bundled server with ${python.executable} failed: ${message}` };
    }
  }
  return {
    found: true,
    server: { command: python.executable, args: ["-I", "-c", BUNDLED_ENTRY, folder], source: "bundled" },
  };
}

function unsuitable(python: PythonDescription | undefined, manifest: BundleManifest): string | undefined {
  if (!python) {
    return "does not run";
  }
  if (python.implementation !== "cpython" || !manifest.pythonVersions.includes(python.version)) {
    return `${python.implementation} ${python.version}`;
  }
  return python.freeThreaded ? `free-threaded ${python.version}` : undefined;
}

/** `python -I PIP_WHEEL/pip ARGS` installs the bundle's captionls from its wheels alone, never the network. */
export function pipInstallArgs(bundleDir: string, manifest: BundleManifest, target: string): string[] {
  const wheels = path.join(bundleDir, "wheels");
  return [
    "-I",
    path.join(wheels, manifest.pip, "pip"),
    "install",
    "--isolated",
    "--disable-pip-version-check",
    "--no-warn-script-location",
    "--root-user-action=ignore",
    "--quiet",
    "--no-index",
    `--find-links=${wheels}`,
    "--only-binary=:all:",
    `--target=${target}`,
    `captionls==${manifest.captionls}`,
  ];
}
