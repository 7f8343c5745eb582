// The `captionls` settings as the server reads them (workspace/configuration section `captionls`,
// didChangeConfiguration, initializationOptions): the keys mirroring captionls.toml, and only those
// the user set, so the dataset's captionls.toml and the server's defaults decide everything else.

export const SEVERITIES = ["error", "warning", "info", "hint", "off"] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface ServerSettings {
  vocabulary?: string;
  tagStyle?: "spaces" | "underscores";
  escapeParentheses?: boolean;
  rules?: Record<string, Severity>;
}

/** Reads one key of the `captionls` section (what `WorkspaceConfiguration.get` does). */
export type SettingReader = (key: string) => unknown;

export function serverSettings(read: SettingReader): ServerSettings {
  const settings: ServerSettings = {};
  const vocabulary = read("vocabulary");
  if (typeof vocabulary === "string" && vocabulary.trim() !== "") {
    settings.vocabulary = vocabulary.trim();
  }
  const tagStyle = read("tagStyle");
  if (tagStyle === "spaces" || tagStyle === "underscores") {
    settings.tagStyle = tagStyle;
  }
  const escapeParentheses = read("escapeParentheses");
  if (typeof escapeParentheses === "boolean") {
    settings.escapeParentheses = escapeParentheses;
  }
  const rules = read("rules");
  if (rules !== null && typeof rules === "object") {
    const severities: Record<string, Severity> = {};
    for (const [rule, severity] of Object.entries(rules)) {
      if ((SEVERITIES as readonly unknown[]).includes(severity)) {
        severities[rule] = severity as Severity;
      }
    }
    if (Object.keys(severities).length > 0) {
      settings.rules = severities;
    }
  }
  return settings;
}
