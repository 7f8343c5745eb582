// The image a caption describes: `foo.txt` or `foo.caption` -> `foo.png` (or another image type) beside it.
import * as fs from "node:fs";
import * as path from "node:path";

/** Image extensions in lookup order (the ones captionls' dataset scan treats as a caption's picture). */
export const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".avif", ".jxl"];

/** The image beside `captionPath`, matching the extension case-insensitively, or undefined. */
export function imageBeside(captionPath: string): string | undefined {
  const folder = path.dirname(captionPath);
  const stem = path.basename(captionPath, path.extname(captionPath));
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return undefined;
  }
  const candidates = new Map<string, string>();
  for (const name of names) {
    const extension = path.extname(name);
    if (path.basename(name, extension) === stem) {
      candidates.set(extension.toLowerCase(), name);
    }
  }
  for (const extension of IMAGE_EXTENSIONS) {
    const name = candidates.get(extension);
    if (name !== undefined) {
      return path.join(folder, name);
    }
  }
  return undefined;
}
