// The "All tags" view: the dataset's tags with their caption counts (captionls.tagsList) inside the view's
// `where` selection, sorted by count or name. A click inserts the tag at the cursor of the active caption;
// the context menu adds it to or removes it from every selected caption, renames it, lists its captions.
import * as vscode from "vscode";
import { tagInsertion } from "./insertion";
import {
  CAPTIONS_LIST,
  type CaptionsListed,
  type EditResult,
  findTag,
  TAGS_ADD,
  TAGS_LIST,
  TAGS_REMOVE,
  type TagCount,
  type TagsListed,
  whereWithTag,
} from "./selection";
import type { CaptionServer } from "./server";

export const TAGS_VIEW = "captionls.tags";
const SORT_CONTEXT = "captionls.tags.sortedByName";
const FILTER_CONTEXT = "captionls.tags.filtered";
/** Edits in the editor change counts; refresh once typing pauses rather than on every keystroke. */
const REFRESH_DELAY_MS = 800;

type Sort = "count" | "name";

class TagsProvider implements vscode.TreeDataProvider<TagCount> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  where = "";
  sort: Sort = "count";
  /** The last answer: the view's description shows its caption count. */
  listed: TagsListed | undefined;
  error: string | undefined;

  constructor(
    private readonly server: CaptionServer,
    /** Called after each listing, so the view's description and message follow it. */
    private readonly listedNow: () => void,
  ) {}

  refresh(): void {
    this.changed.fire();
  }

  getTreeItem(row: TagCount): vscode.TreeItem {
    const item = new vscode.TreeItem(row.tag, vscode.TreeItemCollapsibleState.None);
    item.description = String(row.captions);
    item.tooltip = `${row.tag}: in ${row.captions} of ${this.listed?.captions ?? "?"} captions. Click to insert it at the cursor.`;
    item.contextValue = "tag";
    item.iconPath = new vscode.ThemeIcon("tag");
    item.command = { command: "captionls.tags.insert", title: "Insert at cursor", arguments: [row] };
    return item;
  }

  async getChildren(parent?: TagCount): Promise<TagCount[]> {
    if (parent) {
      return [];
    }
    try {
      const listed = await this.server.execute<TagsListed>(TAGS_LIST, { where: this.where });
      this.listed = listed;
      this.error = undefined;
      const rows = [...listed.tags];
      if (this.sort === "name") {
        rows.sort((a, b) => a.tag.localeCompare(b.tag));
      }
      return rows;
    } catch (error) {
      this.listed = undefined;
      this.error = error instanceof Error ? error.message : String(error);
      return [];
    } finally {
      // After the answer reaches the tree: a message set while the tree is still loading is not shown.
      setTimeout(this.listedNow, 0);
    }
  }
}

/** The active caption editor, or the visible one when focus is in the side bar. */
function captionEditor(): vscode.TextEditor | undefined {
  return (
    vscode.window.activeTextEditor ??
    vscode.window.visibleTextEditors.find((editor) => editor.document.uri.scheme === "file")
  );
}

async function insertTag(row: TagCount): Promise<void> {
  const editor = captionEditor();
  if (!editor) {
    void vscode.window.showInformationMessage("captionls: open a caption to insert a tag into it.");
    return;
  }
  await editor.edit((edit) => {
    for (const selection of editor.selections) {
      const line = editor.document.lineAt(selection.active.line).text;
      const column = selection.active.character;
      edit.insert(selection.active, tagInsertion(line.slice(0, column), line.slice(column), row.tag).text);
    }
  });
  // Back to the caption, so typing goes on where the tag went in.
  await vscode.window.showTextDocument(editor.document, editor.viewColumn);
}

/** Captions of the view's selection that have the tag, as URIs. */
async function captionsWith(server: CaptionServer, where: string, tag: string): Promise<CaptionsListed> {
  return server.execute<CaptionsListed>(CAPTIONS_LIST, { where: whereWithTag(where, tag) });
}

async function showCaptions(server: CaptionServer, where: string, row: TagCount): Promise<void> {
  const listed = await captionsWith(server, where, row.tag);
  const picked = await vscode.window.showQuickPick(
    listed.captions.map((caption) => ({
      label: vscode.workspace.asRelativePath(vscode.Uri.parse(caption.uri)),
      detail: caption.text.trim(),
      uri: caption.uri,
    })),
    { title: `Captions with “${row.tag}” (${listed.captions.length})`, matchOnDetail: true },
  );
  if (picked) {
    await openAtTag(vscode.Uri.parse(picked.uri), row.tag);
  }
}

/** Opens a caption with the cursor on the tag; true when the tag was found. */
async function openAtTag(uri: vscode.Uri, tag: string): Promise<boolean> {
  const editor = await vscode.window.showTextDocument(uri);
  for (let line = 0; line < editor.document.lineCount; line++) {
    const found = findTag(editor.document.lineAt(line).text, tag);
    if (found) {
      const range = new vscode.Range(line, found[0], line, found[1]);
      editor.selection = new vscode.Selection(range.start, range.end);
      editor.revealRange(range);
      return true;
    }
  }
  return false;
}

/** Rename through the server's rename provider (dataset-wide), from one caption that has the tag. */
async function renameTag(server: CaptionServer, row: TagCount): Promise<void> {
  const listed = await captionsWith(server, "", row.tag);
  const first = listed.captions[0];
  if (!first || !(await openAtTag(vscode.Uri.parse(first.uri), row.tag))) {
    void vscode.window.showInformationMessage(`captionls: no caption writes “${row.tag}” to rename it from.`);
    return;
  }
  await vscode.commands.executeCommand("editor.action.rename");
}

async function editSelection(
  server: CaptionServer,
  provider: TagsProvider,
  command: typeof TAGS_ADD | typeof TAGS_REMOVE,
  row: TagCount,
): Promise<void> {
  const result = await server.execute<EditResult>(command, { tags: [row.tag], where: provider.where });
  const verb = command === TAGS_ADD ? "added to" : "removed from";
  const captions = `${result.captions} caption${result.captions === 1 ? "" : "s"}`;
  const scope = provider.where ? `${captions} matching ${provider.where}` : captions;
  const outcome = result.applied === false ? " (the editor did not apply it)" : "";
  void vscode.window.showInformationMessage(`captionls: “${row.tag}” ${verb} ${scope}${outcome}.`);
  provider.refresh();
}

function failing<T extends unknown[]>(what: string, run: (...args: T) => Promise<void>): (...args: T) => Promise<void> {
  return async (...args: T) => {
    try {
      await run(...args);
    } catch (error) {
      void vscode.window.showErrorMessage(
        `captionls: ${what}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };
}

export function registerTagsView(server: CaptionServer): vscode.Disposable {
  const describe = (): void => {
    // The message line above the tree: a single view's title bar has no room for a description.
    const listed = provider.listed;
    const counts = listed ? `${listed.tags.length} tags in ${listed.captions} captions` : "";
    view.message = provider.error
      ? `captionls: ${provider.error}`
      : [provider.where ? `where ${provider.where}` : "", counts].filter((part) => part).join(": ");
  };
  const provider = new TagsProvider(server, describe);
  const view = vscode.window.createTreeView(TAGS_VIEW, { treeDataProvider: provider, showCollapseAll: false });
  let pending: NodeJS.Timeout | undefined;
  const refreshSoon = (): void => {
    clearTimeout(pending);
    pending = setTimeout(() => view.visible && provider.refresh(), REFRESH_DELAY_MS);
  };
  const setSort = (sort: Sort): void => {
    provider.sort = sort;
    void vscode.commands.executeCommand("setContext", SORT_CONTEXT, sort === "name");
    provider.refresh();
  };
  const setWhere = (where: string): void => {
    provider.where = where;
    void vscode.commands.executeCommand("setContext", FILTER_CONTEXT, where !== "");
    provider.refresh();
  };
  return vscode.Disposable.from(
    view,
    view.onDidChangeVisibility(() => view.visible && provider.refresh()),
    server.onDidChange(() => provider.refresh()),
    vscode.workspace.onDidChangeTextDocument((event) => event.contentChanges.length > 0 && refreshSoon()),
    vscode.workspace.onDidSaveTextDocument(refreshSoon),
    { dispose: () => clearTimeout(pending) },
    vscode.commands.registerCommand("captionls.tags.refresh", () => provider.refresh()),
    vscode.commands.registerCommand("captionls.tags.sortByName", () => setSort("name")),
    vscode.commands.registerCommand("captionls.tags.sortByCount", () => setSort("count")),
    vscode.commands.registerCommand("captionls.tags.filter", async () => {
      const where = await vscode.window.showInputBox({
        title: "Filter the tags to captions matching a query",
        prompt: 'Tags, AND, OR, NOT, parentheses, "quoted tags", tags<N, rule:NAME, path:GLOB. Empty: every caption.',
        value: provider.where,
        placeHolder: '"long hair" AND NOT smile',
      });
      if (where !== undefined) {
        setWhere(where.trim());
      }
    }),
    vscode.commands.registerCommand("captionls.tags.clearFilter", () => setWhere("")),
    vscode.commands.registerCommand("captionls.tags.insert", failing("Insert tag", insertTag)),
    vscode.commands.registerCommand(
      "captionls.tags.addToSelection",
      failing("Add to captions", (row: TagCount) => editSelection(server, provider, TAGS_ADD, row)),
    ),
    vscode.commands.registerCommand(
      "captionls.tags.removeFromSelection",
      failing("Remove from captions", (row: TagCount) => editSelection(server, provider, TAGS_REMOVE, row)),
    ),
    vscode.commands.registerCommand(
      "captionls.tags.rename",
      failing("Rename tag", (row: TagCount) => renameTag(server, row)),
    ),
    vscode.commands.registerCommand(
      "captionls.tags.showCaptions",
      failing("Show captions", (row: TagCount) => showCaptions(server, provider.where, row)),
    ),
  );
}
