// captionls for VS Code: starts the language server and adds the captioning commands around it.
import * as vscode from "vscode";
import { textCaptionsAsCaptions } from "./captionLanguage";
import { checkDataset, importVocabulary, searchVocabulary } from "./commands";
import { registerGallery } from "./gallery";
import { followActiveCaption, showImage } from "./preview";
import { CaptionServer } from "./server";
import { StatusItem } from "./status";
import { registerTagsView } from "./tagsView";

let server: CaptionServer | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("captionls");
  const traceOutput = vscode.window.createOutputChannel("captionls (trace)");
  const captionServer = new CaptionServer(output, traceOutput, {
    bundleDir: context.asAbsolutePath("bundled"),
    storageDir: vscode.Uri.joinPath(context.globalStorageUri, "server").fsPath,
  });
  server = captionServer;
  const status = new StatusItem(captionServer);
  context.subscriptions.push(
    output,
    traceOutput,
    captionServer,
    status,
    captionServer.onDidChange(() => status.refreshSoon()),
    vscode.window.onDidChangeActiveTextEditor(() => status.refreshSoon()),
    vscode.workspace.onDidSaveTextDocument(() => status.refreshSoon()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("captionls.server.path") && captionServer.serverPathChanged()) {
        void captionServer.restart("captionls.server.path changed");
      } else if (event.affectsConfiguration("captionls")) {
        void captionServer.settingsChanged().then(() => status.refreshSoon());
      }
    }),
    vscode.commands.registerCommand("captionls.restartServer", () => captionServer.restart("Restart server")),
    vscode.commands.registerCommand("captionls.showImage", showImage),
    vscode.commands.registerCommand("captionls.check", async () => {
      await checkDataset(captionServer);
      status.refreshSoon();
    }),
    vscode.commands.registerCommand("captionls.search", () => searchVocabulary(captionServer)),
    vscode.commands.registerCommand("captionls.importVocabulary", async () => {
      await importVocabulary(captionServer, output);
      status.refreshSoon();
    }),
    followActiveCaption(),
    textCaptionsAsCaptions(),
    registerTagsView(captionServer),
    registerGallery(captionServer, context.extensionUri),
  );
  await captionServer.start();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
