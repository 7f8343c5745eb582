// The image beside the caption: "Show image", and `captionls.preview.follow` keeping it open in the
// side column while the user moves through captions.
import * as vscode from "vscode";
import { imageBeside } from "./image";

const CAPTION_LANGUAGES = new Set(["plaintext", "caption"]);

function imageOf(editor: vscode.TextEditor | undefined): vscode.Uri | undefined {
  const document = editor?.document;
  if (!document || document.uri.scheme !== "file" || !CAPTION_LANGUAGES.has(document.languageId)) {
    return undefined;
  }
  const image = imageBeside(document.uri.fsPath);
  return image ? vscode.Uri.file(image) : undefined;
}

async function openBeside(image: vscode.Uri): Promise<void> {
  // preserveFocus keeps typing in the caption; preview reuses one tab as the user moves on.
  await vscode.commands.executeCommand("vscode.open", image, {
    viewColumn: vscode.ViewColumn.Beside,
    preserveFocus: true,
    preview: true,
  });
}

export async function showImage(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const image = imageOf(editor);
  if (!image) {
    const name = editor ? vscode.workspace.asRelativePath(editor.document.uri) : "this editor";
    void vscode.window.showInformationMessage(`captionls: no image beside ${name}.`);
    return;
  }
  await openBeside(image);
}

/**
 * Tracks the active editor: sets the `captionls.hasImage` context (the Show image button) and, while
 * `captionls.preview.follow` is on, opens the active caption's image beside it.
 */
export function followActiveCaption(): vscode.Disposable {
  let shown: string | undefined;
  const follow = (editor: vscode.TextEditor | undefined): void => {
    const image = imageOf(editor);
    void vscode.commands.executeCommand("setContext", "captionls.hasImage", image !== undefined);
    if (!vscode.workspace.getConfiguration("captionls").get<boolean>("preview.follow", false)) {
      shown = undefined;
      return;
    }
    if (image && image.toString() !== shown) {
      shown = image.toString();
      void openBeside(image);
    }
  };
  follow(vscode.window.activeTextEditor);
  return vscode.Disposable.from(
    vscode.window.onDidChangeActiveTextEditor(follow),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("captionls.preview.follow")) {
        follow(vscode.window.activeTextEditor);
      }
    }),
  );
}
