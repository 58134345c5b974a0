// A strict parser for the systemd unit files we ship: sections, known directives per section,
// which directives may repeat, and boolean values. It is the fallback when `systemd-analyze` is not
// installed, and a second opinion when it is (systemd only warns about unknown keys).

export interface UnitEntry {
  section: string;
  key: string;
  value: string;
  line: number;
}

const UNIT = [
  "Description",
  "Documentation",
  "After",
  "Before",
  "Wants",
  "Requires",
  "BindsTo",
  "PartOf",
  "Conflicts",
  "StartLimitIntervalSec",
  "StartLimitBurst",
  "ConditionPathExists",
  "AssertPathExists",
];
const SERVICE = [
  "Type",
  "User",
  "Group",
  "ExecStart",
  "ExecStartPre",
  "ExecStartPost",
  "ExecReload",
  "ExecStop",
  "WorkingDirectory",
  "Environment",
  "EnvironmentFile",
  "Restart",
  "RestartSec",
  "RestartPreventExitStatus",
  "SuccessExitStatus",
  "TimeoutStartSec",
  "TimeoutStopSec",
  "KillSignal",
  "KillMode",
  "LimitNOFILE",
  "UMask",
  "WatchdogSec",
  "NotifyAccess",
  "StateDirectory",
  "StateDirectoryMode",
  "LogsDirectory",
  "LogsDirectoryMode",
  "RuntimeDirectory",
  "RuntimeDirectoryMode",
  "CacheDirectory",
  "ConfigurationDirectory",
  "NoNewPrivileges",
  "ProtectSystem",
  "ProtectHome",
  "ReadWritePaths",
  "ReadOnlyPaths",
  "InaccessiblePaths",
  "PrivateTmp",
  "PrivateDevices",
  "PrivateUsers",
  "PrivateNetwork",
  "ProtectKernelTunables",
  "ProtectKernelModules",
  "ProtectKernelLogs",
  "ProtectControlGroups",
  "ProtectClock",
  "ProtectHostname",
  "ProtectProc",
  "ProcSubset",
  "RestrictAddressFamilies",
  "RestrictNamespaces",
  "RestrictRealtime",
  "RestrictSUIDSGID",
  "LockPersonality",
  "MemoryDenyWriteExecute",
  "RemoveIPC",
  "KeyringMode",
  "SystemCallArchitectures",
  "SystemCallFilter",
  "SystemCallErrorNumber",
  "CapabilityBoundingSet",
  "AmbientCapabilities",
  "DevicePolicy",
  "IPAddressAllow",
  "IPAddressDeny",
  "MemoryMax",
  "TasksMax",
  "Nice",
  "StandardOutput",
  "StandardError",
  "SyslogIdentifier",
];
const INSTALL = ["WantedBy", "RequiredBy", "Alias", "Also"];

export const KNOWN_DIRECTIVES: Record<string, Set<string>> = { Unit: new Set(UNIT), Service: new Set(SERVICE), Install: new Set(INSTALL) };

/** Directives systemd accumulates when repeated; any other key given twice is a mistake. */
export const LIST_DIRECTIVES = new Set([
  "After",
  "Before",
  "Wants",
  "Requires",
  "Documentation",
  "Environment",
  "EnvironmentFile",
  "ExecStartPre",
  "ExecStartPost",
  "ReadWritePaths",
  "ReadOnlyPaths",
  "InaccessiblePaths",
  "SystemCallFilter",
  "RestrictAddressFamilies",
  "WantedBy",
  "CapabilityBoundingSet",
  "AmbientCapabilities",
]);

const BOOLEAN_DIRECTIVES = new Set([
  "NoNewPrivileges",
  "ProtectHome",
  "PrivateTmp",
  "PrivateDevices",
  "PrivateUsers",
  "PrivateNetwork",
  "ProtectKernelTunables",
  "ProtectKernelModules",
  "ProtectKernelLogs",
  "ProtectControlGroups",
  "ProtectClock",
  "ProtectHostname",
  "RestrictRealtime",
  "RestrictSUIDSGID",
  "LockPersonality",
  "MemoryDenyWriteExecute",
  "RemoveIPC",
  "RestrictNamespaces",
]);
const BOOLEAN = /^(yes|no|true|false|on|off|1|0)$/;

export function parseUnit(text: string, file = "unit"): UnitEntry[] {
  const entries: UnitEntry[] = [];
  const seen = new Set<string>();
  let section: string | undefined;
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) return;
    if (raw.endsWith("\\")) throw new Error(`${file}:${line}: line continuations are not used in our units; write one line`);
    const header = /^\[(\w+)\]$/.exec(trimmed);
    if (header) {
      section = header[1];
      if (!KNOWN_DIRECTIVES[section]) throw new Error(`${file}:${line}: unknown section [${section}]`);
      return;
    }
    const pair = /^([A-Za-z]+)=(.*)$/.exec(trimmed);
    if (!pair) throw new Error(`${file}:${line}: expected Key=value, got ${JSON.stringify(trimmed)}`);
    if (!section) throw new Error(`${file}:${line}: ${pair[1]} before any [Section]`);
    const [, key, value] = pair;
    if (!KNOWN_DIRECTIVES[section].has(key)) throw new Error(`${file}:${line}: unknown key ${key} in [${section}]`);
    const id = `${section}.${key}`;
    if (seen.has(id) && !LIST_DIRECTIVES.has(key)) throw new Error(`${file}:${line}: ${key} set twice in [${section}]`);
    seen.add(id);
    if (BOOLEAN_DIRECTIVES.has(key) && !BOOLEAN.test(value)) throw new Error(`${file}:${line}: ${key}=${value} is not a boolean`);
    entries.push({ section, key, value, line });
  });
  for (const required of ["Unit", "Service", "Install"]) {
    if (!entries.some((e) => e.section === required)) throw new Error(`${file}: section [${required}] missing or empty`);
  }
  return entries;
}

/** The value a single-valued directive ends up with (the last assignment), or undefined. */
export function valueOf(entries: UnitEntry[], section: string, key: string): string | undefined {
  return [...entries].reverse().find((e) => e.section === section && e.key === key)?.value;
}

export function valuesOf(entries: UnitEntry[], section: string, key: string): string[] {
  return entries.filter((e) => e.section === section && e.key === key).map((e) => e.value);
}
