import { PROTOCOL_VERSION } from '../version.js';

/** A valid zone node `hello`, new on each call (tests change or freeze it). */
export function sampleHello(): {
  type: 'hello';
  protocolVersion: number;
  clusterToken: string;
  zone: string;
  nodeId: string;
  capacity: { memoryMb: number; maxEnvironments: number };
  isolation: string;
  runtimes: string[];
} {
  return {
    type: 'hello',
    protocolVersion: PROTOCOL_VERSION,
    clusterToken: 'secret',
    zone: 'az-a',
    nodeId: 'node-1',
    capacity: { memoryMb: 4096, maxEnvironments: 16 },
    isolation: 'process',
    runtimes: ['nodejs20.x'],
  };
}
