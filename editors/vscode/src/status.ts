// The status-bar item: vocabulary size and the dataset's caption count, from the server.
import * as vscode from "vscode";
import { counted } from "./counts";
import { VOCABULARY_INFO, type VocabularyInfo } from "./protocol";
import type { CaptionServer } from "./server";

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("captionls.status", vscode.StatusBarAlignment.Right, 100);
  private pending: NodeJS.Timeout | undefined;

  constructor(private readonly server: CaptionServer) {
    this.item.name = "captionls";
    this.item.command = "captionls.search";
  }

  /** Refreshes soon, once for a burst of triggers (editor switches, saves). */
  refreshSoon(): void {
    clearTimeout(this.pending);
    this.pending = setTimeout(() => void this.refresh(), 300);
  }

  async refresh(): Promise<void> {
    if (!this.server.running) {
      this.item.text = "$(tag) captionls: not running";
      this.item.tooltip = "The captionls server is not running. Run “captionls: Restart server”.";
      this.item.show();
      return;
    }
    const uri = vscode.window.activeTextEditor?.document.uri;
    try {
      const info = await this.server.execute<VocabularyInfo>(VOCABULARY_INFO, {
        uri: uri?.scheme === "file" ? uri.toString() : null,
      });
      this.item.text = `$(tag) ${counted(info.tags, "tag")} · ${counted(info.captions, "caption")}`;
      this.item.tooltip = `Vocabulary ${info.path}: ${counted(info.tags, "tag")}, ${counted(info.aliases, "alias", "aliases")}. Click to search it.`;
    } catch (error) {
      this.item.text = "$(tag) captionls";
      this.item.tooltip = `captionls: ${error instanceof Error ? error.message : String(error)}`;
    }
    this.item.show();
  }

  dispose(): void {
    clearTimeout(this.pending);
    this.item.dispose();
  }
}
