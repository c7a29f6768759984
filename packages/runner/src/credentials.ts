import type { SigV4Credentials } from '@zonesim/coordinator';

/**
 * The environment variables that carry a cluster's secrets to its processes and clients, kept out
 * of argv (where `ps` shows them).
 */

/** Environment variable that carries the cluster token (kept out of argv, where `ps` shows it). */
export const TOKEN_ENV = 'ZONESIM_CLUSTER_TOKEN';

/** Environment variable with the API's access key id (both for `zonesim up`/`coordinator` and for client commands). */
export const ACCESS_KEY_ID_ENV = 'ZONESIM_ACCESS_KEY_ID';
/** Environment variable with the secret of {@link ACCESS_KEY_ID_ENV} (kept out of argv, where `ps` shows it). */
export const SECRET_ACCESS_KEY_ENV = 'ZONESIM_SECRET_ACCESS_KEY';

/**
 * API credentials from flags or, for each one missing, the environment; undefined when neither is
 * set, an error when only one of the pair is.
 */
export function apiCredentialsFrom(
  flags: { accessKeyId?: string | undefined; secretAccessKey?: string | undefined } = {},
  env: NodeJS.ProcessEnv = process.env,
): SigV4Credentials | undefined {
  const accessKeyId = flags.accessKeyId ?? env[ACCESS_KEY_ID_ENV];
  const secretAccessKey = flags.secretAccessKey ?? env[SECRET_ACCESS_KEY_ENV];
  if (!accessKeyId && !secretAccessKey) return undefined;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error(`API credentials come in pairs: give both --access-key-id and --secret-access-key (or ${ACCESS_KEY_ID_ENV} and ${SECRET_ACCESS_KEY_ENV})`);
  }
  return { accessKeyId, secretAccessKey };
}
