/** Environment variable that carries the cluster token (kept out of argv, where `ps` shows it). */
export const TOKEN_ENV = 'ZONESIM_CLUSTER_TOKEN';

/** The cluster token from a flag or the environment, or a clear error. */
export function tokenFrom(flag: string | undefined): string {
  const token = flag ?? process.env[TOKEN_ENV];
  if (!token) throw new Error(`a cluster token is required: pass --token or set ${TOKEN_ENV}`);
  return token;
}
