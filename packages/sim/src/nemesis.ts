import { type Latency, sampleLatency, validateLatency } from './latency.js';
import type { LinkConfig, Network } from './network.js';
import type { Prng } from './prng.js';
import type { CancelTimer, Scheduler } from './scheduler.js';

export type FaultKind = 'partition' | 'crash' | 'pause' | 'clock' | 'message';

/**
 * What the nemesis acts on. `Simulation` provides all of it; without one,
 * pass the network and callbacks for the node-level faults you support
 * (a kind whose callbacks are missing is never chosen).
 */
export interface NemesisTarget {
  nodes: readonly string[];
  network: Network<any>;
  crash?: (node: string) => void;
  restart?: (node: string) => void;
  pause?: (node: string) => void;
  resume?: (node: string) => void;
  jumpClock?: (node: string, ms: number) => void;
  /** Receives a line per action, for failure reports. */
  log?: (line: string) => void;
}

export interface NemesisOptions {
  /** Length of the fault phase, ms; then everything heals. */
  duration: number;
  /** Relative weights of fault kinds. Default: all 1 (where supported). */
  weights?: Partial<Record<FaultKind, number>>;
  /** Gap between fault starts, ms. Default uniform 50..500. */
  interval?: Latency;
  /** How long one fault lasts, ms. Default uniform 100..2000. */
  hold?: Latency;
  /** Most nodes crashed or paused at once. Default: a minority, floor((n-1)/2). */
  maxDown?: number;
  /** Largest clock jump, ms (either direction). Default 10,000. */
  maxClockJump?: number;
  /** Link settings used by message faults. Default: drop 0.3, duplicate 0.2, reorder 0.3, latency 1..100. */
  messageFaults?: LinkConfig;
  /** Called once everything has healed. */
  onHealed?: () => void;
}

interface ActiveFault {
  kind: FaultKind;
  /** Re-applies a partition after another one was reverted (partitions share one heal). */
  reapply?: () => void;
  /** Directed links (from, to) a message fault overrides. */
  links?: Array<[string, string]>;
  revert: () => void;
}

/**
 * A seeded fault schedule: for `duration` ms it keeps starting random faults
 * (partitions, crashes with later restarts, pauses, clock jumps, lossy links),
 * each held for a random time; then it reverts them all, so a test can check
 * that the system recovers (liveness) after `healedAt`. Healing removes every
 * partition (also ones the test made) and puts per-link settings back to what
 * they were before the nemesis touched them; clock jumps are not undone.
 */
export class Nemesis {
  private readonly active = new Set<ActiveFault>();
  private readonly timers = new Set<CancelTimer>();
  private readonly down = new Set<string>();
  /** Link overrides as they were before the first active message fault touched them. */
  private readonly savedLinks = new Map<
    string,
    { from: string; to: string; cfg: LinkConfig | undefined }
  >();
  private readonly kinds: Array<[FaultKind, number]>;
  private readonly opts: Required<Omit<NemesisOptions, 'onHealed' | 'weights'>>;
  private endAt = 0;
  private running = false;
  /** Virtual time at which the fault phase ends and everything heals (after start). */
  healedAt = Number.NaN;
  /** Counts of faults started, by kind. */
  readonly counts: Record<FaultKind, number> = {
    partition: 0,
    crash: 0,
    pause: 0,
    clock: 0,
    message: 0,
  };

  constructor(
    private readonly target: NemesisTarget,
    private readonly scheduler: Scheduler,
    private readonly rng: Prng,
    private readonly options: NemesisOptions,
  ) {
    if (!(options.duration >= 0) || !Number.isFinite(options.duration)) {
      throw new RangeError(
        `nemesis: duration must be a finite number >= 0, got ${options.duration}`,
      );
    }
    if (target.nodes.length === 0) throw new RangeError('nemesis: no nodes');
    const n = target.nodes.length;
    this.opts = {
      duration: options.duration,
      interval: options.interval ?? { min: 50, max: 500 },
      hold: options.hold ?? { min: 100, max: 2000 },
      maxDown: options.maxDown ?? Math.floor((n - 1) / 2),
      maxClockJump: options.maxClockJump ?? 10_000,
      messageFaults: options.messageFaults ?? {
        drop: 0.3,
        duplicate: 0.2,
        reorder: 0.3,
        latency: { min: 1, max: 100 },
      },
    };
    validateLatency(this.opts.interval);
    validateLatency(this.opts.hold);
    if (!Number.isInteger(this.opts.maxDown) || this.opts.maxDown < 0) {
      throw new RangeError(
        `nemesis: maxDown must be a non-negative integer, got ${this.opts.maxDown}`,
      );
    }
    if (!(this.opts.maxClockJump >= 0) || !Number.isFinite(this.opts.maxClockJump)) {
      throw new RangeError(`nemesis: maxClockJump must be a finite number >= 0`);
    }
    const supported: Record<FaultKind, boolean> = {
      partition: n > 1,
      message: n > 1,
      crash: !!(target.crash && target.restart) && this.opts.maxDown > 0,
      pause: !!(target.pause && target.resume) && this.opts.maxDown > 0,
      clock: !!target.jumpClock,
    };
    this.kinds = [];
    for (const k of ['partition', 'crash', 'pause', 'clock', 'message'] as const) {
      const w = options.weights?.[k] ?? 1;
      if (!(w >= 0)) throw new RangeError(`nemesis: weight of ${k} must be >= 0`);
      if (w > 0 && supported[k]) this.kinds.push([k, w]);
    }
  }

  /** Starts the fault phase now. Returns the time at which everything will have healed. */
  start(): number {
    if (this.running) throw new Error('nemesis: already running');
    this.running = true;
    this.endAt = this.scheduler.now() + this.opts.duration;
    this.healedAt = this.endAt;
    this.later(this.opts.duration, () => this.healAll());
    if (this.kinds.length > 0) this.scheduleNext();
    return this.healedAt;
  }

  /** Stops early and heals everything now. */
  stop(): void {
    if (this.running) this.healAll();
  }

  get isRunning(): boolean {
    return this.running;
  }

  private scheduleNext(): void {
    const gap = sampleLatency(this.opts.interval, this.rng);
    if (this.scheduler.now() + gap >= this.endAt) return;
    this.later(gap, () => {
      this.inject();
      this.scheduleNext();
    });
  }

  private pickKind(): FaultKind {
    let total = 0;
    for (const [, w] of this.kinds) total += w;
    let x = this.rng.float() * total;
    for (const [k, w] of this.kinds) {
      if (x < w) return k;
      x -= w;
    }
    return (this.kinds[this.kinds.length - 1] as [FaultKind, number])[0];
  }

  private inject(): void {
    const kind = this.pickKind();
    const hold = Math.min(
      sampleLatency(this.opts.hold, this.rng),
      this.endAt - this.scheduler.now(),
    );
    const fault = this.make(kind);
    if (!fault) return;
    this.counts[kind]++;
    this.active.add(fault);
    this.later(hold, () => this.revert(fault));
  }

  private make(kind: FaultKind): ActiveFault | undefined {
    const t = this.target;
    const net = t.network;
    const nodes = t.nodes;
    switch (kind) {
      case 'partition': {
        const shape = this.rng.int(0, 2);
        let apply: () => void;
        if (shape === 0) {
          const victim = this.rng.pick(nodes);
          apply = () => net.isolate(victim);
          this.say(`partition: isolate ${victim}`);
        } else {
          const shuffled = this.rng.shuffle([...nodes]);
          const cut = this.rng.int(1, nodes.length - 1);
          const a = shuffled.slice(0, cut);
          const b = shuffled.slice(cut);
          if (shape === 1) {
            apply = () => net.partition(a, b);
            this.say(`partition: [${a.join(',')}] | [${b.join(',')}]`);
          } else {
            apply = () => net.partitionOneWay(a, b);
            this.say(`partition: [${a.join(',')}] -/-> [${b.join(',')}]`);
          }
        }
        apply();
        return { kind, reapply: apply, revert: () => this.say('heal partition') };
      }
      case 'message': {
        const from = this.rng.pick(nodes);
        const others = nodes.filter((n) => n !== from);
        const to = this.rng.shuffle([...others]).slice(0, this.rng.int(1, others.length));
        const links: Array<[string, string]> = [];
        for (const n of to) links.push([from, n], [n, from]);
        for (const [a, b] of links) {
          const k = `${a}\u0000${b}`;
          if (!this.savedLinks.has(k))
            this.savedLinks.set(k, { from: a, to: b, cfg: net.linkOverride(a, b) });
          net.configureLink(a, b, this.opts.messageFaults);
        }
        this.say(`message faults: ${from} <-> [${to.join(',')}]`);
        return { kind, links, revert: () => this.say('heal message faults') };
      }
      case 'crash':
      case 'pause': {
        const candidates = nodes.filter((n) => !this.down.has(n));
        if (this.down.size >= this.opts.maxDown || candidates.length === 0) return undefined;
        const victim = this.rng.pick(candidates);
        this.down.add(victim);
        if (kind === 'crash') {
          this.say(`crash ${victim}`);
          t.crash?.(victim);
          return {
            kind,
            revert: () => {
              this.down.delete(victim);
              this.say(`restart ${victim}`);
              t.restart?.(victim);
            },
          };
        }
        this.say(`pause ${victim}`);
        t.pause?.(victim);
        return {
          kind,
          revert: () => {
            this.down.delete(victim);
            this.say(`resume ${victim}`);
            t.resume?.(victim);
          },
        };
      }
      case 'clock': {
        const victim = this.rng.pick(nodes);
        const ms = this.rng.int(
          -Math.floor(this.opts.maxClockJump),
          Math.floor(this.opts.maxClockJump),
        );
        this.say(`clock jump ${victim} ${ms}ms`);
        t.jumpClock?.(victim, ms);
        // A jump is not undone: real clocks that stepped stay stepped.
        return { kind, revert: () => {} };
      }
    }
  }

  private revert(fault: ActiveFault): void {
    if (!this.active.delete(fault)) return;
    fault.revert();
    const net = this.target.network;
    if (fault.reapply) {
      // Partitions share one healPartitions(); put back the ones still active.
      net.healPartitions();
      for (const f of this.active) f.reapply?.();
    }
    if (fault.links) {
      // Restore each link to its pre-fault settings unless another active fault still covers it.
      const still = new Set<string>();
      for (const f of this.active) for (const [a, b] of f.links ?? []) still.add(`${a}\u0000${b}`);
      for (const [a, b] of fault.links) {
        const k = `${a}\u0000${b}`;
        const saved = this.savedLinks.get(k);
        if (still.has(k) || !saved) continue;
        net.setLinkOverride(a, b, saved.cfg);
        this.savedLinks.delete(k);
      }
    }
  }

  private healAll(): void {
    for (const cancel of this.timers) cancel();
    this.timers.clear();
    for (const f of [...this.active]) this.revert(f);
    this.target.network.healPartitions();
    this.down.clear();
    this.running = false;
    this.healedAt = this.scheduler.now();
    this.say('healed');
    this.options.onHealed?.();
  }

  private later(ms: number, fn: () => void): void {
    const cancel = this.scheduler.setTimer(Math.max(0, ms), () => {
      this.timers.delete(cancel);
      fn();
    });
    this.timers.add(cancel);
  }

  private say(line: string): void {
    this.target.log?.(`nemesis: ${line}`);
  }
}
