// Finding the captionls server: the setting, else the server inside the extension (run by a Python 3.11+),
// else the captionls of the Python extension's interpreter, else PATH.
// Pure logic over an injected `Probe` so it is tested against real folders without VS Code.
import * as path from "node:path";
import type { BundledServer } from "./bundled";

/** How to start captionls: `command ...args serve` runs the server, `command ...args vocab import F` imports. */
export interface ServerCommand {
  command: string;
  args: string[];
  /** Where it was found, for the log and error messages. */
  source: "setting" | "bundled" | "python" | "path";
}

/** What discovery is given about the machine. */
export interface Probe {
  /** `captionls.server.path`, "" when unset. */
  settingPath: string;
  /** The interpreter selected in the Python extension, undefined when it is not installed or has none. */
  pythonInterpreter: string | undefined;
  /** The PATH variable's value. */
  pathVariable: string;
  platform: NodeJS.Platform;
  /** PATHEXT on Windows. */
  pathExtensions?: string;
  isExecutableFile(file: string): boolean;
  /** Whether `python -c "import captionls.server.cli"` succeeds. */
  pythonHasCaptionls(python: string): Promise<boolean>;
  /** The server inside the extension (installed on first use), or why it cannot run; absent in tests of the rest. */
  bundledServer?(): Promise<BundledServer>;
}

export type Discovery =
  | { found: true; server: ServerCommand }
  | { found: false; reason: string };

/** Python code that runs the click group, so `python -c CODE serve` works without a console script. */
export const PYTHON_ENTRY = "from captionls.server.cli import main; main()";

export const INSTALL_HINT =
  "Install Python 3.11 or later (the extension's own server runs with it), " +
  "or `pip install captionls` (in the Python interpreter VS Code uses, or anywhere on PATH), " +
  "or set `captionls.server.path` to the `captionls` executable.";

export async function discoverServer(probe: Probe): Promise<Discovery> {
  const setting = probe.settingPath.trim();
  if (setting !== "") {
    // An explicit setting is never silently replaced by another captionls.
    if (probe.isExecutableFile(setting)) {
      return { found: true, server: { command: setting, args: [], source: "setting" } };
    }
    return { found: false, reason: `captionls.server.path is "${setting}", which is not an executable file.` };
  }
  // The bundled server before an installed one: it is the version this extension was built and tested with.
  const bundled = await probe.bundledServer?.();
  if (bundled?.found) {
    return bundled;
  }
  if (probe.pythonInterpreter) {
    const fromPython = await serverOfInterpreter(probe.pythonInterpreter, probe);
    if (fromPython) {
      return { found: true, server: fromPython };
    }
  }
  const onPath = findOnPath("captionls", probe);
  if (onPath) {
    return { found: true, server: { command: onPath, args: [], source: "path" } };
  }
  const why = bundled ? ` (${bundled.reason})` : "";
  return { found: false, reason: `The captionls language server was not found${why}.` };
}

/** The console script beside the interpreter (a venv's bin/), else the interpreter running the CLI module. */
async function serverOfInterpreter(python: string, probe: Probe): Promise<ServerCommand | undefined> {
  const scriptNames = probe.platform === "win32" ? ["captionls.exe", "captionls.cmd"] : ["captionls"];
  const pathModule = probe.platform === "win32" ? path.win32 : path.posix;
  for (const name of scriptNames) {
    const script = pathModule.join(pathModule.dirname(python), name);
    if (probe.isExecutableFile(script)) {
      return { command: script, args: [], source: "python" };
    }
  }
  if (await probe.pythonHasCaptionls(python)) {
    return { command: python, args: ["-c", PYTHON_ENTRY], source: "python" };
  }
  return undefined;
}

/** The first executable `name` in PATH (with PATHEXT extensions on Windows). */
export function findOnPath(name: string, probe: Probe): string | undefined {
  const windows = probe.platform === "win32";
  const pathModule = windows ? path.win32 : path.posix;
  const extensions = windows ? (probe.pathExtensions ?? ".EXE;.CMD;.BAT").split(";").filter((e) => e) : [""];
  for (const folder of probe.pathVariable.split(windows ? ";" : ":")) {
    if (folder === "") {
      continue;
    }
    for (const extension of extensions) {
      const candidate = pathModule.join(folder, name + extension);
      if (probe.isExecutableFile(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}
