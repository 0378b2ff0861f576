import { createMemoryStore, memoryStoreRecordsForTesting } from '../../src/store/memory.js';
import { resultStoreContract } from './contract.js';

resultStoreContract('memory', {
  open: async (options) => createMemoryStore(options),
  readRecord: async (store, hash) => memoryStoreRecordsForTesting(store).get(hash)?.slice(),
  writeRecord: async (store, hash, record) => {
    memoryStoreRecordsForTesting(store).set(hash, record);
  },
});
