import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** One file of the page, in memory. */
export interface DashboardAsset {
  body: Buffer;
  contentType: string;
}

/** Where the page's files are served (the page itself at `/`). */
export const DASHBOARD_ASSET_PREFIX = '/dashboard/';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function typeOf(file: string): string {
  const dot = file.lastIndexOf('.');
  return TYPES[dot < 0 ? '' : file.slice(dot)] ?? 'application/octet-stream';
}

/**
 * The dashboard's files, read once from the `@zonesim/dashboard` package (its `static/` and its
 * compiled `dist/`) and Chart.js's UMD build, and kept in memory (about 300 KB): nothing comes from
 * a CDN, so the page works offline. Only the files found at load are served (an allowlist by
 * exact path, so no path reaches the file system).
 */
export class DashboardAssets {
  #loading: Promise<Map<string, DashboardAsset>> | undefined;

  /** The asset at a URL path (`/` or `/dashboard/...`), or undefined. Rejects when the package is not built. */
  async get(path: string): Promise<DashboardAsset | undefined> {
    this.#loading ??= load().catch((err: unknown) => {
      this.#loading = undefined;
      throw err;
    });
    return (await this.#loading).get(path);
  }
}

async function load(): Promise<Map<string, DashboardAsset>> {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('@zonesim/dashboard/package.json'));
  // Chart.js as the dashboard package resolves it (its own dependency); the UMD build defines window.Chart.
  const chartDist = dirname(createRequire(join(root, 'package.json')).resolve('chart.js'));
  const files = new Map<string, DashboardAsset>();
  const add = async (urlPath: string, file: string): Promise<void> => {
    files.set(urlPath, { body: await readFile(file), contentType: typeOf(file) });
  };
  await add('/', join(root, 'static', 'index.html'));
  for (const f of await readdir(join(root, 'static'))) if (f !== 'index.html') await add(`${DASHBOARD_ASSET_PREFIX}${f}`, join(root, 'static', f));
  const dist = join(root, 'dist');
  for (const f of await readdir(dist)) {
    if (f.endsWith('.js') || f.endsWith('.js.map')) await add(`${DASHBOARD_ASSET_PREFIX}app/${f}`, join(dist, f));
  }
  if (!files.has(`${DASHBOARD_ASSET_PREFIX}app/main.js`)) throw new Error(`the dashboard is not built (no ${join(dist, 'main.js')}): run npm run build`);
  await add(`${DASHBOARD_ASSET_PREFIX}vendor/chart.umd.min.js`, join(chartDist, 'chart.umd.min.js'));
  return files;
}
