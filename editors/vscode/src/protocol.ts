// The server's workspace/executeCommand commands the extension calls (README: "The language server", Commands).

export const SEARCH_VOCABULARY = "captionls.searchVocabulary";
export const CHECK_DATASET = "captionls.checkDataset";
export const VOCABULARY_INFO = "captionls.vocabularyInfo";
export const RELOAD_VOCABULARY = "captionls.reloadVocabulary";

export interface SearchHit {
  /** Canonical tag, display form. */
  tag: string;
  /** What to insert, in the dataset's tag style. */
  insert: string;
  /** The alias that matched, when the match was through one. */
  alias: string | null;
  category: string | null;
  posts: number;
  captions: number;
}

export interface CheckSummary {
  /** Captions checked (each once, nested datasets too). */
  captions: number;
  /** Every diagnostic the server delivered for them. */
  findings: number;
  /** Those a problem list shows: errors, warnings, information. */
  problems: number;
  /** Hint diagnostics: marked in the editor, left out of VS Code's Problems panel. */
  hints: number;
  captionsWithProblems: number;
  /** Set when the check stopped early (a huge workspace). */
  message?: string;
}

export interface VocabularyInfo {
  tags: number;
  aliases: number;
  path: string;
  captions: number;
}
