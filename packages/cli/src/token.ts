import { readFileSync, statSync } from 'node:fs';
import { TOKEN_ENV } from '@zonesim/runner';

export { TOKEN_ENV } from '@zonesim/runner';

/**
 * The cluster token from a flag, a file or the environment, or a clear error. The local supervisor
 * passes a file (`--token-file`, mode 0600) so that the token is not in the processes' environment:
 * `/proc/<pid>/environ` of a zone node would show it to any process of the same user (issue 15).
 * A file that other users may read is refused, as ssh refuses such a key.
 */
export function tokenFrom(flag: string | undefined, file?: string): string {
  if (file !== undefined) {
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) throw new Error(`the token file ${file} may be read by other users (mode ${mode.toString(8)}); chmod 600 it`);
    const token = readFileSync(file, 'utf8').trim();
    if (!token) throw new Error(`the token file ${file} is empty`);
    return token;
  }
  const token = flag ?? process.env[TOKEN_ENV];
  if (!token) throw new Error(`a cluster token is required: pass --token, --token-file or set ${TOKEN_ENV}`);
  return token;
}
