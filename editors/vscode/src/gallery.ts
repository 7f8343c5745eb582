// "captionls: Open dataset gallery": a webview of the dataset's thumbnails with their captions and finding
// counts, a `where` query box, multi-select, and "add tag / remove tag" on the selected captions
// (captionls.tagsAdd / tagsRemove with `paths`). The caption list comes in one message; media/gallery.js
// keeps only the visible rows of the grid in the page, so thumbnails are fetched and decoded as they scroll in,
// and asks for the finding counts of those cards only.
import * as crypto from "node:crypto";
import * as vscode from "vscode";
import { imagesBeside } from "./galleryImages";
import { CAPTIONS_LIST, type CaptionsListed, type EditResult, TAGS_ADD, TAGS_REMOVE } from "./selection";
import type { CaptionServer } from "./server";

export const GALLERY_VIEW_TYPE = "captionls.gallery";

/** One card of the gallery, as the page gets it. */
export interface GalleryCaption {
  uri: string;
  name: string;
  text: string;
  /** The image's webview URI, or null when the caption has none. */
  image: string | null;
}

/** Messages from the page. */
type FromPage =
  | { type: "ready" }
  | { type: "query"; where: string }
  | { type: "findings"; uris: string[] }
  | { type: "open"; uri: string }
  | { type: "edit"; action: "add" | "remove"; tag: string; uris: string[] };

/** Messages to the page. */
type ToPage =
  | { type: "captions"; where: string; captions: GalleryCaption[] }
  | { type: "findings"; counts: Record<string, number> }
  | { type: "error"; message: string }
  | { type: "edited"; message: string };

class Gallery {
  private where = "";
  private refreshing: NodeJS.Timeout | undefined;

  constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly server: CaptionServer,
    private readonly extensionUri: vscode.Uri,
  ) {
    panel.webview.html = this.html();
    panel.webview.onDidReceiveMessage((message: FromPage) => void this.receive(message));
  }

  private post(message: ToPage): void {
    void this.panel.webview.postMessage(message);
  }

  async list(): Promise<void> {
    try {
      const listed = await this.server.execute<CaptionsListed>(CAPTIONS_LIST, { where: this.where });
      const paths = listed.captions.map((caption) => vscode.Uri.parse(caption.uri).fsPath);
      const images = imagesBeside(paths);
      const webview = this.panel.webview;
      const captions = listed.captions.map((caption, index): GalleryCaption => {
        const image = images.get(paths[index]);
        return {
          uri: caption.uri,
          name: vscode.workspace.asRelativePath(vscode.Uri.parse(caption.uri)),
          text: caption.text,
          image: image ? webview.asWebviewUri(vscode.Uri.file(image)).toString() : null,
        };
      });
      this.post({ type: "captions", where: this.where, captions });
    } catch (error) {
      this.post({ type: "error", message: error instanceof Error ? error.message : String(error) });
    }
  }

  /** After edits to captions, once they settle. */
  refreshSoon(): void {
    clearTimeout(this.refreshing);
    this.refreshing = setTimeout(() => void this.list(), 800);
  }

  dispose(): void {
    clearTimeout(this.refreshing);
  }

  private async receive(message: FromPage): Promise<void> {
    if (message.type === "ready") {
      await this.list();
    } else if (message.type === "query") {
      this.where = message.where.trim();
      await this.list();
    } else if (message.type === "findings") {
      await this.countFindings(message.uris);
    } else if (message.type === "open") {
      await openWithImage(vscode.Uri.parse(message.uri));
    } else if (message.type === "edit") {
      await this.edit(message.action, message.tag.trim(), message.uris);
    }
  }

  /** The finding counts of the captions the page shows now (a check each, so never all 5,000 at once). */
  private async countFindings(uris: string[]): Promise<void> {
    try {
      const listed = await this.server.execute<CaptionsListed>(CAPTIONS_LIST, { paths: uris, findings: true });
      const counts = Object.fromEntries(listed.captions.map((caption) => [caption.uri, caption.findings ?? 0]));
      this.post({ type: "findings", counts });
    } catch (error) {
      this.post({ type: "error", message: error instanceof Error ? error.message : String(error) });
    }
  }

  private async edit(action: "add" | "remove", tag: string, uris: string[]): Promise<void> {
    if (tag === "" || uris.length === 0) {
      return;
    }
    try {
      const command = action === "add" ? TAGS_ADD : TAGS_REMOVE;
      // `paths` alone: exactly the selected captions, whatever the query now shows.
      const result = await this.server.execute<EditResult>(command, { tags: [tag], paths: uris });
      const verb = action === "add" ? "added to" : "removed from";
      const outcome = result.applied === false ? " (the editor did not apply it)" : "";
      this.post({
        type: "edited",
        message: `“${tag}” ${verb} ${result.captions} of ${uris.length} selected captions${outcome}.`,
      });
      await this.list();
    } catch (error) {
      this.post({ type: "error", message: error instanceof Error ? error.message : String(error) });
    }
  }

  private html(): string {
    const webview = this.panel.webview;
    const media = (name: string): vscode.Uri =>
      webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "media", name));
    const nonce = crypto.randomBytes(16).toString("base64");
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource}`,
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join("; ");
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${media("gallery.css").toString()}">
<title>Dataset</title>
</head>
<body>
<header>
  <form id="query-form">
    <input id="where" type="search" placeholder='where: "long hair" AND NOT smile' aria-label="where query" spellcheck="false">
    <button type="submit">Filter</button>
  </form>
  <span id="count" aria-live="polite"></span>
  <span class="spacer"></span>
  <button id="select-all" type="button">Select all</button>
  <button id="select-none" type="button">Clear</button>
  <form id="tag-form">
    <input id="tag" type="text" placeholder="tag" aria-label="tag" spellcheck="false">
    <button id="add" type="submit">Add to selected</button>
    <button id="remove" type="button">Remove from selected</button>
  </form>
</header>
<div id="status" role="status"></div>
<main id="scroller"><div id="grid"></div></main>
<script nonce="${nonce}" src="${media("gallery.js").toString()}"></script>
</body>
</html>`;
  }
}

/** Opens a caption and its image beside it (the editor's "Show image"). */
async function openWithImage(uri: vscode.Uri): Promise<void> {
  await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.Beside, preview: true });
  await vscode.commands.executeCommand("captionls.showImage");
}

export function registerGallery(server: CaptionServer, extensionUri: vscode.Uri): vscode.Disposable {
  let open: { panel: vscode.WebviewPanel; gallery: Gallery } | undefined;
  return vscode.Disposable.from(
    vscode.commands.registerCommand("captionls.openGallery", () => {
      if (open) {
        open.panel.reveal();
        return;
      }
      const folders = (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri);
      const panel = vscode.window.createWebviewPanel(GALLERY_VIEW_TYPE, "Dataset", vscode.ViewColumn.Active, {
        enableScripts: true,
        // The page keeps its query, selection and scroll position while it is in a background tab.
        retainContextWhenHidden: true,
        localResourceRoots: [vscode.Uri.joinPath(extensionUri, "media"), ...folders],
      });
      const gallery = new Gallery(panel, server, extensionUri);
      open = { panel, gallery };
      panel.onDidDispose(() => {
        gallery.dispose();
        open = undefined;
      });
    }),
    vscode.workspace.onDidSaveTextDocument(() => open?.gallery.refreshSoon()),
    { dispose: () => open?.panel.dispose() },
  );
}
