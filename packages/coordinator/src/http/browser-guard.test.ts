import t from 'tap';
import { LambdaApiError } from '../errors.js';
import { BrowserGuard, hostName } from './browser-guard.js';

/** The error `fn` throws (undefined when it does not). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

const refused = (err: unknown): boolean => err instanceof LambdaApiError && err.status === 403 && err.type === 'AccessDeniedException';

t.test('Host allowlist: IPs, localhost, the listen host, configured names and function URL hosts', async (t) => {
  const guard = new BrowserGuard({ listenHost: 'build-box', allowedHosts: ['zonesim.test', '.lab.test'] });
  for (const host of ['127.0.0.1:4599', '10.1.2.3', '[::1]:4599', 'localhost', 'LOCALHOST:1', 'x.localhost', 'build-box:4599', 'zonesim.test', 'a.lab.test', `${'a'.repeat(32)}.lambda-url.us-east-1.on.aws`]) {
    t.doesNotThrow(() => guard.checkHost({ host }), host);
  }
  for (const host of ['evil.example', 'zonesim.test.evil.example', 'lab.test.evil', 'localhost.evil.example', 'build-box.evil']) {
    t.ok(refused(thrown(() => guard.checkHost({ host }))), host);
  }
  t.doesNotThrow(() => guard.checkHost({}), 'no Host (HTTP/1.0)');
  t.equal(hostName('[::1]:80'), '::1');
  t.equal(hostName('a.b:1'), 'a.b');
});

t.test('same origin: Origin must name this host; Sec-Fetch-Site tells on GETs without one', async (t) => {
  const guard = new BrowserGuard({ listenHost: '127.0.0.1', allowedHosts: [] });
  t.doesNotThrow(() => guard.checkSameOrigin({ host: '127.0.0.1:4599' }), 'scripts send neither');
  t.doesNotThrow(() => guard.checkSameOrigin({ host: '127.0.0.1:4599', origin: 'http://127.0.0.1:4599' }), 'the dashboard');
  t.doesNotThrow(() => guard.checkSameOrigin({ host: 'localhost', origin: 'http://localhost:80' }), 'a default port written out');
  t.doesNotThrow(() => guard.checkSameOrigin({ host: 'x', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' }), 'following a link');
  t.doesNotThrow(() => guard.checkSameOrigin({ host: 'x', 'sec-fetch-site': 'same-origin' }));
  t.doesNotThrow(() => guard.checkSameOrigin({ host: 'x', 'sec-fetch-site': 'none' }), 'typed in the address bar');
  t.ok(refused(thrown(() => guard.checkSameOrigin({ host: '127.0.0.1:4599', origin: 'https://evil.example' }))));
  t.ok(refused(thrown(() => guard.checkSameOrigin({ host: '127.0.0.1:4599', origin: 'http://127.0.0.1:4600' }))), 'another port');
  t.ok(refused(thrown(() => guard.checkSameOrigin({ host: '127.0.0.1:4599', origin: 'null' }))));
  t.ok(refused(thrown(() => guard.checkSameOrigin({ host: '127.0.0.1:4599', origin: 'not a url' }))));
  t.ok(refused(thrown(() => guard.checkSameOrigin({ host: '127.0.0.1:4599', origin: 'file:///x' }))));
  t.ok(refused(thrown(() => guard.checkSameOrigin({ origin: 'http://127.0.0.1:4599' }))), 'no Host to compare');
  t.ok(refused(thrown(() => guard.checkSameOrigin({ host: 'x', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' }))));
  t.ok(refused(thrown(() => guard.checkSameOrigin({ host: 'x', 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' }))));
});
