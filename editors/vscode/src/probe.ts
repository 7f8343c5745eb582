// What server discovery asks the machine: real files, a real Python and pip, no VS Code.
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type BundleManifest, PYTHON_DESCRIPTION, type PythonDescription, pipInstallArgs } from "./bundled";

export function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) {
      return false;
    }
    if (process.platform !== "win32") {
      fs.accessSync(file, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}

/** Whether `python` can import the captionls CLI (then `python -c PYTHON_ENTRY serve` runs the server). */
export function pythonHasCaptionls(python: string): Promise<boolean> {
  return new Promise((resolve) => {
    childProcess.execFile(python, ["-c", "import captionls.server.cli"], { timeout: 15000 }, (error) =>
      resolve(error === null),
    );
  });
}

export function isDirectory(folder: string): boolean {
  try {
    return fs.statSync(folder).isDirectory();
  } catch {
    return false;
  }
}

export function readManifest(file: string): BundleManifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as BundleManifest;
  } catch {
    return undefined;
  }
}

/** What `python` says about itself, or undefined when it does not run (missing, a store stub, Python 2). */
export function describePython(python: string): Promise<PythonDescription | undefined> {
  return new Promise((resolve) => {
    childProcess.execFile(python, ["-I", "-c", PYTHON_DESCRIPTION], { timeout: 15000 }, (error, stdout) => {
      try {
        resolve(error === null ? (JSON.parse(stdout) as PythonDescription) : undefined);
      } catch {
        resolve(undefined);
      }
    });
  });
}

/**
 * pip-installs the bundle into a staging folder beside `folder`, then renames it into place, so an interrupted
 * install is never taken for a finished one; another window that finished first wins. Copies of older bundles
 * (siblings of this bundle's folder) are removed afterwards.
 */
export async function installBundle(
  bundleDir: string,
  python: PythonDescription,
  manifest: BundleManifest,
  folder: string,
): Promise<void> {
  const staging = `${folder}.partial-${process.pid}-${Date.now()}`;
  try {
    await new Promise<void>((resolve, reject) => {
      childProcess.execFile(
        python.executable,
        pipInstallArgs(bundleDir, manifest, staging),
        // No pip configuration file applies (a machine's global pip.conf may add indexes or constraints).
        { timeout: 300000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, PIP_CONFIG_FILE: os.devNull } },
        (error, _stdout, stderr) => {
          const lastLine = stderr.trim().split("\n").at(-1);
          return error === null ? resolve() : reject(new Error(lastLine || String(error)));
        },
      );
    });
    try {
      fs.renameSync(staging, folder);
    } catch (error) {
      if (!isDirectory(folder)) {
        throw error;
      }
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  const bundles = path.dirname(path.dirname(folder));
  for (const older of fs.readdirSync(bundles)) {
    if (older !== manifest.id) {
      try {
        fs.rmSync(path.join(bundles, older), { recursive: true, force: true });
      } catch {
        // A server of another window may still hold its files open (Windows); a later install removes it.
      }
    }
  }
}
