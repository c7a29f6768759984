import type { Entropy } from '@zonesim/common';
import { invalidParameter, validationError } from '../errors.js';

/** A function URL's CORS settings (Lambda's `Cors`). */
export interface CorsConfig {
  AllowCredentials?: boolean;
  AllowHeaders?: string[];
  AllowMethods?: string[];
  AllowOrigins?: string[];
  ExposeHeaders?: string[];
  MaxAge?: number;
}

/** One function URL, as zonesim keeps it. */
export interface FunctionUrlRecord {
  /** 32 lowercase letters and digits; never changes. */
  urlId: string;
  functionName: string;
  /** An alias name, or absent for the unqualified function. */
  qualifier?: string;
  authType: 'NONE' | 'AWS_IAM';
  cors?: CorsConfig;
  invokeMode: 'BUFFERED' | 'RESPONSE_STREAM';
  /** Epoch ms. */
  createdAt: number;
  lastModified: number;
}

/** Lambda's model pattern for a URL's qualifier: an alias name (no version numbers, no `$LATEST`). */
const URL_QUALIFIER = /^(?!\d+$)[0-9a-zA-Z_-]{1,128}$/;

/** Checks a URL's `Qualifier` query parameter. */
export function checkUrlQualifier(q: string | null): string | undefined {
  if (q === null || q === '') return undefined;
  if (!URL_QUALIFIER.test(q)) throw validationError('qualifier', q, 'Member must satisfy regular expression pattern: ((?!^\\d+$)^[0-9a-zA-Z-_]+$)');
  return q;
}

/** A new URL id: 32 characters of `[a-z0-9]`, as Lambda's. */
export function newUrlId(entropy: Entropy): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...entropy.bytes(32)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** The settable fields of Create/UpdateFunctionUrlConfig; `create` requires `AuthType`. */
export function parseUrlSettings(body: Record<string, unknown>, create: boolean): Partial<Pick<FunctionUrlRecord, 'authType' | 'cors' | 'invokeMode'>> {
  const out: Partial<Pick<FunctionUrlRecord, 'authType' | 'cors' | 'invokeMode'>> = {};
  const auth = body['AuthType'];
  if (auth === undefined || auth === null) {
    if (create) throw validationError('authType', 'null', 'Member must not be null');
  } else if (auth !== 'NONE' && auth !== 'AWS_IAM') {
    throw validationError('authType', auth, 'Member must satisfy enum value set: [NONE, AWS_IAM]');
  } else out.authType = auth;
  const mode = body['InvokeMode'];
  if (mode !== undefined && mode !== null) {
    if (mode !== 'BUFFERED' && mode !== 'RESPONSE_STREAM') throw validationError('invokeMode', mode, 'Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]');
    out.invokeMode = mode;
  }
  const cors = body['Cors'];
  if (cors !== undefined && cors !== null) out.cors = parseCors(cors);
  return out;
}

function parseCors(raw: unknown): CorsConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalidParameter('Cors must be an object.');
  const c = raw as Record<string, unknown>;
  const out: CorsConfig = {};
  const list = (k: 'AllowHeaders' | 'AllowMethods' | 'AllowOrigins' | 'ExposeHeaders', max: number): void => {
    const v = c[k];
    if (v === undefined || v === null) return;
    if (!Array.isArray(v) || v.length > max || !v.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 1024)) {
      throw validationError(`cors.${k[0]!.toLowerCase()}${k.slice(1)}`, JSON.stringify(v), `Member must have length less than or equal to ${max}`);
    }
    out[k] = v as string[];
  };
  list('AllowHeaders', 100);
  list('AllowMethods', 6);
  list('AllowOrigins', 100);
  list('ExposeHeaders', 100);
  if (c['AllowCredentials'] !== undefined && c['AllowCredentials'] !== null) {
    if (typeof c['AllowCredentials'] !== 'boolean') throw invalidParameter('Cors.AllowCredentials must be a boolean.');
    out.AllowCredentials = c['AllowCredentials'];
  }
  const age = c['MaxAge'];
  if (age !== undefined && age !== null) {
    if (typeof age !== 'number' || !Number.isInteger(age) || age < 0 || age > 86_400) throw validationError('cors.maxAge', age, 'Member must have value less than or equal to 86400');
    out.MaxAge = age;
  }
  return out;
}

/** CORS answer headers for a request from `origin` (none when the origin is not allowed). */
export function corsHeaders(cors: CorsConfig | undefined, origin: string | undefined, preflight: boolean): Array<[string, string]> {
  if (!cors || !origin) return [];
  const origins = cors.AllowOrigins ?? [];
  const allowed = origins.includes('*') ? (cors.AllowCredentials ? origin : '*') : origins.includes(origin) ? origin : undefined;
  if (!allowed) return [];
  const out: Array<[string, string]> = [['access-control-allow-origin', allowed]];
  if (cors.AllowCredentials) out.push(['access-control-allow-credentials', 'true']);
  if (preflight) {
    if (cors.AllowMethods?.length) out.push(['access-control-allow-methods', cors.AllowMethods.join(',')]);
    if (cors.AllowHeaders?.length) out.push(['access-control-allow-headers', cors.AllowHeaders.join(',')]);
    if (cors.MaxAge !== undefined) out.push(['access-control-max-age', String(cors.MaxAge)]);
  } else if (cors.ExposeHeaders?.length) {
    out.push(['access-control-expose-headers', cors.ExposeHeaders.join(',')]);
  }
  return out;
}
