export { assertDeterministic } from './determinism.js';
export {
  type DiskOptions,
  StaleHandleError,
} from './disk-options.js';
export {
  HistoryRecorder,
  isPending,
  type Operation,
  validateHistory,
} from './history.js';
export { type ReportInput, renderHistoryReport, writeHistoryReport } from './history-report.js';
export { withoutUnseenPendingPuts } from './kv-history.js';
export { type KvInput, kvModel } from './kv-model.js';
export { type Latency, sampleLatency } from './latency.js';
export {
  type CheckOptions,
  type CheckResult,
  checkLinearizable,
  type LinearizedStep,
} from './linearizability.js';
export type { Model } from './model.js';
export {
  type FaultKind,
  Nemesis,
  type NemesisOptions,
  type NemesisTarget,
} from './nemesis.js';
export {
  type DropReason,
  type Envelope,
  type LinkConfig,
  type MessageFilter,
  type MessageHandler,
  Network,
  type NetworkCounters,
  type NetworkOptions,
} from './network.js';
export { NodeClock } from './node-clock.js';
export { normalizeSeed, Prng, type Seed } from './prng.js';
export { type RegisterInput, registerModel } from './register-model.js';
export {
  type CancelTimer,
  type RunOptions,
  Scheduler,
  type SchedulerOptions,
  StepLimitError,
} from './scheduler.js';
export { SimDisk } from './sim-disk.js';
export { type DiskStats, SimFile } from './sim-file.js';
export { SimKv } from './sim-kv.js';
export { forEachSeed, type SeedOptions, seedsFromEnv, simulate } from './simulate.js';
export { type Host, type NodeFactory, Simulation, type SimulationOptions } from './simulation.js';
