import t from 'tap';
import { ManualClock } from '@zonesim/common';
import { Phase } from './phase.js';

t.test('steps fire on the clock until the phase ends; nothing fires after', async (t) => {
  const clock = new ManualClock();
  const fired: string[] = [];
  const phase = new Phase(clock, undefined, () => fired.push('aborted'));
  phase.at(10, () => fired.push('a'));
  phase.at(20, () => {
    fired.push('b');
    phase.end();
  });
  phase.at(30, () => fired.push('c'));
  clock.advance(40);
  t.same(fired, ['a', 'b']);
});

t.test('an abort ends it once, with the signal\'s reason; one aborted before it began applies at checkSignal', async (t) => {
  const clock = new ManualClock();
  const reasons: string[] = [];
  const controller = new AbortController();
  const phase = new Phase(clock, controller.signal, (r) => reasons.push(r));
  phase.at(10, () => reasons.push('deadline'));
  controller.abort(new Error('caller gone'));
  phase.abort('again');
  clock.advance(20);
  t.same(reasons, ['caller gone'], 'once, and the deadline no longer fires');

  const early = new AbortController();
  early.abort('too late');
  const seen: string[] = [];
  const late = new Phase(clock, early.signal, (r) => seen.push(r));
  t.same(seen, [], 'not before checkSignal');
  late.checkSignal();
  t.same(seen, ['too late']);
});
