// A RESPONSE_STREAM function URL's answer from a streaming handler's bytes: a plain content type is
// a 200 that streams as is; HttpResponseStream's content type starts with a JSON prelude and 8 NUL
// bytes, which become the status, headers and cookies, however the chunks cut them.
import { validateHeaderName, validateHeaderValue } from 'node:http';
import t from 'tap';
import { HTTP_INTEGRATION_CONTENT_TYPE, MAX_PRELUDE_BYTES, UrlResponseStream, type UrlStreamOut } from './url-response-stream.js';

const CORS: Array<[string, string]> = [
  ['access-control-allow-origin', 'https://example.com'],
  ['vary', 'Origin'],
];
const NULS = new Uint8Array(8);

type Call = { head: [number, Array<[string, string]>] } | { write: string };

/** An HTTP side that records what went out, in order. */
function recorder(extra: Array<[string, string]> = CORS): { stream: UrlResponseStream; calls: Call[]; heads: () => number; body: () => string } {
  const calls: Call[] = [];
  const out: UrlStreamOut = {
    head: (status, headers) => calls.push({ head: [status, headers.map(([k, v]) => [k, v] as [string, string])] }),
    write: (data) => calls.push({ write: Buffer.from(data).toString('latin1') }),
  };
  return {
    stream: new UrlResponseStream(out, extra),
    calls,
    heads: () => calls.filter((c) => 'head' in c).length,
    body: () => calls.map((c) => ('write' in c ? c.write : '')).join(''),
  };
}

const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const prelude = (p: unknown): Uint8Array => Buffer.from(JSON.stringify(p));
const cat = (...parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);

t.test('a plain content type: 200 with that type, the body as is, the head once', async (t) => {
  const r = recorder();
  t.equal(r.stream.started, false);
  r.stream.chunk(bytes('first;'), 'text/plain; charset=utf-8');
  t.equal(r.stream.started, true, 'the head went out with the first bytes');
  r.stream.chunk(bytes('second;'), undefined);
  r.stream.chunk(new Uint8Array(0), undefined);
  r.stream.chunk(bytes('\0\0\0\0\0\0\0\0third'), undefined);
  r.stream.end('text/html');
  t.same(r.calls, [
    { head: [200, [['content-type', 'text/plain; charset=utf-8'], ...CORS]] },
    { write: 'first;' },
    { write: 'second;' },
    { write: '\0\0\0\0\0\0\0\0third' },
  ]);
  t.equal(r.stream.broken, false);
});

t.test('no content type with the first chunk is application/octet-stream; an empty first chunk sends the head only', async (t) => {
  const r = recorder([]);
  r.stream.chunk(new Uint8Array(0), undefined);
  t.same(r.calls, [{ head: [200, [['content-type', 'application/octet-stream']]] }], 'no write of zero bytes');
  r.stream.chunk(bytes('x'), 'text/plain');
  t.same(r.calls.at(-1), { write: 'x' });
  t.equal(r.heads(), 1);
});

t.test('a prelude in one chunk: its status and headers, then the body after the delimiter', async (t) => {
  const r = recorder();
  const p = prelude({ statusCode: 201, headers: { 'Content-Type': 'text/plain', 'X-Streamed': 'yes' } });
  r.stream.chunk(cat(p, NULS, bytes('hello ')), HTTP_INTEGRATION_CONTENT_TYPE);
  r.stream.chunk(bytes('world'), undefined);
  r.stream.end(undefined);
  t.same(r.calls, [
    { head: [201, [['content-type', 'text/plain'], ['x-streamed', 'yes'], ...CORS]] },
    { write: 'hello ' },
    { write: 'world' },
  ]);
});

t.test('the integration content type is matched without case or parameters, and never sent to the client', async (t) => {
  for (const type of [HTTP_INTEGRATION_CONTENT_TYPE, 'Application/VND.awslambda.http-integration-response; charset=utf-8']) {
    const r = recorder([]);
    r.stream.chunk(cat(prelude({ statusCode: 204 }), NULS), type);
    t.same(r.calls, [{ head: [204, []] }], type);
  }
});

t.test('a prelude with nothing after the delimiter sends the head now, and no empty write', async (t) => {
  const r = recorder([]);
  r.stream.chunk(cat(prelude({ statusCode: 202, headers: { a: 'b' } }), NULS), HTTP_INTEGRATION_CONTENT_TYPE);
  t.same(r.calls, [{ head: [202, [['a', 'b']]] }]);
  t.equal(r.stream.started, true);
});

t.test('a prelude split across three chunks, the delimiter cut in the middle', async (t) => {
  const p = prelude({ statusCode: 418, headers: { 'x-a': '1' }, cookies: ['c=1'] });
  const cut = Math.floor(p.length / 2);
  for (const inDelimiter of [1, 3, 5, 7]) {
    const r = recorder();
    r.stream.chunk(p.subarray(0, cut), HTTP_INTEGRATION_CONTENT_TYPE);
    t.same(r.calls, [], 'half a prelude: nothing yet');
    r.stream.chunk(cat(p.subarray(cut), NULS.subarray(0, inDelimiter)), undefined);
    t.same(r.calls, [], `${inDelimiter} of the 8 NULs: still nothing`);
    t.equal(r.stream.started, false);
    // The body itself starts with NULs: only the first 8 are the delimiter.
    r.stream.chunk(cat(NULS.subarray(inDelimiter), bytes('\0\0body')), undefined);
    r.stream.chunk(bytes('+more'), undefined);
    t.same(
      r.calls,
      [{ head: [418, [['x-a', '1'], ['set-cookie', 'c=1'], ...CORS]] }, { write: '\0\0body' }, { write: '+more' }],
      `delimiter cut after ${inDelimiter} NULs`,
    );
    t.equal(r.stream.broken, false);
  }
});

t.test('a prelude fed one byte at a time', async (t) => {
  const r = recorder([]);
  const all = cat(prelude({ statusCode: 200, headers: { 'content-type': 'text/html' } }), NULS, bytes('<p>'));
  r.stream.chunk(all.subarray(0, 1), HTTP_INTEGRATION_CONTENT_TYPE);
  for (let i = 1; i < all.length; i++) r.stream.chunk(all.subarray(i, i + 1), undefined);
  t.same(r.calls, [{ head: [200, [['content-type', 'text/html']]] }, { write: '<' }, { write: 'p' }, { write: '>' }]);
});

t.test('cookies become repeated set-cookie headers, in order, after the headers', async (t) => {
  const r = recorder();
  r.stream.chunk(cat(prelude({ statusCode: 200, headers: { 'X-One': '1' }, cookies: ['a=1; Path=/', 'b=2', 'c=3; HttpOnly'] }), NULS), HTTP_INTEGRATION_CONTENT_TYPE);
  t.same(r.calls, [
    {
      head: [
        200,
        [
          ['x-one', '1'],
          ['set-cookie', 'a=1; Path=/'],
          ['set-cookie', 'b=2'],
          ['set-cookie', 'c=3; HttpOnly'],
          ...CORS,
        ],
      ],
    },
  ]);
});

t.test('header names are lower-cased; values are strings; null and undefined values are dropped', async (t) => {
  const r = recorder([]);
  r.stream.chunk(
    cat(prelude({ statusCode: 200, headers: { 'Content-Type': 'text/csv', 'X-MiXeD-CaSe': 'KeepsValueCase', 'X-Count': 3, 'X-Null': null } }), NULS),
    HTTP_INTEGRATION_CONTENT_TYPE,
  );
  t.same(r.calls, [
    {
      head: [
        200,
        [
          ['content-type', 'text/csv'],
          ['x-mixed-case', 'KeepsValueCase'],
          ['x-count', '3'],
        ],
      ],
    },
  ]);
});

t.test('header values and cookies with CR or LF are dropped (no response splitting); the rest stays', async (t) => {
  const r = recorder([]);
  r.stream.chunk(
    cat(
      prelude({
        statusCode: 200,
        headers: { 'x-good': 'ok', 'x-split': 'a\r\nSet-Cookie: evil=1', 'x-lf': 'a\nb', 'x-cr': 'a\rb' },
        cookies: ['good=1', 'bad=1\r\nX-Injected: 1', 'bad2=\n'],
      }),
      NULS,
    ),
    HTTP_INTEGRATION_CONTENT_TYPE,
  );
  t.same(r.calls, [
    {
      head: [
        200,
        [
          ['x-good', 'ok'],
          ['set-cookie', 'good=1'],
        ],
      ],
    },
  ]);
});

t.test(
  'every header that goes out is one Node can send (the shell passes them to writeHead on the zone link\'s frame handler)',
  {},
  async (t) => {
    const r = recorder([]);
    r.stream.chunk(
      cat(prelude({ statusCode: 200, headers: { 'bad name': 'x', 'x:y': 'x', 'x-nul': 'a\u0000b', 'x-arrow': '→', 'x-ok': 'ok' } }), NULS),
      HTTP_INTEGRATION_CONTENT_TYPE,
    );
    t.equal(r.heads(), 1);
    const first = r.calls[0];
    const headers = first && 'head' in first ? first.head[1] : [];
    for (const [k, v] of headers) {
      t.doesNotThrow(() => validateHeaderName(k), `name ${JSON.stringify(k)}`);
      t.doesNotThrow(() => validateHeaderValue(k, v), `value of ${JSON.stringify(k)}`);
    }
    t.ok(headers.some(([k]) => k === 'x-ok'), 'valid headers kept');
  },
);

t.test(
  "a plain content type Node cannot send does not reach the head as is",
  {},
  async (t) => {
    const r = recorder([]);
    r.stream.chunk(bytes('x'), 'text/plain; x=\u2192');
    const first = r.calls[0];
    const headers = first && 'head' in first ? first.head[1] : [];
    for (const [k, v] of headers) t.doesNotThrow(() => validateHeaderValue(k, v), `value of ${JSON.stringify(k)}`);
  },
);

t.test('statusCode absent is 200; a numeric string is taken', async (t) => {
  for (const [p, status] of [
    [{}, 200],
    [{ headers: { a: 'b' } }, 200],
    [{ statusCode: '404' }, 404],
    [{ statusCode: 100 }, 100],
    [{ statusCode: 599 }, 599],
  ] as const) {
    const r = recorder([]);
    r.stream.chunk(cat(prelude(p), NULS), HTTP_INTEGRATION_CONTENT_TYPE);
    t.equal(r.calls[0] && 'head' in r.calls[0] ? r.calls[0].head[0] : undefined, status, JSON.stringify(p));
  }
});

t.test('a bad prelude breaks the stream: nothing is written, later chunks and end() are ignored', async (t) => {
  const bad: Array<[string, Uint8Array]> = [
    ['not JSON', bytes('{"statusCode": 200')],
    ['JSON but not an object', prelude([200])],
    ['null', bytes('null')],
    ['a string', prelude('200')],
    ['status not a number', prelude({ statusCode: 'teapot' })],
    ['status below 100', prelude({ statusCode: 99 })],
    ['status above 599', prelude({ statusCode: 600 })],
    ['status not an integer', prelude({ statusCode: 200.5 })],
    ['status null', prelude({ statusCode: null })],
  ];
  for (const [name, p] of bad) {
    const r = recorder();
    r.stream.chunk(cat(p, NULS, bytes('body')), HTTP_INTEGRATION_CONTENT_TYPE);
    r.stream.chunk(bytes('more'), undefined);
    r.stream.end(undefined);
    t.equal(r.stream.broken, true, `${name}: broken`);
    t.equal(r.stream.started, false, `${name}: not started`);
    t.same(r.calls, [], `${name}: nothing written`);
  }
});

t.test('a prelude longer than MAX_PRELUDE_BYTES without its delimiter breaks the stream', async (t) => {
  const r = recorder();
  const long = cat(bytes('{"statusCode":200,"headers":{"x":"'), Buffer.alloc(MAX_PRELUDE_BYTES - 40, 'a'));
  r.stream.chunk(long, HTTP_INTEGRATION_CONTENT_TYPE);
  t.equal(r.stream.broken, false, 'under the bound: still waiting');
  // Up to the bound plus the delimiter's 8 bytes is still waited for.
  const upTo = MAX_PRELUDE_BYTES + 8 - long.length;
  r.stream.chunk(Buffer.alloc(upTo, 'a'), undefined);
  t.equal(r.stream.broken, false, 'exactly at the bound: still waiting');
  r.stream.chunk(bytes('a'), undefined);
  t.equal(r.stream.broken, true, 'one byte past: broken');
  r.stream.chunk(cat(bytes('"}}'), NULS, bytes('body')), undefined);
  r.stream.end(undefined);
  t.same(r.calls, [], 'nothing written, even once a delimiter comes');
  t.equal(r.stream.started, false);

  const one = recorder();
  one.stream.chunk(Buffer.alloc(MAX_PRELUDE_BYTES + 9, 'x'), HTTP_INTEGRATION_CONTENT_TYPE);
  t.equal(one.stream.broken, true, 'in a single chunk too');
  one.stream.end(undefined);
  t.same(one.calls, []);
});

t.test(
  'a prelude longer than MAX_PRELUDE_BYTES is refused even when its delimiter comes with its last chunk',
  {},
  async (t) => {
    const r = recorder([]);
    const p = prelude({ statusCode: 200, headers: { 'x-big': 'a'.repeat(MAX_PRELUDE_BYTES + 1024) } });
    r.stream.chunk(p.subarray(0, 1000), HTTP_INTEGRATION_CONTENT_TYPE);
    r.stream.chunk(cat(p.subarray(1000), NULS, bytes('body')), undefined);
    t.equal(r.stream.broken, true);
    t.same(r.calls, []);
  },
);

t.test('an empty stream: end() sends a 200 with the content type it is given', async (t) => {
  const plain = recorder();
  plain.stream.end(undefined);
  t.same(plain.calls, [{ head: [200, [['content-type', 'application/octet-stream'], ...CORS]] }]);
  t.equal(plain.stream.started, true);

  const typed = recorder([]);
  typed.stream.end('text/event-stream');
  typed.stream.end('text/event-stream');
  t.same(typed.calls, [{ head: [200, [['content-type', 'text/event-stream']]] }], 'once, however often end() is called');

  const integration = recorder([]);
  integration.stream.end(HTTP_INTEGRATION_CONTENT_TYPE);
  t.same(integration.calls, [{ head: [200, []] }], 'an HttpResponseStream that wrote nothing: 200, its content type not sent');
});

t.test('end() after the head went out adds nothing', async (t) => {
  const r = recorder([]);
  r.stream.chunk(bytes('x'), 'text/plain');
  r.stream.end('application/json');
  t.same(r.calls, [{ head: [200, [['content-type', 'text/plain']]] }, { write: 'x' }]);
});

t.test('a prelude without its delimiter at end() is read as the whole prelude', async (t) => {
  const r = recorder();
  const p = prelude({ statusCode: 302, headers: { Location: 'https://example.com/' }, cookies: ['s=1'] });
  r.stream.chunk(p.subarray(0, 10), HTTP_INTEGRATION_CONTENT_TYPE);
  r.stream.chunk(p.subarray(10), undefined);
  t.same(r.calls, []);
  r.stream.end(undefined);
  t.same(r.calls, [{ head: [302, [['location', 'https://example.com/'], ['set-cookie', 's=1'], ...CORS]] }]);

  const bad = recorder();
  bad.stream.chunk(bytes('{"statusCode":'), HTTP_INTEGRATION_CONTENT_TYPE);
  bad.stream.end(undefined);
  t.equal(bad.stream.broken, true, 'a cut prelude at the end is broken');
  t.same(bad.calls, []);
});

t.test('a content type that came only with the ending decides (no chunk named one)', async (t) => {
  const r = recorder([]);
  r.stream.end(HTTP_INTEGRATION_CONTENT_TYPE);
  t.same(r.calls, [{ head: [200, []] }]);
});

t.test("the extra (CORS) headers follow every head's own headers", async (t) => {
  const extra: Array<[string, string]> = [
    ['access-control-allow-origin', '*'],
    ['access-control-expose-headers', 'x-streamed'],
  ];
  const heads: Array<Array<[string, string]>> = [];
  const take = (r: ReturnType<typeof recorder>): void => {
    const h = r.calls.find((c) => 'head' in c);
    if (h && 'head' in h) heads.push(h.head[1]);
  };
  const a = recorder(extra);
  a.stream.chunk(bytes('x'), 'text/plain');
  take(a);
  const b = recorder(extra);
  b.stream.chunk(cat(prelude({ statusCode: 200, headers: { 'x-streamed': 'yes' }, cookies: ['k=v'] }), NULS), HTTP_INTEGRATION_CONTENT_TYPE);
  take(b);
  const c = recorder(extra);
  c.stream.end(undefined);
  take(c);
  const d = recorder(extra);
  d.stream.chunk(prelude({ statusCode: 201 }), HTTP_INTEGRATION_CONTENT_TYPE);
  d.stream.end(undefined);
  take(d);
  t.equal(heads.length, 4);
  for (const h of heads) t.same(h.slice(-extra.length), extra, JSON.stringify(h));
  t.same(extra, [
    ['access-control-allow-origin', '*'],
    ['access-control-expose-headers', 'x-streamed'],
  ], 'the caller\'s list is not changed');
});
