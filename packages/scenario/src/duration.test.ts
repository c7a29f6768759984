import t from 'tap';
import { durationProblem, formatDuration, parseDuration } from './duration.js';

t.test('durations parse with units, compounds, decimals and ISO-8601', async (t) => {
  t.equal(parseDuration('500ms'), 500);
  t.equal(parseDuration('20s'), 20_000);
  t.equal(parseDuration('2m'), 120_000);
  t.equal(parseDuration('1h'), 3_600_000);
  t.equal(parseDuration('1m30s'), 90_000);
  t.equal(parseDuration('1.5s'), 1_500);
  t.equal(parseDuration('0.1s'), 100);
  t.equal(parseDuration('PT1M30S'), 90_000);
  t.equal(parseDuration('PT0.5S'), 500);
  t.equal(parseDuration(0), 0);
  t.equal(parseDuration('0s'), 0);
});

t.test('anything else is not a duration, with a hint', async (t) => {
  for (const bad of ['20x', '', 's', '1.5', '-1s', '10 s', 'PT', 'P', 60, true, null, {}]) t.equal(parseDuration(bad), undefined, JSON.stringify(bad));
  t.equal(durationProblem('20x'), '"20x" is not a duration (use 500ms, 20s, 2m)');
  t.equal(durationProblem(60), '60 has no unit: write 60ms or 60s (use 500ms, 20s, 2m)');
});

t.test('formatDuration is short and exact', async (t) => {
  t.same([250, 1500, 60_000, 90_000, 3_600_000, 3_690_000].map(formatDuration), ['250ms', '1.5s', '1m', '1m30s', '1h', '1h1m30s']);
});
