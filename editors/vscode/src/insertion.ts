// Where a tag picked in "Search vocabulary" goes: at the cursor, with a separator on each side when the
// neighbouring text needs one, so the caption stays `a, b, c`.

export interface Insertion {
  text: string;
}

/**
 * The text to insert between `before` (the line up to the cursor) and `after` (the rest of the line).
 * An empty slot (after `, ` or at the start) gets the bare tag; after a tag it gets `, tag`; before a tag `tag, `.
 */
export function tagInsertion(before: string, after: string, tag: string, separator = ","): Insertion {
  const head = before.trimEnd();
  const tail = after.trimStart();
  let text = tag;
  if (head !== "" && !head.endsWith(separator)) {
    text = `${separator} ${text}`;
  } else if (head !== "" && before === head) {
    text = ` ${text}`;
  }
  if (tail !== "" && !tail.startsWith(separator)) {
    text = `${text}${separator} `;
  }
  return { text };
}
