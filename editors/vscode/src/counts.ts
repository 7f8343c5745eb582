// Counts in words: `1 caption`, `2 captions`, and the summary "Check dataset" shows.
import type { CheckSummary } from "./protocol";

/** A count with its noun, singular for one. */
export function counted(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count.toLocaleString("en")} ${count === 1 ? noun : nouns}`;
}

/**
 * What "Check dataset" found, counted as the Problems panel shows it: errors, warnings and information;
 * hints (likely typos, tag order) are marked in the editor only, so they are counted apart.
 */
export function checkMessage(summary: CheckSummary): string {
  const problems = counted(summary.problems, "problem");
  const where = counted(summary.captionsWithProblems, "caption");
  const found =
    summary.problems === 0
      ? `no problems in ${counted(summary.captions, "caption")}`
      : `${problems} in ${where} of ${summary.captions.toLocaleString("en")} checked`;
  const hints = summary.hints > 0 ? `; ${counted(summary.hints, "hint")} marked in the editor only` : "";
  return `captionls: ${found}${hints}.`;
}
