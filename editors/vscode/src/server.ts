// The language client's lifecycle: discover the server, start it, restart it, and the one notification
// when it cannot be found.
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  ResponseError,
  type ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";
import { bundledServer, type BundleManifest, pythonCandidates, type PythonDescription } from "./bundled";
import { type Discovery, discoverServer, INSTALL_HINT, type ServerCommand } from "./discovery";
import {
  describePython,
  installBundle,
  isDirectory,
  isExecutableFile,
  pythonHasCaptionls,
  readManifest,
} from "./probe";
import { SERVER_PATH_SETTING, serverPathAdvice } from "./serverPathScope";
import { serverSettings, type ServerSettings } from "./settings";

export const SETTINGS_SECTION = "captionls";

/**
 * The `captionls` settings the server reads, for one resource (or the window): only the ones the user set
 * somewhere, so a default shown in the settings UI ("detected", false) never hides the server's own.
 */
export function settingsFor(scope?: vscode.Uri): ServerSettings {
  const configuration = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope ?? null);
  return serverSettings((key) => {
    const set = configuration.inspect(key);
    const values = [set?.globalValue, set?.workspaceValue, set?.workspaceFolderValue];
    return values.some((value) => value !== undefined) ? configuration.get(key) : undefined;
  });
}

export class CaptionServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private serverCommand: ServerCommand | undefined;
  /** `captionls.server.path` as it was when the server last started. */
  private startedWithPath: string | undefined;
  /** Starts and stops run one after the other, so two quick restarts never leave two clients. */
  private lifecycle: Promise<void> = Promise.resolve();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a server has started (or stopped). */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly output: vscode.OutputChannel,
    private readonly traceOutput: vscode.OutputChannel,
    /** The extension's bundled/ folder and where its server is installed on first use. */
    private readonly bundle: { bundleDir: string; storageDir: string },
  ) {}

  /** The command line of the server in use, for `vocab import`. */
  get command(): ServerCommand | undefined {
    return this.serverCommand;
  }

  get running(): boolean {
    return this.client?.isRunning() ?? false;
  }

  start(): Promise<void> {
    return this.serialized(() => this.startNow());
  }

  stop(): Promise<void> {
    return this.serialized(() => this.stopNow());
  }

  restart(reason: string): Promise<void> {
    this.output.appendLine(`Restarting: ${reason}`);
    return this.serialized(async () => {
      await this.stopNow();
      await this.startNow();
    });
  }

  /** Whether `captionls.server.path` differs from the one the running server was found with. */
  serverPathChanged(): boolean {
    return serverPathSetting() !== this.startedWithPath;
  }

  private serialized(step: () => Promise<void>): Promise<void> {
    const done = this.lifecycle.then(step, step);
    this.lifecycle = done.catch(() => undefined);
    return done;
  }

  private async startNow(): Promise<void> {
    this.startedWithPath = serverPathSetting();
    const discovery = await this.discover();
    if (!discovery.found) {
      this.output.appendLine(discovery.reason);
      void notifyMissing(discovery.reason);
      this.changed.fire();
      return;
    }
    const server = discovery.server;
    this.serverCommand = server;
    this.output.appendLine(`Starting ${[server.command, ...server.args, "serve"].join(" ")} (from ${server.source})`);
    const serverOptions: ServerOptions = {
      command: server.command,
      args: [...server.args, "serve"],
      transport: TransportKind.stdio,
    };
    const clientOptions: LanguageClientOptions = {
      // The server decides which plaintext files are captions; everything else gets nothing from it.
      documentSelector: [
        { scheme: "file", language: "plaintext" },
        { scheme: "file", language: "caption" },
      ],
      initializationOptions: settingsFor(),
      outputChannel: this.output,
      traceOutputChannel: this.traceOutput,
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher("**/captionls.toml"),
      },
      middleware: {
        workspace: {
          // Answer the `captionls` section with the mapped settings, not VS Code's raw section.
          configuration: async (params, token, next) => {
            const answers = await next(params, token);
            if (answers instanceof ResponseError) {
              return answers;
            }
            return params.items.map((item, index) =>
              item.section === SETTINGS_SECTION
                ? settingsFor(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
                : answers[index],
            );
          },
        },
      },
    };
    const client = new LanguageClient("captionls", "captionls", serverOptions, clientOptions);
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.output.appendLine(`captionls did not start: ${String(error)}`);
      void vscode.window
        .showErrorMessage(`captionls: the server (${server.command}) did not start.`, "Show log")
        .then((choice) => choice && this.output.show());
    }
    this.changed.fire();
  }

  private async discover(): Promise<Discovery> {
    const machine = {
      settingPath: serverPathSetting(),
      pythonInterpreter: await pythonInterpreter(),
      pathVariable: process.env.PATH ?? "",
      pathExtensions: process.env.PATHEXT,
      platform: process.platform,
      isExecutableFile,
      pythonHasCaptionls,
    };
    return discoverServer({
      ...machine,
      bundledServer: async () => {
        const bundled = await bundledServer({
          ...this.bundle,
          pythons: pythonCandidates(machine),
          readManifest,
          describePython,
          isDirectory,
          install: (python, manifest, folder) => this.install(python, manifest, folder),
        });
        if (!bundled.found) {
          this.output.appendLine(`Not the bundled server: ${bundled.reason}`);
        }
        return bundled;
      },
    });
  }

  /** The first use of a bundle with a kind of Python installs it (a few seconds), with a notification meanwhile. */
  private async install(python: PythonDescription, manifest: BundleManifest, folder: string): Promise<void> {
    this.output.appendLine(`Installing the bundled captionls ${manifest.captionls} for ${python.executable} into ${folder}`);
    const started = Date.now();
    await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `captionls: setting up the server for Python ${python.version} (once)`,
      },
      () => installBundle(this.bundle.bundleDir, python, manifest, folder),
    );
    this.output.appendLine(`Installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  private async stopNow(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop();
      } catch (error) {
        this.output.appendLine(`captionls did not stop cleanly: ${String(error)}`);
      }
      this.changed.fire();
    }
  }

  /** Tells the server its settings changed (it re-reads them and refreshes diagnostics). */
  async settingsChanged(): Promise<void> {
    if (this.client?.isRunning()) {
      await this.client.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { [SETTINGS_SECTION]: settingsFor() },
      });
    }
  }

  /** Runs one of the server's workspace/executeCommand commands; null means it failed (the server logged why). */
  async execute<T>(command: string, argument: object): Promise<T> {
    // A command issued during a (re)start waits for it rather than failing.
    await this.lifecycle;
    if (!this.client?.isRunning()) {
      throw new Error("the captionls server is not running");
    }
    const result: unknown = await this.client.sendRequest(ExecuteCommandRequest.type, {
      command,
      arguments: [argument],
    });
    if (result === null || result === undefined) {
      throw new Error(`${command} failed; see the captionls output`);
    }
    return result as T;
  }

  dispose(): void {
    void this.stop();
    this.changed.dispose();
  }
}

function serverPathSetting(): string {
  return vscode.workspace.getConfiguration(SETTINGS_SECTION).get<string>("server.path", "");
}



/** The Python extension's API, the parts used here (it is an optional dependency). */
interface PythonExtensionApi {
  environments?: { getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } };
  settings?: { getExecutionDetails(resource?: vscode.Uri): { execCommand: string[] | undefined } };
}

/** The interpreter selected in the Python extension, when it is installed. */
async function pythonInterpreter(): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>("ms-python.python");
  if (!extension) {
    return undefined;
  }
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
    const active = api.environments?.getActiveEnvironmentPath(resource)?.path;
    return active || api.settings?.getExecutionDetails(resource)?.execCommand?.[0];
  } catch {
    return undefined;
  }
}

/**
 * The one notification when no server was found, with a button that opens the setting where it takes
 * effect (the Remote settings in a remote window).
 */
async function notifyMissing(reason: string): Promise<void> {
  const openSetting = "Open setting";
  const advice = serverPathAdvice(vscode.env.remoteName);
  const message = [`captionls: ${reason}`, INSTALL_HINT, advice.sentence].filter((part) => part).join(" ");
  const choice = await vscode.window.showErrorMessage(message, openSetting);
  if (choice === openSetting) {
    await vscode.commands.executeCommand(advice.command, { query: SERVER_PATH_SETTING });
  }
}
