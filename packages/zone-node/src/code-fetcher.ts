import { WireError, WireErrorCode } from '@zonesim/protocol';

/**
 * Downloads one deployment package from the coordinator's code endpoint, presenting the cluster
 * token. Packages travel over HTTP rather than the zone link so that a 50 MB zip never blocks the
 * link's small frames (heartbeats, invocations).
 */
export async function fetchCode(args: {
  baseUrl: string;
  sha256Hex: string;
  clusterToken: string;
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal;
}): Promise<Buffer> {
  const signals = [AbortSignal.timeout(args.timeoutMs)];
  if (args.signal) signals.push(args.signal);
  let res: Response;
  try {
    res = await fetch(`${args.baseUrl}/${args.sha256Hex}`, {
      headers: { authorization: `Bearer ${args.clusterToken}` },
      signal: AbortSignal.any(signals),
    });
  } catch (err) {
    throw new WireError(WireErrorCode.CodeUnavailable, `code fetch failed: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new WireError(WireErrorCode.CodeUnavailable, `code fetch answered HTTP ${res.status}`);
  }
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > args.maxBytes) {
    await res.body?.cancel();
    throw new WireError(WireErrorCode.CodeUnavailable, `package of ${declared} bytes is above ${args.maxBytes}`);
  }
  const bytes = Buffer.from(await res.arrayBuffer());
  if (bytes.length > args.maxBytes) throw new WireError(WireErrorCode.CodeUnavailable, `package of ${bytes.length} bytes is above ${args.maxBytes}`);
  return bytes;
}
