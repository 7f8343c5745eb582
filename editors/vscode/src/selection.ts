// The server's selection commands (server/lsp/features/selection.py) as the tags view and the gallery call them.

export const TAGS_LIST = "captionls.tagsList";
export const TAGS_ADD = "captionls.tagsAdd";
export const TAGS_REMOVE = "captionls.tagsRemove";
export const CAPTIONS_LIST = "captionls.captionsList";

export interface TagCount {
  /** The tag as the dataset writes it. */
  tag: string;
  /** Selected captions that have it. */
  captions: number;
}

export interface TagsListed {
  captions: number;
  tags: TagCount[];
}

export interface ListedCaption {
  uri: string;
  text: string;
  /** With `findings: true` in the request. */
  findings?: number;
}

export interface CaptionsListed {
  captions: ListedCaption[];
}

/** What tagsAdd and tagsRemove answer: how many captions the edit changed, and whether the editor applied it. */
export interface EditResult {
  captions: number;
  applied?: boolean;
}

/** A tag as a term of the selection language: quoted, so spaces, parentheses and keywords stay one tag. */
export function tagTerm(tag: string): string {
  return `"${tag.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Captions matching `where` (empty: every caption) and having `tag`. */
export function whereWithTag(where: string, tag: string): string {
  return where.trim() === "" ? tagTerm(tag) : `(${where}) AND ${tagTerm(tag)}`;
}

/** The comparison key of a tag as written in a caption: case, `_`/space and escapes do not matter. */
export function tagKey(written: string): string {
  return written
    .replace(/\\([()])/g, "$1")
    .replace(/_/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .toLowerCase();
}

/** The [start, end) offsets of the first tag in `line` that is `tag` once normalised, or undefined. */
export function findTag(line: string, tag: string, separator = ","): [number, number] | undefined {
  const wanted = tagKey(tag);
  let start = 0;
  for (const part of line.split(separator)) {
    const lead = part.length - part.trimStart().length;
    if (tagKey(part) === wanted) {
      return [start + lead, start + lead + part.trim().length];
    }
    start += part.length + separator.length;
  }
  return undefined;
}
