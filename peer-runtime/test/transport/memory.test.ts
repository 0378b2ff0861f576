import { createMemoryTransport, MemoryNetwork } from '../../src/transport/memory.js';
import { transportContract } from './contract.js';

// Small frames (16 KiB) so framing, reassembly and backpressure work hard even on short messages.
transportContract('memory', async () => {
  const network = new MemoryNetwork({ maxMessageSize: 16 * 1024 });
  return {
    peer: async (peerId, options) => createMemoryTransport(network, peerId, options),
    close: async () => {},
  };
});
