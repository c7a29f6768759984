/**
 * How the runner's clients reach the platform's API: one request in, one answer out. The real world
 * sends it over HTTP ({@link HttpApiTransport}); a virtual world can hand it to the coordinator's
 * route table in-process. The clients above it (`ApiClient`, `AdminClient`, `ApiClusterClient`)
 * hold the API's paths and shapes once for both.
 */

/** One API request. `path` includes the query string. */
export interface ApiRequest {
  method: string;
  path: string;
  /** Header names in lower case. */
  headers?: Record<string, string>;
  body?: Buffer;
}

/** One API answer. */
export interface ApiResponse {
  status: number;
  /** Header names in lower case; the first value of a repeated header. */
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
}

/** Per-call options. */
export interface ApiCallOptions {
  /**
   * Give up when no bytes move for this long (the socket's inactivity, as Node's `timeout`), with
   * an `ApiTimeoutError`. @default the transport's `requestTimeoutMs`
   */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Sends API requests. `request` resolves with any answer, whatever its status, and rejects only
 * when there is none: `ApiConnectionError` (refused, reset) or `ApiTimeoutError`.
 */
export interface ApiTransport {
  request(request: ApiRequest, options?: ApiCallOptions): Promise<ApiResponse>;
  /** Drops idle connections and refuses nothing in flight; safe to call twice. */
  close(): void;
}

/** The header an SQS JSON-protocol request carries (`AmazonSQS.<Action>`). */
export const SQS_TARGET_HEADER = 'x-amz-target';
