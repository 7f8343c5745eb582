// End-to-end test of the extension in a real VS Code (code-server) driven through headless Chromium, offline.
// scripts/e2e-vscode installs everything and calls this with node 24, once per scenario:
//   node run.mjs --code-server BIN --vsix FILE --captionls EXECUTABLE --work DIR [--screenshot FILE]
//   node run.mjs --code-server BIN --vsix FILE --bundled --work DIR
// The first names the repository's server in captionls.server.path and exercises every command; the second
// (--bundled) installs only the .vsix, with no captionls on PATH, and gets completion and diagnostics from the
// server inside it.
// It starts code-server in its own process group on 127.0.0.1 and stops that group (and Chromium) by PID.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as zlib from "node:zlib";
import { chromium } from "playwright-core";
import { expectTagsViewAndGallery } from "./tagsGallery.mjs";

const { values: options } = parseArgs({
  options: {
    "code-server": { type: "string" },
    vsix: { type: "string" },
    captionls: { type: "string" },
    bundled: { type: "boolean", default: false },
    work: { type: "string" },
    screenshot: { type: "string" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
  },
});
for (const required of ["code-server", "vsix", "work", ...(options.bundled ? [] : ["captionls"])]) {
  if (!options[required]) {
    console.error(`run.mjs: --${required} is required`);
    process.exit(2);
  }
}

const STEP_TIMEOUT = 60_000;
/** The code-server process group, so even the watchdog can stop it. */
let codeServerPid;
const work = path.resolve(options.work);
const artifacts = path.join(work, "artifacts");
const dataset = path.join(work, "dataset");
const userData = path.join(work, "user-data");
const extensions = path.join(work, "extensions");
const vocabulary = path.join(work, "vocabulary.sqlite");

/** The caption the test opens: an alias (`sole female` -> 1girl) and a duplicate (`smile`). */
const CAPTION = "ohwxStyle, solo, sole female, standing, smile, looking at viewer, smile";
const ALIAS = "sole female";
const CANONICAL = "1girl";

function log(message) {
  console.log(`e2e-vscode: ${message}`);
}

/** A port nobody listens on right now (the OS picks it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A small RGB PNG (a soft gradient with a dark figure), so the screenshot shows a picture beside the caption. */
function png(width, height) {
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      const inFigure = (x - width / 2) ** 2 / 0.12 + (y - height * 0.6) ** 2 / 0.9 < (height * 0.3) ** 2;
      const head = (x - width / 2) ** 2 + (y - height * 0.25) ** 2 < (height * 0.1) ** 2;
      const dark = inFigure || head;
      row[1 + x * 3] = dark ? 60 : 250 - Math.round((y / height) * 80);
      row[2 + x * 3] = dark ? 50 : 200 - Math.round((x / width) * 60);
      row[3 + x * 3] = dark ? 70 : 170 + Math.round((y / height) * 60);
    }
    rows.push(row);
  }
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", zlib.deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function writeDataset() {
  fs.rmSync(dataset, { recursive: true, force: true });
  fs.mkdirSync(dataset, { recursive: true });
  const captions = {
    "001": CAPTION,
    "002": "ohwxStyle, solo, 1girl, sitting, smile, looking at viewer",
    "003": "ohwxStyle, solo, 1girl, standing, arms up, closed eyes",
    // Says `raised arms` (an alias of `arms up`) once expectCanonicalCompletion rewrites it.
    "004": "ohwxStyle, solo, 1girl, standing, smile",
  };
  for (const [stem, caption] of Object.entries(captions)) {
    fs.writeFileSync(path.join(dataset, `${stem}.png`), png(192, 256));
    fs.writeFileSync(path.join(dataset, `${stem}.txt`), `${caption}\n`);
  }
  fs.writeFileSync(path.join(dataset, "README.txt"), "Not a caption: no image beside it.\n");
}

/** A small vocabulary of the test's tags (tagcomplete CSV), imported with `captionls vocab import`. */
function importVocabulary() {
  const csv = path.join(work, "vocabulary.csv");
  fs.writeFileSync(
    csv,
    [
      '1girl,0,6000000,"sole female,1girls"',
      'solo,0,5000000,""',
      'contrapposto,0,21000,""',
      'standing,0,900000,""',
      'sitting,0,800000,""',
      'smile,0,3000000,""',
      'looking at viewer,0,4000000,"looking at the viewer"',
      'arms up,0,300000,"raised arms"',
      'closed eyes,0,900000,""',
      "",
    ].join("\n"),
  );
  fs.rmSync(vocabulary, { force: true });
  const result = spawnSync(options.captionls, ["vocab", "import", "--db", vocabulary, csv], { encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`captionls vocab import failed:\n${result.stdout}\n${result.stderr}`);
  }
}

/** User settings: nothing phones home, no AI, no word-based suggestions muddying the suggest widget. */
function writeUserSettings(overrides = {}) {
  const settings = {
    "telemetry.telemetryLevel": "off",
    "telemetry.feedback.enabled": false,
    "update.mode": "none",
    "update.showReleaseNotes": false,
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "extensions.ignoreRecommendations": true,
    "workbench.enableExperiments": false,
    "workbench.settings.enableNaturalLanguageSearch": false,
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "workbench.welcomePage.walkthroughs.openOnInstall": false,
    "chat.disableAIFeatures": true,
    "chat.commandCenter.enabled": false,
    "github.copilot.enable": { "*": false },
    "npm.fetchOnlinePackageInfo": false,
    "json.schemaDownload.enable": false,
    "typescript.disableAutomaticTypeAcquisition": true,
    "git.enabled": false,
    "security.workspace.trust.enabled": false,
    // Word wrap and word-based suggestions are left to the extension's `[caption]` defaults.
    "editor.minimap.enabled": false,
    // The DOM renderer keeps terminal text readable to the test.
    "terminal.integrated.gpuAcceleration": "off",
    "window.commandCenter": false,
    "workbench.colorTheme": "Default Light Modern",
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    // The extension host takes PATH from a login shell (Debian's /etc/profile resets it), so name the server.
    ...(options.bundled ? {} : { "captionls.server.path": path.resolve(options.captionls) }),
    "captionls.preview.follow": true,
    // Reaches the server through workspace/configuration; also keeps the alias hover free of the diagnostic.
    "captionls.rules": { "non-canonical-tag": "off" },
    ...overrides,
  };
  // code-server is a remote VS Code: machine-scoped settings (captionls.server.path) come from Machine/.
  for (const folder of ["User", "Machine"]) {
    // Atomically, as editors save: VS Code watches these files and must never read a half-written one.
    fs.mkdirSync(path.join(userData, folder), { recursive: true });
    const file = path.join(userData, folder, "settings.json");
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(settings, null, 2));
    fs.renameSync(`${file}.tmp`, file);
  }
}

/** The folders of a PATH value that hold a captionls (the repository's .venv/bin, when the caller has it). */
function captionlsFolders(value) {
  return value.split(path.delimiter).filter((folder) => folder !== "" && fs.existsSync(path.join(folder, "captionls")));
}

/** Environment for code-server and everything under it: offline gallery, a private vocabulary. */
function environment(galleryPort) {
  const gallery = `http://127.0.0.1:${galleryPort}`;
  const inherited = { ...process.env };
  if (options.bundled) {
    // Nothing of the caller's Python environment reaches the extension: the bundled server stands alone.
    const holders = captionlsFolders(inherited.PATH ?? "");
    inherited.PATH = (inherited.PATH ?? "").split(path.delimiter).filter((f) => !holders.includes(f)).join(path.delimiter);
    delete inherited.VIRTUAL_ENV;
  }
  return {
    ...inherited,
    CAPTIONLS_DB: vocabulary,
    EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: `${gallery}/gallery`, itemUrl: `${gallery}/items` }),
    XDG_CONFIG_HOME: path.join(work, "xdg-config"),
    XDG_DATA_HOME: path.join(work, "xdg-data"),
  };
}

function codeServerArgs() {
  return [
    "--user-data-dir",
    userData,
    "--extensions-dir",
    extensions,
    "--config",
    path.join(work, "code-server.yaml"),
  ];
}

function installExtension(env) {
  const result = spawnSync(
    options["code-server"],
    [...codeServerArgs(), "--install-extension", path.resolve(options.vsix), "--force"],
    { env, encoding: "utf8", timeout: STEP_TIMEOUT },
  );
  if (result.status !== 0) {
    throw new Error(`--install-extension failed:\n${result.stdout}\n${result.stderr}`);
  }
  log(result.stdout.trim().split("\n").at(-1));
}

/** Starts code-server in its own process group and resolves once it listens. */
async function startCodeServer(env, port) {
  const logFile = fs.openSync(path.join(artifacts, "code-server.log"), "w");
  const child = spawn(
    options["code-server"],
    [
      ...codeServerArgs(),
      "--bind-addr",
      `127.0.0.1:${port}`,
      "--auth",
      "none",
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      "--disable-getting-started-override",
      "--ignore-last-opened",
      dataset,
    ],
    { env, detached: true, stdio: ["ignore", logFile, logFile] },
  );
  codeServerPid = child.pid;
  const deadline = Date.now() + STEP_TIMEOUT;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`code-server exited with ${child.exitCode}; see ${path.join(artifacts, "code-server.log")}`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.ok) {
        return child;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error("code-server did not start listening within a minute");
}

/** Stops a process group we started, politely then firmly. */
async function stopGroup(pid, name) {
  const alive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) {
    return;
  }
  process.kill(-pid, "SIGTERM");
  for (let i = 0; i < 50 && alive(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (alive()) {
    process.kill(-pid, "SIGKILL");
  }
  log(`stopped ${name} (process group ${pid})`);
}

async function openCaption(page) {
  await page.locator(".monaco-workbench").waitFor({ timeout: STEP_TIMEOUT });
  await page.locator(".explorer-folders-view").getByText("001.txt").waitFor({ timeout: STEP_TIMEOUT });
  await page.keyboard.press("Control+P");
  const quickInput = page.locator(".quick-input-widget input");
  await quickInput.waitFor({ timeout: STEP_TIMEOUT });
  await quickInput.fill("001.txt");
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "001.txt" }).first().waitFor();
  await page.keyboard.press("Enter");
  await page
    .locator(".editor-instance .monaco-editor .view-lines", { hasText: "sole" })
    .waitFor({ timeout: STEP_TIMEOUT });
}

async function expectDuplicateTagProblem(page) {
  await page.keyboard.press("Control+Shift+M");
  const row = page.locator(".markers-panel .monaco-list-row", { hasText: "duplicate-tag" }).first();
  await row.waitFor({ timeout: STEP_TIMEOUT });
  log(`Problems panel: ${(await row.innerText()).replace(/\s+/g, " ")}`);
  const switchedOff = await page.locator(".markers-panel .monaco-list-row", { hasText: "non-canonical-tag" }).count();
  if (switchedOff !== 0) {
    throw new Error('"captionls.rules": {"non-canonical-tag": "off"} did not reach the server');
  }
}

/** Goes to a 1-based line:column through Quick Open's `:` mode (the browser keeps Ctrl+G). */
async function goTo(page, line, column) {
  await page.keyboard.press("Control+P");
  const quickInput = page.locator(".quick-input-widget input");
  await quickInput.waitFor();
  await quickInput.fill(`:${line}:${column}`);
  await page.keyboard.press("Enter");
  await page.locator(".quick-input-widget").waitFor({ state: "hidden" });
}

async function expectCompletion(page) {
  await page.locator(".editor-instance .monaco-editor .view-lines").first().click();
  await goTo(page, 1, CAPTION.length + 1);
  await page.keyboard.type(", contra");
  await page.keyboard.press("Control+Space");
  const item = page.locator(".suggest-widget.visible .monaco-list-row", { hasText: "contrapposto" }).first();
  await item.waitFor({ timeout: STEP_TIMEOUT });
  log(`suggest widget: ${(await item.innerText()).replace(/\s+/g, " ")}`);
  if (options.screenshot) {
    await page.screenshot({ path: options.screenshot });
    log(`completion screenshot: ${options.screenshot}`);
  }
  await page.screenshot({ path: path.join(artifacts, "completion.png") });
  await page.keyboard.press("Escape");
}

async function expectAliasHover(page) {
  await goTo(page, 1, CAPTION.indexOf(ALIAS) + 3);
  // The server's hover (a markdown part), not a diagnostic's message that may name the tag too.
  const hover = page.locator(".monaco-hover:not(.hidden) .markdown-hover", { hasText: CANONICAL }).first();
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.keyboard.press("Control+K");
    await page.keyboard.press("Control+I");
    try {
      await hover.waitFor({ timeout: STEP_TIMEOUT / 3 });
      break;
    } catch (error) {
      if (attempt === 2) {
        throw error;
      }
    }
  }
  log(`hover over "${ALIAS}": ${(await hover.innerText()).replace(/\s+/g, " ").slice(0, 160)}`);
}

async function runCommand(page, title) {
  await page.keyboard.press("F1");
  const quickInput = page.locator(".quick-input-widget input");
  await quickInput.waitFor();
  await quickInput.fill(`>${title}`);
  // Enter on the focused (best) match once the list has settled on it; a click could hit a row mid-filter.
  await page.locator(".quick-input-list .monaco-list-row.focused", { hasText: title }).waitFor();
  await page.screenshot({ path: path.join(artifacts, `command-${title.replace(/\W+/g, "-")}.png`) });
  await page.keyboard.press("Enter");
}

/** Editing settings.json reaches the server through didChangeConfiguration: no restart needed. */
async function expectSettingsApplyLive(page) {
  writeUserSettings({ "captionls.rules": { "non-canonical-tag": "error" } });
  const row = page.locator(".markers-panel .monaco-list-row", { hasText: "non-canonical-tag" }).first();
  await row.waitFor({ timeout: STEP_TIMEOUT });
  log(`after a settings change: ${(await row.innerText()).replace(/\s+/g, " ")}`);
}

async function expectSearchFinds(page, query, tag) {
  await runCommand(page, "captionls: Search vocabulary");
  await page.locator(".quick-input-widget input").fill(query);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: tag }).first().waitFor({ timeout: STEP_TIMEOUT });
  await page.keyboard.press("Escape");
}

/** The captionls servers (`... serve --stdio`) in code-server's process group: their PIDs and command lines. */
function servers() {
  const ps = spawnSync("ps", ["-eo", "pid=,pgid=,args="], { encoding: "utf8" });
  return ps.stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([, pgid, ...args]) => Number(pgid) === codeServerPid && args.includes("serve"))
    .filter(([, , ...args]) => args.join(" ").includes("captionls"))
    .map(([pid, , ...args]) => ({ pid: Number(pid), args }));
}

function serverPids() {
  return servers().map((server) => server.pid);
}

/**
 * The one server runs where the scenario says: the executable named by captionls.server.path, or (bundled) a
 * Python outside the repository running the copy the extension installed into its storage, with no captionls
 * on that process's PATH.
 */
function expectServerSource() {
  const running = servers();
  if (running.length !== 1) {
    throw new Error(`expected one captionls server, found ${JSON.stringify(running)}`);
  }
  const [{ pid, args }] = running;
  const commandLine = args.join(" ");
  if (!options.bundled) {
    if (!args.includes(path.resolve(options.captionls))) {
      throw new Error(`captionls.server.path did not win: the server is ${commandLine}`);
    }
    log(`the server is captionls.server.path: ${commandLine}`);
    return;
  }
  const repository = path.resolve(import.meta.dirname, "../../..");
  const storage = path.join(userData, "User", "globalStorage");
  const folder = args[args.indexOf("serve") - 1];
  if (args[0].startsWith(repository) || !folder.startsWith(storage)) {
    throw new Error(`the server is not the bundled one in ${storage}: ${commandLine}`);
  }
  const environ = fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
  const serverPath = (environ.find((entry) => entry.startsWith("PATH=")) ?? "PATH=").slice(5);
  if (captionlsFolders(serverPath).length > 0) {
    throw new Error(`captionls is on the server's PATH, in ${captionlsFolders(serverPath)}`);
  }
  log(`the bundled server runs with ${args[0]} from ${path.relative(work, folder)}; no captionls on its PATH`);
}

/** "Restart server" replaces the server process with a new one that answers. */
async function expectRestart(page) {
  const before = serverPids();
  if (before.length !== 1) {
    throw new Error(`expected one captionls server before the restart, found ${before}`);
  }
  await runCommand(page, "captionls: Restart server");
  const deadline = Date.now() + STEP_TIMEOUT;
  let after = serverPids();
  while (!(after.length === 1 && after[0] !== before[0]) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    after = serverPids();
  }
  if (!(after.length === 1 && after[0] !== before[0])) {
    throw new Error(`Restart server: captionls processes ${before} before, ${after} after`);
  }
  await expectSearchFinds(page, "zzother", "zzimported");
  log(`Restart server: process ${before[0]} replaced by ${after[0]}, which answers`);
}

/** "Import vocabulary file..." runs `captionls vocab import`; the server then finds the new tag. */
async function expectImport(page) {
  const file = path.join(work, "more-tags.csv");
  fs.writeFileSync(file, 'zzimported tag,0,5,"zzother name"\n');
  await runCommand(page, "captionls: Import vocabulary file...");
  // code-server's file dialog is a quick input; let it list the folder before typing the path over it.
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "001.png" }).first().waitFor();
  const quickInput = page.locator(".quick-input-widget input");
  await quickInput.fill(file);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "more-tags.csv" }).first().waitFor();
  await page.keyboard.press("Enter");
  // A tagcomplete CSV goes into the vocabulary only, unless another list is picked.
  await expectListQuestion(page, "more-tags.csv", "No list");
  await page.keyboard.press("Enter");
  await expectImportedToast(
    page,
    "captionls: imported more-tags.csv into the vocabulary: 1 tag added or changed, 1 alias.",
  );
  await expectSearchFinds(page, "zzother", "zzimported");
}

/** The import's question which list the tags go into, with `defaultList` the focused (first) answer. */
async function expectListQuestion(page, fileName, defaultList) {
  const widget = page.locator(".quick-input-widget", { hasText: `import ${fileName} into which list?` });
  await widget.waitFor({ timeout: STEP_TIMEOUT });
  const focused = widget.locator(".quick-input-list .monaco-list-row.focused").first();
  await focused.waitFor();
  // The first label of the row: rows are recycled, and a hidden detail line may hold an old label.
  const label = (await focused.locator(".label-name").first().innerText()).trim();
  if (label !== defaultList) {
    throw new Error(`Import: the list question's first answer is "${label}", expected "${defaultList}"`);
  }
}

async function expectImportedToast(page, message) {
  const toast = page.locator(".notification-toast", { hasText: message }).first();
  try {
    await toast.waitFor({ timeout: STEP_TIMEOUT });
  } catch (error) {
    const shown = await page.locator(".notification-toast").allInnerTexts();
    throw new Error(`Import: no notification "${message}"; shown: ${JSON.stringify(shown)}\n${error}`);
  }
  log(`Import vocabulary file: ${(await toast.innerText()).split("\n")[0]}`);
  await toast.locator(".codicon-notifications-clear").first().click().catch(() => {});
}

/** Importing a list.tag puts its tags into the personal list unless told otherwise, and says how many. */
async function expectListTagImport(page) {
  const file = path.join(work, "mine.tag");
  fs.writeFileSync(file, "zzlisted tag\nraised arms\n");
  await runCommand(page, "captionls: Import vocabulary file...");
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "001.png" }).first().waitFor();
  await page.locator(".quick-input-widget input").fill(file);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "mine.tag" }).first().waitFor();
  await page.keyboard.press("Enter");
  await expectListQuestion(page, "mine.tag", "personal");
  await page.keyboard.press("Enter");
  await expectImportedToast(
    page,
    "captionls: imported mine.tag into the personal list: 1 tag added or changed, 0 aliases.",
  );
  const lists = spawnSync(options.captionls, ["vocab", "lists", "--db", vocabulary], { encoding: "utf8" }).stdout;
  if (!/^personal\t2$/m.test(lists)) {
    throw new Error(`Import: after importing mine.tag into personal, vocab lists says ${JSON.stringify(lists)}`);
  }
}

/**
 * "Check dataset" counts the problems of every caption; "List all in a terminal" runs `captionls check` over
 * the workspace, which lists the captions that are not open (004.txt, the last, so in view) too.
 */
async function expectCheckDataset(page) {
  await runCommand(page, "captionls: Check dataset");
  // What the Problems panel lists, counted ("2 problems in 1 caption of 3 checked"), hints apart.
  const toast = page.locator(".notification-toast", { hasText: /problems? in \d+ captions? of \d+ checked|no problems in \d+ captions?/ }).first();
  await toast.waitFor({ timeout: STEP_TIMEOUT });
  log(`Check dataset: ${await toast.locator(".notification-list-item-message").innerText()}`);
  await toast.getByRole("button", { name: "List all in a terminal" }).click();
  const line = page.locator(".terminal-wrapper .xterm-rows", { hasText: /004\.txt:1:\d+/ }).first();
  await line.waitFor({ timeout: STEP_TIMEOUT });
  const text = await line.innerText();
  log(`captionls check in a terminal: ${text.split("\n").find((row) => row.includes("004.txt"))}`);
}

/** "Search vocabulary" finds a tag through its alias and inserts it after the last tag with a separator. */
async function expectSearchInserts(page) {
  const line = `${CAPTION}, contra`;
  await goTo(page, 1, line.length + 1);
  await runCommand(page, "captionls: Search vocabulary");
  await page.locator(".quick-input-widget input").fill("raised arms");
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: /arms.up.*raised.arms/ }).first();
  await row.waitFor({ timeout: STEP_TIMEOUT });
  log(`Search vocabulary: ${(await row.innerText()).replace(/\s+/g, " ")}`);
  await row.click();
  // Read the result from disk (the editor's DOM interleaves inlay hints with the text).
  await page.keyboard.press("Control+S");
  const expected = `${line}, arms up\n`;
  const deadline = Date.now() + STEP_TIMEOUT;
  let saved = "";
  while (saved !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    saved = fs.readFileSync(path.join(dataset, "001.txt"), "utf8");
  }
  if (saved !== expected) {
    throw new Error(`Search vocabulary: 001.txt is ${JSON.stringify(saved)}, expected ${JSON.stringify(expected)}`);
  }
}

async function expectImageBeside(page) {
  const tab = page.locator(".tabs-container .tab", { hasText: "001.png" }).first();
  await tab.waitFor({ timeout: STEP_TIMEOUT });
  // The image preview is a webview (nested frames): wait until one of them shows the decoded picture.
  const deadline = Date.now() + STEP_TIMEOUT;
  for (;;) {
    const shown = await Promise.all(
      page.frames().map((frame) =>
        frame
          .evaluate(() => [...document.images].some((image) => image.complete && image.naturalWidth === 192))
          .catch(() => false),
      ),
    );
    if (shown.includes(true)) {
      break;
    }
    if (Date.now() > deadline) {
      throw new Error("the image preview tab opened but never showed 001.png");
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  log("captionls.preview.follow shows 001.png beside the caption");
  await page.locator('.editor-actions .action-label[aria-label*="Show image"]').first().waitFor();
}

/** The caption opened in the editor, read back from the status bar: the `caption` language, wrapped lines. */
async function expectCaptionWraps(page) {
  const mode = page.locator("#status\\.editor\\.mode");
  await mode.filter({ hasText: "Caption" }).waitFor({ timeout: STEP_TIMEOUT });
  // 001.txt is one caption line (and the empty line after its newline); beside the image it is wider
  // than the editor, so wrapped it takes more than two view lines.
  const viewLines = page.locator(".editor-instance .monaco-editor .view-lines").first().locator(".view-line");
  const deadline = Date.now() + STEP_TIMEOUT;
  while ((await viewLines.count()) <= 2) {
    if (Date.now() > deadline) {
      throw new Error("001.txt has the caption language but its line does not wrap");
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const language = (await mode.innerText()).trim();
  log(`001.txt: language ${language}, its caption line wraps (${await viewLines.count()} view lines)`);
}

/** The settings UI offers tagStyle's "detected" and edits vocabulary and escapeParentheses in place. */
async function expectSettingsEditable(page) {
  await runCommand(page, "Preferences: Open Settings (UI)");
  const editor = page.locator(".settings-editor");
  await editor.waitFor({ timeout: STEP_TIMEOUT });
  // One setting at a time: the list is virtual, so only the rows in view exist.
  const find = async (key, title) => {
    await page.keyboard.press("Control+A");
    await page.keyboard.type(key);
    const item = editor.locator(".setting-item-contents", { hasText: title }).first();
    await item.waitFor({ timeout: STEP_TIMEOUT });
    if ((await item.getByText("Edit in settings.json").count()) > 0) {
      throw new Error(`settings UI: ${key} is editable only in settings.json`);
    }
    return item;
  };
  const shown = await (await find("captionls.tagStyle", "Tag Style")).locator("select").inputValue();
  if (shown !== "detected") {
    throw new Error(`settings UI: captionls.tagStyle shows ${JSON.stringify(shown)}, expected "detected"`);
  }
  await (await find("captionls.vocabulary", "Vocabulary")).locator("input").waitFor();
  await (await find("captionls.escapeParentheses", "Escape Parentheses")).locator(".setting-value-checkbox").waitFor();
  log('settings UI: tag style "detected", vocabulary a text box, escape parentheses a checkbox');
  // The settings editor opens as a modal over the workbench (which then keeps F1): Escape closes it.
  await page.keyboard.press("Escape");
  await editor.waitFor({ state: "hidden", timeout: STEP_TIMEOUT });
}

/** Opens a caption of the dataset through Quick Open and waits for a word of its text. */
async function openDatasetFile(page, name, word) {
  await page.keyboard.press("Control+P");
  const quickInput = page.locator(".quick-input-widget input");
  await quickInput.waitFor({ timeout: STEP_TIMEOUT });
  await quickInput.fill(name);
  // Enter once the list has settled on the file (it first lists the recently opened ones).
  await page.locator(".quick-input-list .monaco-list-row.focused", { hasText: name }).first().waitFor();
  await page.keyboard.press("Enter");
  await page.locator(".tabs-container .tab.active", { hasText: name }).waitFor({ timeout: STEP_TIMEOUT });
  await page.locator(".editor-instance .monaco-editor .view-lines", { hasText: word }).first().waitFor();
}

/**
 * Types `typed` at the end of the caption `name` (one line on disk), checks the suggest widget's first
 * label reads `expected.label` in full, accepts it and checks the saved caption ends in `, expected.inserted`.
 */
async function completeAtEnd(page, name, typed, expected) {
  const file = path.join(dataset, name);
  const line = fs.readFileSync(file, "utf8").replace(/\n$/, "");
  await goTo(page, 1, line.length + 1);
  await page.keyboard.type(typed);
  const first = page.locator('.suggest-widget.visible .monaco-list-row[data-index="0"]');
  await first.waitFor({ timeout: STEP_TIMEOUT });
  const shown = async () =>
    (await first.locator(".monaco-icon-label").innerText().catch(() => "")).replace(/\s+/g, " ").trim();
  // The list is incomplete, so it is asked again as the word grows: give the answer to the whole word time.
  const deadline = Date.now() + STEP_TIMEOUT;
  while ((await shown()) !== expected.label && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const label = await shown();
  log(`suggest widget after "${typed}": ${(await first.innerText()).replace(/\s+/g, " ")}`);
  if (label !== expected.label) {
    throw new Error(
      `suggest widget after "${typed}": first label ${JSON.stringify(label)}, expected ${JSON.stringify(expected.label)}`,
    );
  }
  const cut = await first
    .locator(".label-name")
    .first()
    .evaluate((element) => element.scrollWidth > element.clientWidth + 1);
  if (cut) {
    throw new Error(`suggest widget: the first label "${label}" is cut off`);
  }
  await page.keyboard.press("Enter");
  await page.keyboard.press("Control+S");
  const wanted = `${line}, ${expected.inserted}\n`;
  let saved = "";
  const saveDeadline = Date.now() + STEP_TIMEOUT;
  while (saved !== wanted && Date.now() < saveDeadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    saved = fs.readFileSync(file, "utf8");
  }
  if (saved !== wanted) {
    throw new Error(`accepting "${label}": ${name} is ${JSON.stringify(saved)}, expected ${JSON.stringify(wanted)}`);
  }
}

/** `long ha` offers `long hair` first, written as the dataset writes tags (spaces), and inserts it whole. */
async function expectMultiWordCompletion(page) {
  await openDatasetFile(page, "002.txt", "sitting");
  await completeAtEnd(page, "002.txt", ", long ha", {
    label: "long hair",
    inserted: "long hair",
  });
}

/**
 * `raised ar`, where one caption says `raised arms` (004.txt, rewritten here) and two say `arms up` (003.txt,
 * and 001.txt since "Search vocabulary" inserted it): `raised arms → arms up` first, inserting `arms up`.
 */
async function expectCanonicalCompletion(page) {
  fs.writeFileSync(path.join(dataset, "004.txt"), "ohwxStyle, solo, 1girl, standing, raised arms, smile\n");
  await openDatasetFile(page, "004.txt", "raised");
  await openDatasetFile(page, "002.txt", "sitting");
  await completeAtEnd(page, "002.txt", ", raised ar", {
    label: "raised arms → arms up",
    inserted: "arms up",
  });
}

/**
 * `captionls.server.path` is a machine setting: in code-server's remote window VS Code reads it from the
 * Remote (Machine) settings. A wrong path there gets a message that says so and opens the Remote settings.
 */
async function expectServerPathAdvice(page) {
  const file = path.join(userData, "Machine", "settings.json");
  const settings = JSON.parse(fs.readFileSync(file, "utf8"));
  settings["captionls.server.path"] = path.join(work, "no-such-captionls");
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(settings, null, 2));
  fs.renameSync(`${file}.tmp`, file);
  const toast = page.locator(".notification-toast", { hasText: "no-such-captionls" }).first();
  await toast.waitFor({ timeout: STEP_TIMEOUT });
  const message = (await toast.locator(".notification-list-item-message").innerText()).replace(/\s+/g, " ");
  log(`a wrong server path: ${message}`);
  if (!message.includes("set `captionls.server.path` in the Remote settings")) {
    throw new Error(`the message does not say to use the Remote settings: ${message}`);
  }
  await toast.getByRole("button", { name: "Open setting" }).click();
  const tab = page.locator(".settings-editor .settings-tabs-widget .action-label.checked", { hasText: "Remote" });
  await tab.waitFor({ timeout: STEP_TIMEOUT });
  log(`"Open setting" opens the settings on the ${(await tab.innerText()).trim()} tab`);
}

async function main() {
  fs.mkdirSync(artifacts, { recursive: true });
  fs.rmSync(userData, { recursive: true, force: true });
  writeDataset();
  if (options.bundled) {
    // The bundled server fills a new vocabulary from its built-in data, as on a user's first run.
    fs.rmSync(vocabulary, { force: true });
  } else {
    importVocabulary();
  }
  writeUserSettings();
  const [port, galleryPort] = [await freePort(), await freePort()];
  const env = environment(galleryPort);
  installExtension(env);
  let browser;
  let page;
  const outside = [];
  try {
    const codeServer = await startCodeServer(env, port);
    log(`code-server ${codeServer.pid} on 127.0.0.1:${port}`);
    browser = await chromium.launch({
      executablePath: options.chromium,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-sync",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
        "--metrics-recording-only",
        "--no-first-run",
        "--no-pings",
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    // Offline means offline: anything the page asks of a host other than this machine is refused and reported.
    await page.route(/^(https?|wss?):/, (route) => {
      const { hostname } = new URL(route.request().url());
      if (hostname === "127.0.0.1" || hostname === "localhost") {
        return route.continue();
      }
      outside.push(route.request().url());
      return route.abort("blockedbyclient");
    });
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(dataset)}`);
    await openCaption(page);
    if (options.bundled) {
      await expectDuplicateTagProblem(page);
      expectServerSource();
      await expectCompletion(page);
      await expectAliasHover(page);
      await page.keyboard.press("Escape");
      await expectCheckDataset(page);
    } else {
      await expectImageBeside(page);
      await expectCaptionWraps(page);
      await expectDuplicateTagProblem(page);
      expectServerSource();
      await expectCompletion(page);
      await expectAliasHover(page);
      await page.keyboard.press("Escape");
      await expectSearchInserts(page);
      await expectSettingsApplyLive(page);
      await expectImport(page);
      await expectRestart(page);
      await expectCheckDataset(page);
      await expectTagsViewAndGallery(page, {
        dataset,
        artifacts,
        log,
        runCommand,
        goTo,
        // With --screenshot (the README's pictures), the view's and the gallery's go beside it.
        imagesDir: options.screenshot ? path.dirname(options.screenshot) : undefined,
      });
      await expectSettingsEditable(page);
      await expectListTagImport(page);
      await expectMultiWordCompletion(page);
      await expectCanonicalCompletion(page);
      await expectServerPathAdvice(page);
    }
    if (outside.length > 0) {
      throw new Error(`the page tried to reach other hosts: ${[...new Set(outside)].join(", ")}`);
    }
    log("passed");
  } catch (error) {
    if (page) {
      const failure = path.join(artifacts, "failure.png");
      await page.screenshot({ path: failure }).catch(() => {});
      console.error(`e2e-vscode: FAILED; screenshot ${failure}, log ${path.join(artifacts, "code-server.log")}`);
      if (outside.length > 0) {
        console.error(`e2e-vscode: refused requests to other hosts: ${[...new Set(outside)].join(", ")}`);
      }
    }
    throw error;
  } finally {
    await browser?.close();
    if (codeServerPid) {
      await stopGroup(codeServerPid, "code-server");
    }
  }
}

const watchdog = setTimeout(() => {
  console.error("e2e-vscode: timed out after 8 minutes");
  if (codeServerPid) {
    try {
      process.kill(-codeServerPid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  process.exit(1);
}, 480_000);
watchdog.unref();
main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
