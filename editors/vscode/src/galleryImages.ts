// The images beside many captions at once, for the gallery: one directory read per folder, not per caption
// (a 5,000-image folder read 5,000 times would take seconds).
import * as fs from "node:fs";
import * as path from "node:path";
import { IMAGE_EXTENSIONS } from "./image";

/** Each caption path's image beside it (same stem, an image extension in IMAGE_EXTENSIONS order), when it has one. */
export function imagesBeside(captionPaths: readonly string[]): Map<string, string> {
  const byFolder = new Map<string, string[]>();
  for (const captionPath of captionPaths) {
    const folder = path.dirname(captionPath);
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), captionPath]);
  }
  const images = new Map<string, string>();
  for (const [folder, captions] of byFolder) {
    let names: string[];
    try {
      names = fs.readdirSync(folder);
    } catch {
      continue;
    }
    // stem -> (lower-cased extension -> file name)
    const byStem = new Map<string, Map<string, string>>();
    for (const name of names) {
      const extension = path.extname(name);
      const lowered = extension.toLowerCase();
      if (!IMAGE_EXTENSIONS.includes(lowered)) {
        continue;
      }
      const stem = path.basename(name, extension);
      const found = byStem.get(stem) ?? new Map<string, string>();
      found.set(lowered, name);
      byStem.set(stem, found);
    }
    for (const captionPath of captions) {
      const found = byStem.get(path.basename(captionPath, path.extname(captionPath)));
      const extension = found && IMAGE_EXTENSIONS.find((candidate) => found.has(candidate));
      if (found && extension) {
        images.set(captionPath, path.join(folder, found.get(extension) ?? ""));
      }
    }
  }
  return images;
}
