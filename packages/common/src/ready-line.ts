/**
 * Processes announce readiness with one JSON line on stdout, so that launchers (the CLI's `up`, the
 * test harness) wait on an event rather than on a sleep. The line starts with a fixed marker.
 */
export const READY_MARKER = 'ZONESIM_READY ';

/** What a ready line carries. */
export interface ReadyInfo {
  role: 'coordinator' | 'zone-node';
  pid: number;
  /** Coordinator: the Lambda API base URL. */
  apiUrl?: string;
  /** Coordinator: the WebSocket URL zone nodes connect to. */
  zoneUrl?: string;
  /** Zone node: zone and node id. */
  zone?: string;
  nodeId?: string;
}

/** Formats a ready line. */
export function formatReadyLine(info: ReadyInfo): string {
  return READY_MARKER + JSON.stringify(info) + '\n';
}

/** Parses one stdout line; returns undefined for other lines. */
export function parseReadyLine(line: string): ReadyInfo | undefined {
  if (!line.startsWith(READY_MARKER)) return undefined;
  try {
    return JSON.parse(line.slice(READY_MARKER.length)) as ReadyInfo;
  } catch {
    return undefined;
  }
}
