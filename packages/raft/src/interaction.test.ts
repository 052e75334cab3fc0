import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeConfChange } from './conf-change.js';
import { MemCluster, text } from './mem-cluster.js';
import type { RaftCoreOptions } from './raft-core.js';
import type { ConfChangeItem, Message, NodeId } from './types.js';

/**
 * Scripted interaction tests. Each `testdata/*.txt` holds commands, one per
 * line; the output of running them must equal the `.golden` file next to it.
 * Set UPDATE_GOLDEN=1 to rewrite the golden files after a deliberate change,
 * then review the diff: the golden files are the specification.
 *
 * Commands:
 *   add-nodes a b c [prevote=false] [checkquorum=false] [lease=true]   bootstrap voters
 *   add-empty d                 a node with no state (to be added as learner/voter)
 *   campaign a | tick a [n] | tick-all [n] | tick-election a
 *   settle [n]                  tick all + stabilize (quietly) until some node leads
 *   stabilize                   run readies and deliver until quiet, printing messages
 *   propose a text | propose-conf a addVoter:d removeNode:b [joint] | leave-joint a
 *   transfer a b | read a ctx | compact a [keep] | restart a
 *   isolate a | heal | cut a b  drop messages to/from a; restore all; drop both ways a<->b
 *   status a | log a | applied a | reads a
 */
const here = dirname(fileURLToPath(import.meta.url));
const dataDir = join(here, '..', 'testdata');

function fmtMessage(m: Message): string {
  const parts = [`${m.from}->${m.to}`, m.type, `term=${m.term}`];
  if (m.type === 'app' || m.type === 'vote' || m.type === 'preVote')
    parts.push(`idx=${m.index}`, `logTerm=${m.logTerm}`);
  if (m.type === 'app' || m.type === 'heartbeat') parts.push(`commit=${m.commit}`);
  if (m.type === 'appResp' || m.type === 'readIndexResp') parts.push(`idx=${m.index}`);
  if (m.reject) parts.push(`reject hint=${m.rejectHint}`);
  if (m.context) parts.push(`ctx=${m.context}`);
  if (m.entries.length > 0) {
    parts.push(
      `entries=[${m.entries.map((e) => `${e.index}/${e.term}${e.kind === 'config' ? ':conf' : e.data.byteLength ? `:${new TextDecoder().decode(e.data)}` : ''}`).join(' ')}]`,
    );
  }
  if (m.snapshot) parts.push(`snap=${m.snapshot.index}/${m.snapshot.term}`);
  return parts.join(' ');
}

class Interpreter {
  c = new MemCluster();
  out: string[] = [];
  cuts = new Set<string>();
  isolated = new Set<NodeId>();
  options: Partial<RaftCoreOptions> = {};

  private dropped(m: Message): boolean {
    return (
      this.isolated.has(m.from) || this.isolated.has(m.to) || this.cuts.has(`${m.from}|${m.to}`)
    );
  }

  private roleLine(id: NodeId): string {
    const s = this.c.core(id).status();
    return `${s.role}@${s.term}`;
  }

  private watchRoles<T>(fn: () => T): T {
    const before = new Map([...this.c.nodes.keys()].map((id) => [id, this.roleLine(id)]));
    const r = fn();
    for (const id of this.c.nodes.keys()) {
      const now = this.roleLine(id);
      if (before.get(id) !== now) this.out.push(`  ${id}: ${before.get(id)} -> ${now}`);
    }
    return r;
  }

  quiet = false;

  stabilize(): void {
    for (let round = 0; round < 200; round++) {
      let moved = false;
      for (const id of this.c.nodes.keys()) {
        moved = this.watchRoles(() => this.c.processReady(id)) || moved;
      }
      if (this.c.queue.length === 0) {
        if (!moved) return;
        continue;
      }
      const batch = this.c.queue;
      this.c.queue = [];
      for (const m of batch) {
        if (this.dropped(m)) {
          if (!this.quiet) this.out.push(`  DROP ${fmtMessage(m)}`);
          if (m.type === 'snap') this.c.core(m.from).reportSnapshot(m.to, false);
          continue;
        }
        if (!this.quiet) this.out.push(`  ${fmtMessage(m)}`);
        if (!this.c.nodes.has(m.to)) continue;
        this.watchRoles(() => this.c.core(m.to).step(m));
        if (m.type === 'snap') this.c.core(m.from).reportSnapshot(m.to, true);
      }
    }
    throw new Error('did not stabilize');
  }

  run(line: string): void {
    const [cmd, ...args] = line.split(/\s+/);
    const a0 = args[0] ?? '';
    switch (cmd) {
      case 'add-nodes': {
        const ids = args.filter((x) => !x.includes('='));
        for (const kv of args.filter((x) => x.includes('='))) {
          const [k, v] = kv.split('=');
          const b = v === 'true';
          if (k === 'prevote') this.options = { ...this.options, preVote: b };
          else if (k === 'checkquorum') this.options = { ...this.options, checkQuorum: b };
          else if (k === 'lease') this.options = { ...this.options, leaseReads: b };
          else throw new Error(`unknown option ${k}`);
        }
        this.c = new MemCluster(this.options);
        this.c.bootstrap(ids);
        this.out.push(`  voters ${ids.join(' ')}`);
        return;
      }
      case 'add-empty':
        this.c.addEmpty(a0, this.options);
        return;
      case 'campaign':
        this.watchRoles(() => this.c.core(a0).campaign());
        return;
      case 'tick':
        this.watchRoles(() => this.c.tick(a0, Number(args[1] ?? 1)));
        return;
      case 'tick-all':
        for (let i = 0; i < Number(a0 || 1); i++) {
          this.watchRoles(() => {
            for (const id of this.c.nodes.keys()) this.c.tick(id);
          });
        }
        return;
      case 'tick-election':
        this.watchRoles(() => this.c.tickUntilCampaign(a0));
        return;
      case 'stabilize':
        this.stabilize();
        return;
      case 'settle':
        // Ticks everyone once and stabilizes, N times, until a leader exists;
        // prints only role changes.
        this.quiet = true;
        for (let i = 0; i < Number(a0 || 50); i++) {
          this.watchRoles(() => {
            for (const id of this.c.nodes.keys()) this.c.tick(id);
          });
          this.stabilize();
          if (this.c.leaderId() !== null && i >= Number(args[1] ?? 0)) break;
        }
        this.quiet = false;
        return;
      case 'propose': {
        const r = this.c.core(a0).propose(text(args.slice(1).join(' ')));
        this.out.push(`  ${JSON.stringify(r)}`);
        return;
      }
      case 'propose-conf': {
        const changes: ConfChangeItem[] = args
          .slice(1)
          .filter((x) => x !== 'joint')
          .map((x) => {
            const [type, node] = x.split(':');
            return { type: type as ConfChangeItem['type'], node: node ?? '' };
          });
        const r = this.c
          .core(a0)
          .proposeConfChange(
            args.includes('joint') ? { changes, transition: 'joint' } : { changes },
          );
        this.out.push(`  ${JSON.stringify(r)}`);
        return;
      }
      case 'leave-joint': {
        const r = this.c.core(a0).proposeConfChange({ changes: [] });
        this.out.push(`  ${JSON.stringify(r)}`);
        return;
      }
      case 'transfer':
        this.out.push(`  ${this.c.core(a0).transferLeader(args[1] ?? '')}`);
        return;
      case 'read':
        this.out.push(`  ${this.c.core(a0).readIndex(args[1] ?? '')}`);
        return;
      case 'compact': {
        const meta = this.c.compact(a0, Number(args[1] ?? 0));
        this.out.push(
          `  snapshot ${meta.index}/${meta.term}; first index ${this.c.core(a0).status().firstIndex}`,
        );
        return;
      }
      case 'restart':
        this.c.restart(a0, this.options);
        return;
      case 'isolate':
        this.isolated.add(a0);
        return;
      case 'cut':
        this.cuts.add(`${a0}|${args[1]}`);
        this.cuts.add(`${args[1]}|${a0}`);
        return;
      case 'heal':
        this.isolated.clear();
        this.cuts.clear();
        return;
      case 'status': {
        const s = this.c.core(a0).status();
        const conf = s.conf;
        const joint = conf.votersOutgoing.length
          ? ` outgoing=${conf.votersOutgoing.join(',')}`
          : '';
        const learners = conf.learners.length ? ` learners=${conf.learners.join(',')}` : '';
        this.out.push(
          `  ${s.id} ${s.role} term=${s.term} leader=${s.leader ?? '-'} commit=${s.commit} applied=${s.applied} last=${s.lastIndex} first=${s.firstIndex} voters=${conf.voters.join(',')}${joint}${learners}`,
        );
        return;
      }
      case 'log': {
        const core = this.c.core(a0);
        const parts: string[] = [];
        for (let i = core.log.firstIndex(); i <= core.log.lastIndex(); i++) {
          const e = core.log.entry(i);
          if (!e) continue;
          if (e.kind === 'config') {
            const cc = decodeConfChange(e.data);
            parts.push(
              `${e.index}/${e.term}:conf(${cc.changes.map((x) => `${x.type}:${x.node}`).join(',') || 'leave'})`,
            );
          } else
            parts.push(
              `${e.index}/${e.term}${e.data.byteLength ? `:${new TextDecoder().decode(e.data)}` : ''}`,
            );
        }
        this.out.push(`  ${parts.join(' ')}`);
        return;
      }
      case 'applied':
        this.out.push(`  ${this.c.node(a0).applied.join(' ') || '(none)'}`);
        return;
      case 'reads':
        this.out.push(
          `  ${
            this.c
              .node(a0)
              .readStates.map((r) => `${r.context}@${r.index}`)
              .join(' ') || '(none)'
          }`,
        );
        return;
      default:
        throw new Error(`unknown command ${cmd}`);
    }
  }
}

function runScript(script: string): string {
  const it = new Interpreter();
  for (const raw of script.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) {
      it.out.push(raw);
      continue;
    }
    it.out.push(`> ${line}`);
    it.run(line);
  }
  return `${it.out.join('\n').trimEnd()}\n`;
}

const scripts = readdirSync(dataDir)
  .filter((f) => f.endsWith('.txt'))
  .sort();

describe('interaction scripts (testdata/*.txt vs .golden)', () => {
  it('has the scripts the spec asks for', () => {
    for (const name of [
      'prevote',
      'checkquorum',
      'slow-follower-compaction',
      'leader-removal',
      'joint-change',
    ]) {
      expect(scripts).toContain(`${name}.txt`);
    }
  });

  for (const file of scripts) {
    it(file, () => {
      const out = runScript(readFileSync(join(dataDir, file), 'utf8'));
      const golden = join(dataDir, file.replace(/\.txt$/, '.golden'));
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, out);
      expect(out).toBe(readFileSync(golden, 'utf8'));
    });
  }
});
