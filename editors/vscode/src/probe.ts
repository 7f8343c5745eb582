// What server discovery asks the machine: real files and a real Python, no VS Code.
import * as childProcess from "node:child_process";
import * as fs from "node:fs";

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
