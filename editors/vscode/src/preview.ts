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

/** Opens the active caption's image whenever the active editor changes, while the setting is on. */
export function followActiveCaption(): vscode.Disposable {
  let shown: string | undefined;
  const follow = (editor: vscode.TextEditor | undefined): void => {
    if (!vscode.workspace.getConfiguration("captionls").get<boolean>("preview.follow", false)) {
      shown = undefined;
      return;
    }
    const image = imageOf(editor);
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
