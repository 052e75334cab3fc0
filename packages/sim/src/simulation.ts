import type { DiskOptions } from './disk-options.js';
import { Nemesis, type NemesisOptions } from './nemesis.js';
import { type MessageHandler, Network, type NetworkOptions } from './network.js';
import { NodeClock } from './node-clock.js';
import { Prng, type Seed } from './prng.js';
import {
  type CancelTimer,
  type RunOptions,
  Scheduler,
  type SchedulerOptions,
} from './scheduler.js';
import { SimDisk } from './sim-disk.js';

/** What code running on a simulated node gets instead of real I/O, time and randomness. */
export interface Host<M> {
  readonly name: string;
  /** 1 on first start, +1 per restart. */
  readonly incarnation: number;
  /** This incarnation's own random stream. */
  readonly rng: Prng;
  /** This node's clock (may be skewed by the nemesis). */
  readonly clock: NodeClock;
  /** This node's disk; it survives crashes, open handles do not. */
  readonly disk: SimDisk;
  /** False once this incarnation has crashed: its timers and sends are then no-ops. */
  readonly alive: boolean;
  /** Node wall-clock time, ms. */
  now(): number;
  setTimer(delay: number, fn: () => void): CancelTimer;
  send(to: string, message: M): boolean;
  /** Sets the receive handler for this incarnation. */
  onMessage(handler: MessageHandler<M>): void;
}

/** Builds a node's software on a fresh host: at start and again at every restart. */
export type NodeFactory<M, T> = (host: Host<M>) => T;

export interface SimulationOptions<M> {
  seed: Seed;
  network?: NetworkOptions<M>;
  disk?: DiskOptions;
  scheduler?: SchedulerOptions;
  /** Most entries kept in `log` (oldest dropped). Default 10,000. */
  maxLogEntries?: number;
}

interface NodeSlot<M, T> {
  factory: NodeFactory<M, T>;
  clock: NodeClock;
  disk: SimDisk;
  incarnation: number;
  instance: T | undefined;
  host: HostImpl<M> | undefined;
  up: boolean;
}

class HostImpl<M> implements Host<M> {
  alive = true;
  handler: MessageHandler<M> | undefined;

  constructor(
    readonly name: string,
    readonly incarnation: number,
    readonly rng: Prng,
    readonly clock: NodeClock,
    readonly disk: SimDisk,
    private readonly net: Network<M>,
  ) {}

  now(): number {
    return this.clock.now();
  }

  setTimer(delay: number, fn: () => void): CancelTimer {
    if (!this.alive) return () => false;
    return this.clock.setTimer(delay, fn);
  }

  send(to: string, message: M): boolean {
    if (!this.alive) return false;
    return this.net.send(this.name, to, message);
  }

  onMessage(handler: MessageHandler<M>): void {
    this.handler = handler;
  }
}

/**
 * A whole simulated cluster on one seed: scheduler, network, and per-node
 * clock, disk and software. Crash, restart, pause and clock jumps act on
 * nodes; a nemesis drives them (see `Nemesis`).
 */
export class Simulation<M = unknown, T = unknown> {
  readonly seed: number;
  readonly rng: Prng;
  readonly scheduler: Scheduler;
  readonly net: Network<M>;
  /** Recent fault and lifecycle events, for failure reports. */
  readonly log: string[] = [];
  private readonly slots = new Map<string, NodeSlot<M, T>>();
  private readonly diskOptions: DiskOptions;
  private readonly maxLog: number;

  constructor(options: SimulationOptions<M>) {
    this.rng = new Prng(options.seed);
    this.seed = this.rng.seed;
    this.scheduler = new Scheduler(options.scheduler);
    this.net = new Network<M>(this.scheduler, this.rng.fork(), options.network);
    this.diskOptions = options.disk ?? {};
    this.maxLog = options.maxLogEntries ?? 10_000;
    if (!(this.maxLog >= 1)) throw new RangeError('maxLogEntries must be >= 1');
  }

  /** Adds a node and starts its software. */
  addNode(name: string, factory: NodeFactory<M, T>): T {
    if (this.slots.has(name)) throw new Error(`simulation: node ${name} already exists`);
    this.net.addNode(name);
    const slot: NodeSlot<M, T> = {
      factory,
      clock: new NodeClock(this.scheduler),
      disk: new SimDisk(this.scheduler, this.rng.fork(), this.diskOptions),
      incarnation: 0,
      instance: undefined,
      host: undefined,
      up: false,
    };
    this.slots.set(name, slot);
    return this.start(name, slot);
  }

  get nodes(): string[] {
    return [...this.slots.keys()];
  }

  now(): number {
    return this.scheduler.now();
  }

  /** The running software of a node, or undefined while it is crashed. */
  instance(name: string): T | undefined {
    return this.slot(name).instance;
  }

  /** The running software of every up node. */
  instances(): Array<[string, T]> {
    const out: Array<[string, T]> = [];
    for (const [n, s] of this.slots)
      if (s.up && s.instance !== undefined) out.push([n, s.instance]);
    return out;
  }

  host(name: string): Host<M> | undefined {
    return this.slot(name).host;
  }

  disk(name: string): SimDisk {
    return this.slot(name).disk;
  }

  clock(name: string): NodeClock {
    return this.slot(name).clock;
  }

  isUp(name: string): boolean {
    return this.slot(name).up;
  }

  isPaused(name: string): boolean {
    return this.slot(name).clock.isPaused;
  }

  /** Kills a node: timers cancelled, network cut, unsynced disk writes get the crash treatment. */
  crash(name: string): void {
    const s = this.slot(name);
    if (!s.up) return;
    s.up = false;
    if (s.host) s.host.alive = false;
    s.instance = undefined;
    s.clock.reset();
    this.net.setUp(name, false);
    s.disk.crash();
    this.record(`crash ${name}`);
  }

  /** Starts a crashed node again with a fresh incarnation built by its factory. */
  restart(name: string): T {
    const s = this.slot(name);
    if (s.up) throw new Error(`simulation: restart ${name}: node is running (crash it first)`);
    return this.start(name, s);
  }

  /** Stalls a node: its timers and incoming messages wait until `resume`. */
  pause(name: string): void {
    const s = this.slot(name);
    if (!s.up || s.clock.isPaused) return;
    s.clock.pause();
    this.net.pause(name);
    this.record(`pause ${name}`);
  }

  resume(name: string): void {
    const s = this.slot(name);
    if (!s.clock.isPaused) return;
    s.clock.resume();
    this.net.resume(name);
    this.record(`resume ${name}`);
  }

  /** Steps a node's wall clock by `ms` (timers are unaffected). */
  jumpClock(name: string, ms: number): void {
    this.slot(name).clock.jump(ms);
    this.record(`clock ${name} ${ms >= 0 ? '+' : ''}${ms}ms`);
  }

  /**
   * A nemesis wired to this simulation (its own forked random stream). Call
   * `start()` on it; it logs into `log`.
   */
  nemesis(options: NemesisOptions): Nemesis {
    return new Nemesis(
      {
        nodes: this.nodes,
        network: this.net,
        crash: (n) => this.crash(n),
        restart: (n) => {
          if (!this.isUp(n)) this.restart(n);
        },
        pause: (n) => this.pause(n),
        resume: (n) => this.resume(n),
        jumpClock: (n, ms) => this.jumpClock(n, ms),
        log: (line) => this.record(line),
      },
      this.scheduler,
      this.rng.fork(),
      options,
    );
  }

  /** Adds a line to the bounded event log, stamped with virtual time. */
  record(line: string): void {
    if (this.log.length >= this.maxLog) this.log.shift();
    this.log.push(`${this.scheduler.now().toFixed(3)} ${line}`);
  }

  step(): boolean {
    return this.scheduler.step();
  }

  runFor(ms: number, options?: RunOptions): void {
    this.scheduler.runFor(ms, options);
  }

  runUntil(target: number | (() => boolean), options?: RunOptions): boolean {
    return this.scheduler.runUntil(target, options);
  }

  private start(name: string, s: NodeSlot<M, T>): T {
    s.incarnation++;
    const host = new HostImpl<M>(name, s.incarnation, this.rng.fork(), s.clock, s.disk, this.net);
    s.host = host;
    s.up = true;
    this.net.setUp(name, true);
    this.net.setHandler(name, (m, from, env) => host.handler?.(m, from, env));
    if (s.incarnation > 1) this.record(`restart ${name} (incarnation ${s.incarnation})`);
    const instance = s.factory(host);
    s.instance = instance;
    return instance;
  }

  private slot(name: string): NodeSlot<M, T> {
    const s = this.slots.get(name);
    if (!s) throw new Error(`simulation: unknown node ${JSON.stringify(name)}`);
    return s;
  }
}
