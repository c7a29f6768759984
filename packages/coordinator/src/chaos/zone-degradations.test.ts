import t from 'tap';
import type { Membership } from '../membership/membership.js';
import type { NodeSession } from '../membership/node-session.js';
import { ZoneDegradations } from './zone-degradations.js';

function fakeSession(nodeId: string, zone: string, sent: Array<[string, number]>): NodeSession {
  return { nodeId, zone, send: (m: { failRate: number }) => sent.push([nodeId, m.failRate]) } as unknown as NodeSession;
}

t.test('gray failures of a zone or of one node; a node\'s own wins; healing sends each node what is left', async (t) => {
  const sent: Array<[string, number]> = [];
  const sessions = [fakeSession('a1', 'az-a', sent), fakeSession('a2', 'az-a', sent), fakeSession('b1', 'az-b', sent)];
  const d = new ZoneDegradations({ sessions: () => sessions } as unknown as Membership);
  d.set({ nodeId: 'a1' }, { slowFactor: 1, failRate: 1 });
  t.same(sent.splice(0), [['a1', 1]], 'only that node');
  d.set({ zone: 'az-a' }, { slowFactor: 1, failRate: 0.3 });
  t.same(sent.splice(0), [['a1', 1], ['a2', 0.3]], 'its own degradation wins over its zone\'s');
  d.heal({ nodeId: 'a1' });
  t.same(sent.splice(0), [['a1', 0.3]], 'healed alone, it is back to its zone\'s');
  d.heal({ zone: 'az-a' });
  t.same(sent.splice(0), [['a1', 0], ['a2', 0]]);
  const late: Array<[string, number]> = [];
  d.set({ nodeId: 'c1' }, { slowFactor: 2, failRate: 0.5 });
  d.onSession(fakeSession('c1', 'az-c', late));
  t.same(late, [['c1', 0.5]], 'a node that joins later gets its degradation');
  t.same(d.list(), [{ nodeId: 'c1', slowFactor: 2, failRate: 0.5 }]);
});
