import { ManualClock } from '@zonesim/common';
import t from 'tap';
import { ProcessClock } from './process-clock.js';
import { Simulation } from './simulation.js';
import { clockContract } from './test-util/clock-contract.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

t.test('ManualClock', async (t) => {
  clockContract(t, () => {
    const clock = new ManualClock();
    return {
      clock,
      advance: async (ms) => {
        clock.advance(ms);
        await nextTurn(); // ManualClock's immediates run in the real loop's check phase
      },
      stall: async (ms) => {
        clock.stall(ms);
        await nextTurn();
      },
      pendingTimers: () => clock.pendingTimers,
    };
  });
});

t.test('ProcessClock', async (t) => {
  clockContract(t, () => {
    const sim = new Simulation();
    const clock = new ProcessClock(sim, { name: 'p' });
    return {
      clock,
      advance: (ms) => sim.runFor(ms),
      stall: async (ms) => {
        clock.pause();
        await sim.runFor(ms);
        clock.resume();
        await sim.runFor(0);
      },
      pendingTimers: () => clock.pendingTimers,
    };
  });
});
