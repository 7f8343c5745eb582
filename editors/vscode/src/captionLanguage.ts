// `.txt` captions (a text file with an image of the same name beside it, as "Show image" decides) get the
// `caption` language, so the `[caption]` defaults of package.json (word wrap: a caption is one long line)
// apply to them as to `.caption` files. Any other text file stays plain text.
import * as vscode from "vscode";
import { imageBeside } from "./image";

export const CAPTION_LANGUAGE = "caption";

function isTextCaption(document: vscode.TextDocument): boolean {
  return (
    document.languageId === "plaintext" &&
    document.uri.scheme === "file" &&
    imageBeside(document.uri.fsPath) !== undefined
  );
}

export function textCaptionsAsCaptions(): vscode.Disposable {
  // A caption the user set back to plain text stays plain text for the rest of the session. VS Code
  // reports a language change as the document closing and at once opening again with the new language.
  const switched = new Set<string>();
  const closing = new Set<string>();
  const keptPlain = new Set<string>();
  const adopt = (document: vscode.TextDocument): void => {
    const uri = document.uri.toString();
    if (document.languageId === "plaintext" && closing.has(uri) && switched.has(uri)) {
      keptPlain.add(uri);
    }
    if (!keptPlain.has(uri) && isTextCaption(document)) {
      switched.add(uri);
      void vscode.languages.setTextDocumentLanguage(document, CAPTION_LANGUAGE);
    }
  };
  vscode.workspace.textDocuments.forEach(adopt);
  return vscode.Disposable.from(
    vscode.workspace.onDidOpenTextDocument(adopt),
    vscode.workspace.onDidCloseTextDocument((document) => {
      const uri = document.uri.toString();
      closing.add(uri);
      setTimeout(() => closing.delete(uri), 0);
    }),
  );
}
