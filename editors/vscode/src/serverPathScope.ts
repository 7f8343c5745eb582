// Where to set `captionls.server.path`. It names a file on the machine the extension runs on, so it is a
// machine setting ("machine-overridable"): in a remote window (SSH, WSL, a container, code-server) VS Code
// reads it from the Remote settings or the workspace's, and ignores the User settings, which belong to the
// local machine.

export const SERVER_PATH_SETTING = "captionls.server.path";

export interface SettingAdvice {
  /** A sentence for the message that asks the user to set it (empty in a local window). */
  sentence: string;
  /** The command that opens the settings editor where it takes effect; its argument is `{ query }`. */
  command: string;
}

/** `remoteName`: `vscode.env.remoteName`, undefined in a local window. */
export function serverPathAdvice(remoteName: string | undefined): SettingAdvice {
  if (remoteName === undefined) {
    return { sentence: "", command: "workbench.action.openSettings" };
  }
  return {
    sentence:
      `This is a remote window (${remoteName}): set \`${SERVER_PATH_SETTING}\` in the Remote settings ` +
      "(or the workspace's); VS Code ignores the User settings' value here, which names a file on your own machine.",
    command: "workbench.action.openRemoteSettings",
  };
}
