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
  captions: number;
  findings: number;
}

export interface VocabularyInfo {
  tags: number;
  aliases: number;
  path: string;
  captions: number;
}
