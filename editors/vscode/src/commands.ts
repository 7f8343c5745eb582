// The commands that call the server: Check dataset, Search vocabulary, Import vocabulary file (the CLI).
import * as childProcess from "node:child_process";
import * as path from "node:path";
import * as vscode from "vscode";
import { checkMessage, counted } from "./counts";
import type { ServerCommand } from "./discovery";
import { importCounts, type ImportReport, PERSONAL_LIST } from "./importReport";
import { tagInsertion } from "./insertion";
import {
  CHECK_DATASET,
  type CheckSummary,
  RELOAD_VOCABULARY,
  SEARCH_VOCABULARY,
  type SearchHit,
} from "./protocol";
import { type CaptionServer, settingsFor } from "./server";

const SEARCH_LIMIT = 50;

function failed(what: string, error: unknown): void {
  void vscode.window.showErrorMessage(`captionls: ${what}: ${error instanceof Error ? error.message : String(error)}`);
}

export async function checkDataset(server: CaptionServer): Promise<void> {
  try {
    const summary = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "captionls: checking the dataset" },
      () => server.execute<CheckSummary>(CHECK_DATASET, { uri: null }),
    );
    await vscode.commands.executeCommand("workbench.actions.view.problems");
    const listAll = "List all in a terminal";
    void vscode.window
      .showInformationMessage(checkMessage(summary), listAll)
      .then((choice) => choice === listAll && checkInTerminal(server));
  } catch (error) {
    failed("Check dataset failed", error);
  }
}

/**
 * `captionls check` over the workspace folders in a terminal: every finding of every caption, open or
 * not, as `path:line:col` lines the terminal links to the captions. A pseudoterminal runs the process, so
 * the output stays when check exits 1 (it does whenever there are warnings).
 */
function checkInTerminal(server: CaptionServer): void {
  const executable = server.command;
  const folders = vscode.workspace.workspaceFolders?.map((folder) => folder.uri.fsPath) ?? [];
  if (!executable || folders.length === 0) {
    return;
  }
  const vocabulary = settingsFor(vscode.workspace.workspaceFolders?.[0]?.uri).vocabulary;
  const write = new vscode.EventEmitter<string>();
  let child: childProcess.ChildProcessWithoutNullStreams | undefined;
  const terminal = vscode.window.createTerminal({
    name: "captionls check",
    pty: {
      onDidWrite: write.event,
      open: () => {
        const running = childProcess.spawn(executable.command, [...executable.args, "check", ...folders], {
          env: vocabulary ? { ...process.env, CAPTIONLS_DB: vocabulary } : process.env,
        });
        child = running;
        const show = (chunk: Buffer): void => write.fire(chunk.toString().replace(/\r?\n/g, "\r\n"));
        running.stdin.end();
        running.stdout.on("data", show);
        running.stderr.on("data", show);
        running.on("error", (error) => write.fire(`${String(error)}\r\n`));
        running.on("close", (code) => write.fire(`\r\n[captionls check exited with ${code}]\r\n`));
      },
      // Closing the terminal stops a check still running.
      close: () => {
        child?.kill();
        write.dispose();
      },
    },
  });
  terminal.show();
}

interface HitItem extends vscode.QuickPickItem {
  hit: SearchHit;
}

function itemOf(hit: SearchHit): HitItem {
  const facts = [
    hit.category,
    counted(hit.posts, "post"),
    hit.captions > 0 ? `in ${counted(hit.captions, "caption")}` : undefined,
  ];
  return {
    // What goes into the caption (the dataset's tag style), then what matched when it was an alias.
    label: hit.insert,
    description: hit.alias ? `← ${hit.alias}` : undefined,
    detail: facts.filter((fact) => fact).join(" · "),
    // The server's ranking (aliases, typos, multi-word) decides; VS Code's label filter must not hide hits.
    alwaysShow: true,
    hit,
  };
}

/** A quick pick over the server's ranked search; the picked tag goes in at the cursor. */
export async function searchVocabulary(server: CaptionServer): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const picker = vscode.window.createQuickPick<HitItem>();
  picker.placeholder = "Search the vocabulary (tags, aliases, typos welcome)";
  picker.matchOnDescription = true;
  let generation = 0;
  const search = async (query: string): Promise<void> => {
    const mine = ++generation;
    if (query.trim() === "") {
      picker.items = [];
      return;
    }
    picker.busy = true;
    try {
      const hits = await server.execute<SearchHit[]>(SEARCH_VOCABULARY, {
        query,
        uri: editor?.document.uri.toString() ?? null,
        limit: SEARCH_LIMIT,
      });
      if (mine === generation) {
        picker.items = hits.map(itemOf);
      }
    } catch (error) {
      if (mine === generation) {
        picker.items = [];
        picker.title = `captionls: ${error instanceof Error ? error.message : String(error)}`;
      }
    } finally {
      if (mine === generation) {
        picker.busy = false;
      }
    }
  };
  picker.onDidChangeValue((value) => void search(value));
  const picked = new Promise<HitItem | undefined>((resolve) => {
    picker.onDidAccept(() => resolve(picker.selectedItems[0]));
    picker.onDidHide(() => resolve(undefined));
  });
  if (editor && !editor.selection.isEmpty) {
    picker.value = editor.document.getText(editor.selection);
    void search(picker.value);
  }
  picker.show();
  const choice = await picked;
  picker.dispose();
  if (!choice) {
    return;
  }
  if (!editor) {
    await vscode.env.clipboard.writeText(choice.hit.insert);
    void vscode.window.showInformationMessage(`captionls: copied “${choice.hit.insert}”.`);
    return;
  }
  await editor.edit((edit) => {
    for (const selection of editor.selections) {
      if (!selection.isEmpty) {
        edit.replace(selection, choice.hit.insert);
        continue;
      }
      const line = editor.document.lineAt(selection.active.line).text;
      const column = selection.active.character;
      edit.insert(selection.active, tagInsertion(line.slice(0, column), line.slice(column), choice.hit.insert).text);
    }
  });
}

interface ListItem extends vscode.QuickPickItem {
  /** The list to put the tags into; undefined: the vocabulary only; NEW_LIST: ask for a name. */
  list: string | undefined;
}

const NEW_LIST = "\0new";

/**
 * Which list the imported tags go into. A list.tag is someone's own tag list, so its tags go into the
 * personal list (the one completion, hover and search rank first) unless the user picks otherwise; a
 * tagcomplete CSV or a translation file adds to the vocabulary only.
 */
async function pickList(file: vscode.Uri, existing: string[]): Promise<ListItem | undefined> {
  const personal: ListItem = {
    label: PERSONAL_LIST,
    description: "ranked first by completion, hover and search",
    list: PERSONAL_LIST,
  };
  const vocabularyOnly: ListItem = { label: "No list", description: "add to the vocabulary only", list: undefined };
  const others = existing
    .filter((name) => name !== PERSONAL_LIST)
    .map((name): ListItem => ({ label: name, description: "an existing list", list: name }));
  const newList: ListItem = { label: "New list...", list: NEW_LIST };
  const listTag = file.path.toLowerCase().endsWith(".tag");
  const items = listTag
    ? [personal, vocabularyOnly, ...others, newList]
    : [vocabularyOnly, personal, ...others, newList];
  const picked = await vscode.window.showQuickPick(items, {
    title: `captionls: import ${path.basename(file.fsPath)} into which list?`,
    placeHolder: "The tags go into the vocabulary, and into the list you pick",
  });
  if (picked?.list !== NEW_LIST) {
    return picked;
  }
  const name = await vscode.window.showInputBox({
    title: "captionls: the new list's name",
    validateInput: (value) => (value.trim() === "" ? "A list needs a name" : undefined),
  });
  return name === undefined ? undefined : { label: name.trim(), list: name.trim() };
}

interface Finished {
  code: number;
  stdout: string;
}

/** Runs the server's executable with `args` (the vocabulary setting as CAPTIONLS_DB); stderr goes to `output`. */
function runCaptionls(
  executable: ServerCommand,
  args: string[],
  vocabulary: string | undefined,
  output: vscode.OutputChannel,
): Promise<Finished> {
  output.appendLine(`> ${[executable.command, ...executable.args, ...args].join(" ")}`);
  return new Promise((resolve) => {
    const child = childProcess.spawn(executable.command, [...executable.args, ...args], {
      // The vocabulary setting names the database the server reads; the CLI finds it through CAPTIONLS_DB.
      env: vocabulary ? { ...process.env, CAPTIONLS_DB: vocabulary } : process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => output.append(chunk.toString()));
    child.on("error", (error) => {
      output.appendLine(String(error));
      resolve({ code: -1, stdout });
    });
    child.on("close", (code) => resolve({ code: code ?? -1, stdout }));
  });
}

/** The names of the vocabulary's lists (`captionls vocab lists`: one `name<TAB>size` line each). */
async function listNames(
  executable: ServerCommand,
  vocabulary: string | undefined,
  output: vscode.OutputChannel,
): Promise<string[]> {
  const { code, stdout } = await runCaptionls(executable, ["vocab", "lists"], vocabulary, output);
  return code === 0 ? stdout.split("\n").flatMap((line) => (line.includes("\t") ? [line.split("\t")[0]] : [])) : [];
}

/**
 * Picks a vocabulary file and a list, runs `captionls vocab import FILE --json` with the server's own
 * executable (bad lines skipped and counted), and reports what it added.
 */
export async function importVocabulary(server: CaptionServer, output: vscode.OutputChannel): Promise<void> {
  const executable = server.command;
  if (!executable) {
    void vscode.window.showErrorMessage("captionls: the server was not found, so there is nothing to import with.");
    return;
  }
  const files = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: "Import",
    title: "Import a vocabulary file (list.tag, tagcomplete CSV, translations, Danbooru groups)",
    filters: { Vocabularies: ["csv", "tag", "txt", "json", "gz"], "All files": ["*"] },
  });
  const file = files?.[0];
  if (!file) {
    return;
  }
  const vocabulary = settingsFor(file).vocabulary;
  const target = await pickList(file, await listNames(executable, vocabulary, output));
  if (!target) {
    return;
  }
  const args = ["vocab", "import", file.fsPath, "--json", "--skip-bad"];
  if (target.list !== undefined) {
    args.push("--list", target.list);
  }
  const name = path.basename(file.fsPath);
  const finished = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `captionls: importing ${name}` },
    () => runCaptionls(executable, args, vocabulary, output),
  );
  let reports: ImportReport[] | undefined;
  try {
    reports = finished.code === 0 ? (JSON.parse(finished.stdout) as ImportReport[]) : undefined;
  } catch {
    output.appendLine(finished.stdout);
  }
  if (!reports) {
    const choice = await vscode.window.showErrorMessage(`captionls: importing ${name} failed.`, "Show output");
    if (choice) {
      output.show();
    }
    return;
  }
  for (const report of reports) {
    for (const [kind, skipped] of Object.entries(report.skipped_lines)) {
      output.appendLine(`${report.file}: skipped ${skipped.count} x ${kind} (first at ${skipped.first})`);
    }
  }
  // The server notices a changed database by itself too; this makes it look now. It answers null.
  await server.execute(RELOAD_VOCABULARY, {}).catch(() => undefined);
  const where = target.list === undefined ? "the vocabulary" : `the ${target.list} list`;
  const message = `captionls: imported ${name} into ${where}: ${importCounts(reports)}.`;
  const skipped = reports.some((report) => report.skipped > 0);
  const choice = await vscode.window.showInformationMessage(message, ...(skipped ? ["Show skipped lines"] : []));
  if (choice) {
    output.show();
  }
}
