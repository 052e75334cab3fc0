/**
 * Switchyard in one import. The core API is at the top level; each other
 * package is a namespace, so names never collide and a reader sees where a
 * thing comes from. Installing only the packages you need works just as well.
 */

export * as cluster from '@switchyard/cluster';
export * as codec from '@switchyard/codec';
export * from '@switchyard/core';
export * as gossip from '@switchyard/gossip';
export * as http from '@switchyard/http';
export * as raft from '@switchyard/raft';
export * as stream from '@switchyard/stream';
export * as tcp from '@switchyard/tcp';
export * as ws from '@switchyard/ws';
export {
  type ClusteredOptions,
  createClusteredEdge,
  createSingleNodeEdge,
  type PresetEdge,
  type SingleNodeOptions,
} from './presets.js';
