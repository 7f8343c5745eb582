// What `captionls vocab import --json` prints, one report per file, and the counts the user is told.
import { counted } from "./counts";

/** The list completion, hover and search rank first (the server's PERSONAL_LIST). */
export const PERSONAL_LIST = "personal";

export interface ImportReport {
  file: string;
  format: string;
  tags: number;
  aliases: number;
  translations: number;
  skipped: number;
  skipped_lines: Record<string, { count: number; first: string }>;
}

/** "12 tags added or changed, 3 aliases, 2 bad lines skipped" over all files (translations when there are any). */
export function importCounts(reports: ImportReport[]): string {
  const total = (key: "tags" | "aliases" | "translations" | "skipped"): number =>
    reports.reduce((sum, report) => sum + report[key], 0);
  const parts = [
    counted(total("tags"), "tag") + " added or changed",
    counted(total("aliases"), "alias", "aliases"),
  ];
  if (total("translations") > 0) {
    parts.push(counted(total("translations"), "translation"));
  }
  if (total("skipped") > 0) {
    parts.push(counted(total("skipped"), "bad line") + " skipped");
  }
  return parts.join(", ");
}
