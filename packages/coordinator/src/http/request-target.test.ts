import t from 'tap';
import { LambdaApiError } from '../errors.js';
import { parseRequestTarget } from './request-target.js';

/** The error `fn` throws (undefined when it does not). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

t.test('keeps a valid path as sent and parses the query', async (t) => {
  const target = parseRequestTarget('/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af?Qualifier=1&x=%20');
  t.equal(target.path, '/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af');
  t.equal(target.rawQuery, 'Qualifier=1&x=%20');
  t.equal(target.query.get('Qualifier'), '1');
  t.equal(target.query.get('x'), ' ');
  t.equal(parseRequestTarget(undefined).path, '/');
});

t.test('refuses every target that could be read two ways', async (t) => {
  for (const bad of [
    '/a/%zz', '/a/%', '/a/%f', '/a/%ff', '/a?b=%g0',
    '/a/../b', '/a/./b', '/zonesim/url/x/%2e%2e/y', '/a/%2E%2e/b', '/a/.%2e',
    '/a\\..\\b', '/a/%5c', '/a/%00', '/a/%0d%0a',
    '*', 'http://evil/a', '',
  ]) {
    const err = thrown(() => parseRequestTarget(bad));
    t.ok(err instanceof LambdaApiError && err.status === 400 && err.type === 'InvalidParameterValueException', `refused: ${JSON.stringify(bad)}`);
  }
});

t.test('dots inside a segment are just characters', async (t) => {
  t.equal(parseRequestTarget('/a/..b/c...d/.e').path, '/a/..b/c...d/.e');
});
