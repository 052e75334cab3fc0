import { describe, expect, it } from 'vitest';
import { decodeConfChange } from './conf-change.js';
import { MemCluster, text } from './mem-cluster.js';
import { RaftCore } from './raft-core.js';
import type { Entry, Message } from './types.js';

const ABC = ['a', 'b', 'c'];

function msg(partial: Partial<Message> & Pick<Message, 'type' | 'from' | 'to' | 'term'>): Message {
  return {
    logTerm: 0,
    index: 0,
    commit: 0,
    entries: [],
    reject: false,
    rejectHint: 0,
    context: '',
    snapshot: null,
    ...partial,
  };
}

function entry(index: number, term: number, data = ''): Entry {
  return { index, term, kind: 'normal', data: text(data) };
}

function electedCluster(ids = ABC, options = {}): MemCluster {
  const c = new MemCluster(options);
  c.bootstrap(ids);
  c.elect(ids[0] ?? 'a');
  return c;
}

describe('leader election (§5.2)', () => {
  it('elects exactly one leader, which commits a no-op of its term', () => {
    const c = electedCluster();
    expect(c.leaderId()).toBe('a');
    const st = c.core('a').status();
    expect(st.term).toBe(2);
    expect(st.commit).toBe(2);
    for (const id of ABC) expect(c.core(id).status().leader).toBe('a');
  });

  it('election safety: a node grants at most one vote per term, also across a restart', () => {
    const c = new MemCluster({ preVote: false });
    c.bootstrap(ABC);
    c.core('a').campaign();
    c.processReady('a');
    // b votes for a in term 2 and persists it.
    c.deliverAll((m) => m.to === 'b');
    c.processReady('b');
    expect(c.node('b').disk.hardState).toMatchObject({ term: 2, vote: 'a' });
    c.restart('b');
    // c campaigns in the same term 2: b must refuse.
    c.core('b').step(msg({ type: 'vote', from: 'c', to: 'b', term: 2, index: 1, logTerm: 1 }));
    c.processReady('b');
    const resp = c.queue.find((m) => m.type === 'voteResp' && m.to === 'c');
    expect(resp?.reject).toBe(true);
  });

  it('a candidate whose log is behind cannot win (§5.4.1 up-to-date check)', () => {
    const c = electedCluster(ABC, { preVote: false, checkQuorum: false });
    c.core('a').propose(text('x'));
    // c misses the entry.
    c.dropFilter = (m) => m.to === 'c' || m.from === 'c';
    c.stabilize();
    c.dropFilter = null;
    const voteTerm = c.core('c').currentTerm + 1;
    c.core('b').step(
      msg({ type: 'vote', from: 'c', to: 'b', term: voteTerm, index: 2, logTerm: 2 }),
    );
    c.processReady('b');
    expect(c.queue.find((m) => m.type === 'voteResp' && m.to === 'c')?.reject).toBe(true);
  });

  it('persists the vote before the vote response is released (persist before send)', () => {
    const core = new RaftCore({ id: 'b', random: () => 0.5, preVote: false });
    core.bootstrap(ABC);
    core.step(msg({ type: 'vote', from: 'a', to: 'b', term: 2, index: 1, logTerm: 1 }));
    const rd = core.ready();
    expect(rd.hardState).toMatchObject({ term: 2, vote: 'a' });
    expect(rd.messages).toEqual([]);
    expect(rd.persistedMessages.map((m) => m.type)).toEqual(['voteResp']);
  });

  it('a leader seeing a higher term steps down', () => {
    const c = electedCluster();
    c.core('a').step(msg({ type: 'appResp', from: 'b', to: 'a', term: 9 }));
    expect(c.core('a').currentRole).toBe('follower');
    expect(c.core('a').currentTerm).toBe(9);
  });

  it('split votes are resolved by randomized timeouts', () => {
    const c = new MemCluster({ preVote: false }, 42);
    c.bootstrap(['a', 'b', 'c', 'd', 'e']);
    for (let t = 0; t < 200 && c.leaderId() === null; t++) {
      for (const id of c.nodes.keys()) c.tick(id);
      c.stabilize();
    }
    expect(c.leaderId()).not.toBeNull();
  });
});

describe('log replication (§5.3)', () => {
  it('commits once a majority stores an entry and applies it everywhere in order', () => {
    const c = electedCluster();
    const r = c.core('a').propose(text('x'));
    expect(r).toMatchObject({ ok: true, index: 3, term: 2 });
    c.stabilize();
    for (const id of ABC) {
      expect(c.node(id).applied).toEqual(['x']);
      expect(c.core(id).status().commit).toBe(3);
    }
  });

  it('commits with one follower down, and the follower catches up later', () => {
    const c = electedCluster();
    c.dropFilter = (m) => m.to === 'c';
    for (const s of ['1', '2', '3']) c.core('a').propose(text(s));
    c.stabilize();
    expect(c.node('a').applied).toEqual(['1', '2', '3']);
    expect(c.node('c').applied).toEqual([]);
    c.dropFilter = null;
    c.tick('a');
    c.stabilize();
    expect(c.node('c').applied).toEqual(['1', '2', '3']);
  });

  it('does not commit without a majority', () => {
    const c = electedCluster();
    c.dropFilter = (m) => m.to === 'b' || m.to === 'c';
    c.core('a').propose(text('x'));
    c.stabilize();
    expect(c.core('a').status().commit).toBe(2);
    expect(c.node('a').applied).toEqual([]);
  });

  it('log matching: rejects an append whose previous entry does not match', () => {
    const core = new RaftCore({ id: 'b', random: () => 0.5 });
    core.bootstrap(ABC);
    core.step(
      msg({
        type: 'app',
        from: 'a',
        to: 'b',
        term: 2,
        index: 5,
        logTerm: 2,
        entries: [entry(6, 2)],
      }),
    );
    const rd = core.ready();
    const resp = rd.persistedMessages.find((m) => m.type === 'appResp');
    expect(resp).toMatchObject({ reject: true, index: 5, rejectHint: 1 });
    expect(core.status().lastIndex).toBe(1);
  });

  it('log matching: a conflicting uncommitted suffix is replaced by the leader’s', () => {
    const core = new RaftCore({ id: 'b', random: () => 0.5 });
    core.bootstrap(ABC);
    core.step(
      msg({
        type: 'app',
        from: 'a',
        to: 'b',
        term: 2,
        index: 1,
        logTerm: 1,
        entries: [entry(2, 2, 'old'), entry(3, 2, 'old2')],
        commit: 1,
      }),
    );
    core.ready();
    core.advance();
    core.step(
      msg({
        type: 'app',
        from: 'c',
        to: 'b',
        term: 3,
        index: 1,
        logTerm: 1,
        entries: [entry(2, 3, 'new')],
        commit: 2,
      }),
    );
    const rd = core.ready();
    expect(rd.entries.map((e) => [e.index, e.term])).toEqual([[2, 3]]);
    expect(core.status()).toMatchObject({ lastIndex: 2, lastTerm: 3, commit: 2 });
  });

  it('refuses to truncate a committed entry (state machine safety)', () => {
    const core = new RaftCore({ id: 'b', random: () => 0.5 });
    core.bootstrap(ABC);
    core.step(
      msg({
        type: 'app',
        from: 'a',
        to: 'b',
        term: 2,
        index: 1,
        logTerm: 1,
        entries: [entry(2, 2)],
        commit: 2,
      }),
    );
    expect(() =>
      core.step(
        msg({
          type: 'app',
          from: 'c',
          to: 'b',
          term: 3,
          index: 1,
          logTerm: 1,
          entries: [entry(2, 3)],
          commit: 2,
        }),
      ),
    ).not.toThrow(); // index 1 < commit 2: answered with the commit index, nothing truncated
    expect(core.status()).toMatchObject({ lastTerm: 2, commit: 2 });
  });

  it('only entries of the current term are committed by counting (Figure 8)', () => {
    // a (leader, term 2) writes an entry that only b receives.
    const c = electedCluster(['a', 'b', 'c', 'd', 'e'], { preVote: false, checkQuorum: false });
    c.dropFilter = (m) => !(m.from === 'a' && m.to === 'b') && !(m.from === 'b' && m.to === 'a');
    c.core('a').propose(text('t2'));
    c.stabilize();
    expect(c.core('b').status().lastIndex).toBe(3);
    // e wins term 3 without that entry but replicates nothing (its appends are lost).
    c.dropFilter = (m) => m.from === 'a' || m.to === 'a' || (m.from === 'e' && m.type === 'app');
    c.core('e').campaign();
    c.stabilize();
    expect(c.core('e').currentRole).toBe('leader');
    // a wins term 4 with votes from b and c; its log: 1(t1) 2(t2) 3(t2) 4(t4 no-op).
    // a crashed meanwhile (still term 2); it restarts and campaigns until it wins.
    c.restart('a');
    c.dropFilter = (m) => m.type !== 'vote' && m.type !== 'voteResp';
    for (let i = 0; i < 3 && c.core('a').currentRole !== 'leader'; i++) {
      c.core('a').campaign();
      c.stabilize();
    }
    const a = c.core('a');
    expect(a.currentRole).toBe('leader');
    expect(a.currentTerm).toBe(4);
    expect(a.log.term(3)).toBe(2);
    const ack = (from: string, index: number) =>
      a.step({
        type: 'appResp',
        from,
        to: 'a',
        term: 4,
        logTerm: 0,
        index,
        commit: 0,
        entries: [],
        reject: false,
        rejectHint: 0,
        context: '',
        snapshot: null,
      });
    // The term-2 entry at index 3 is now stored on a majority (a, b, c) ...
    ack('b', 3);
    ack('c', 3);
    // ... and still not committed: it is not of the current term.
    expect(a.status().commit).toBe(2);
    // Once an entry of term 4 is on a majority, it and everything before commit.
    ack('b', 4);
    ack('c', 4);
    expect(a.status().commit).toBe(4);
  });

  it('applies every entry exactly once and never beyond the commit index, across restarts', () => {
    const c = electedCluster();
    for (let i = 0; i < 10; i++) c.core('a').propose(text(`v${i}`));
    c.stabilize();
    c.restart('b');
    c.tick('a');
    c.stabilize();
    const b = c.node('b');
    expect(b.applied).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`));
    expect(b.appliedIndex).toBeLessThanOrEqual(c.core('b').status().commit);
  });

  it('leader appends in parallel with replication but counts itself only once durable', () => {
    const c = electedCluster();
    c.core('a').propose(text('x'));
    const rd = c.core('a').ready();
    expect(rd.messages.filter((m) => m.type === 'app').length).toBe(2);
    expect(rd.entries.map((e) => e.index)).toEqual([3]);
    // Both followers ack before the leader's own write finishes: commit from them alone.
    c.queue.push(...rd.messages);
    c.deliverAll();
    c.processReady('b');
    c.processReady('c');
    c.deliverAll((m) => m.to === 'a');
    expect(c.core('a').status().commit).toBe(3);
    expect(c.core('a').status().stable).toBe(2);
    c.core('a').advance();
    expect(c.core('a').status().stable).toBe(3);
  });

  it('forwards proposals from followers to the leader', () => {
    const c = electedCluster();
    expect(c.core('b').propose(text('from-b'))).toEqual({ ok: true, forwardedTo: 'a' });
    c.stabilize();
    expect(c.node('c').applied).toEqual(['from-b']);
  });

  it('refuses proposals with a leader hint when forwarding is off', () => {
    const c = new MemCluster({ forwardProposals: false });
    c.bootstrap(ABC);
    c.elect('a');
    expect(c.core('b').propose(text('x'))).toEqual({ ok: false, reason: 'notLeader', leader: 'a' });
    const lone = new RaftCore({ id: 'z', random: () => 0 });
    expect(lone.propose(text('x'))).toEqual({ ok: false, reason: 'noLeader', leader: null });
  });

  it('caps uncommitted bytes', () => {
    const c = new MemCluster({ maxUncommittedBytes: 10 });
    c.bootstrap(ABC);
    c.elect('a');
    c.dropFilter = () => true;
    expect(c.core('a').propose(new Uint8Array(8)).ok).toBe(true);
    expect(c.core('a').propose(new Uint8Array(8))).toMatchObject({
      ok: false,
      reason: 'uncommittedFull',
    });
    c.dropFilter = null;
    c.tick('a');
    c.stabilize();
    expect(c.core('a').propose(new Uint8Array(8)).ok).toBe(true);
  });

  it('flow control: limits appends in flight by count and probes one at a time', () => {
    const c = new MemCluster({ maxInflight: 2 });
    c.bootstrap(ABC);
    c.elect('a');
    c.dropFilter = (m) => m.to === 'a'; // acks lost: the window fills up
    for (let i = 0; i < 5; i++) {
      c.core('a').propose(text(`p${i}`));
      c.processReady('a');
    }
    const st = c.core('a').status();
    expect(st.progress.get('b')).toMatchObject({ state: 'replicate', inflight: 2 });
    const sent = c.queue.filter((m) => m.type === 'app' && m.to === 'b' && m.entries.length > 0);
    expect(sent.length).toBe(2);
  });

  it('flow control: limits appends in flight by bytes', () => {
    const c = new MemCluster({ maxInflightBytes: 100 });
    c.bootstrap(ABC);
    c.elect('a');
    c.dropFilter = (m) => m.to === 'a';
    let apps = 0;
    for (let i = 0; i < 5; i++) {
      c.core('a').propose(new Uint8Array(60));
      c.processReady('a');
      apps += c.queue.filter((m) => m.type === 'app' && m.to === 'b').length;
      c.deliverAll();
    }
    expect(apps).toBe(2);
  });
});

describe('ReadIndex and leases (§6.4)', () => {
  it('leader confirms leadership with a heartbeat round before answering', () => {
    const c = electedCluster();
    expect(c.core('a').readIndex('r1')).toBe(true);
    c.processReady('a');
    expect(c.node('a').readStates).toEqual([]);
    c.stabilize();
    expect(c.node('a').readStates).toEqual([{ index: 2, context: 'r1' }]);
  });

  it('a partitioned leader cannot answer a read', () => {
    const c = electedCluster();
    c.dropFilter = (m) => m.from === 'a' || m.to === 'a';
    c.core('a').readIndex('r1');
    c.stabilize();
    expect(c.node('a').readStates).toEqual([]);
  });

  it('followers get a read index from the leader', () => {
    const c = electedCluster();
    c.core('a').propose(text('x'));
    c.stabilize();
    expect(c.core('b').readIndex('rb')).toBe(true);
    c.stabilize();
    expect(c.node('b').readStates).toEqual([{ index: 3, context: 'rb' }]);
  });

  it('a new leader defers reads until an entry of its term commits', () => {
    const c = new MemCluster();
    c.bootstrap(ABC);
    c.core('a').campaign();
    for (let i = 0; i < 4; i++) {
      c.processReady('a');
      c.processReady('b');
      c.processReady('c');
      c.deliverAll((m) => m.type !== 'appResp');
    }
    expect(c.core('a').currentRole).toBe('leader');
    expect(c.core('a').readIndex('early')).toBe(true);
    c.processReady('a');
    expect(c.node('a').readStates).toEqual([]);
    c.stabilize();
    expect(c.node('a').readStates).toEqual([{ index: 2, context: 'early' }]);
  });

  it('lease reads answer at once while the lease holds, and not after it lapses', () => {
    const c = electedCluster(ABC, { leaseReads: true });
    c.tick('a'); // heartbeat round: acks renew the lease
    c.stabilize();
    c.core('a').readIndex('lease');
    c.processReady('a');
    expect(c.node('a').readStates).toEqual([{ index: 2, context: 'lease' }]);
    c.dropFilter = () => true;
    for (let i = 0; i < 9; i++) {
      c.tick('a');
      c.stabilize();
    }
    c.core('a').readIndex('late');
    c.processReady('a');
    expect(c.node('a').readStates.map((r) => r.context)).toEqual(['lease']);
  });

  it('a restarted voter waits an election timeout before voting, so no new leader overlaps a lease', () => {
    // Lockstep ticks of every node stand for real time passing evenly.
    const c = electedCluster(ABC, { leaseReads: true, heartbeatTick: 1 });
    const tickAll = (ids: string[]) => {
      for (const id of ids) c.tick(id);
      c.stabilize();
    };
    tickAll(ABC);
    // b hears nothing from a from now on; c keeps acknowledging, extending a's lease.
    c.dropFilter = (m) => (m.from === 'a' && m.to === 'b') || (m.from === 'b' && m.to === 'a');
    for (let i = 0; i < 7; i++) tickAll(ABC);
    // c crashes and restarts (it forgets the leader), then a is cut off entirely.
    c.restart('c', { leaseReads: true, heartbeatTick: 1 });
    c.dropFilter = (m) => m.from === 'a' || m.to === 'a';
    for (let i = 0; i < 40; i++) {
      tickAll(ABC);
      const other = ['b', 'c'].find((id) => c.core(id).currentRole === 'leader');
      // a may still serve lease reads only while nobody else can lead.
      if (other !== undefined) expect(c.core('a').hasLease()).toBe(false);
    }
    expect(['b', 'c'].some((id) => c.core(id).currentRole === 'leader')).toBe(true);
  });

  it('rejects lease reads without check-quorum', () => {
    expect(
      () => new RaftCore({ id: 'a', random: () => 0, leaseReads: true, checkQuorum: false }),
    ).toThrow(/checkQuorum/);
  });
});

describe('snapshots and restarts', () => {
  it('a follower behind the compaction point gets a snapshot and catches up', () => {
    const c = electedCluster();
    c.dropFilter = (m) => m.to === 'c';
    for (let i = 0; i < 5; i++) c.core('a').propose(text(`s${i}`));
    c.stabilize();
    c.compact('a');
    expect(c.core('a').status().firstIndex).toBe(8);
    c.dropFilter = null;
    c.core('a').propose(text('after'));
    c.stabilize();
    c.tick('a');
    c.stabilize();
    expect(c.node('c').applied).toEqual(['s0', 's1', 's2', 's3', 's4', 'after']);
    expect(c.core('c').status().firstIndex).toBe(8);
  });

  it('restores from snapshot plus log after a restart', () => {
    const c = electedCluster();
    for (let i = 0; i < 3; i++) c.core('a').propose(text(`r${i}`));
    c.stabilize();
    c.compact('b');
    c.core('a').propose(text('tail'));
    c.stabilize();
    c.restart('b');
    c.stabilize();
    expect(c.node('b').applied).toEqual(['r0', 'r1', 'r2', 'tail']);
    expect(c.core('b').config.voters).toEqual(ABC);
  });

  it('a new leader leaves a joint configuration whose leave entry was lost', () => {
    const c = new MemCluster({ checkQuorum: false, preVote: false });
    c.bootstrap(['a', 'b', 'c']);
    c.addEmpty('d');
    c.elect('a');
    // Swap c for d: joint consensus, auto-leave.
    c.core('a').proposeConfChange({
      changes: [
        { type: 'addVoter', node: 'd' },
        { type: 'removeNode', node: 'c' },
      ],
    });
    // Replicate the joint entry and its commit, but a's leave entry never gets out.
    const isLeave = (m: Message) =>
      m.entries.some((e) => e.kind === 'config' && decodeConfChange(e.data).changes.length === 0);
    c.dropFilter = (m) => m.from === 'a' && isLeave(m);
    c.stabilize();
    c.tick('a');
    c.stabilize();
    expect(c.core('a').config.votersOutgoing).toEqual(['a', 'b', 'c']);
    expect(c.core('b').config.votersOutgoing).toEqual(['a', 'b', 'c']);
    // a dies; b takes over and finishes the transition on its own.
    c.dropFilter = (m) => m.from === 'a' || m.to === 'a';
    c.core('b').campaign();
    c.stabilize();
    expect(c.core('b').currentRole).toBe('leader');
    c.tick('b');
    c.stabilize();
    expect(c.core('b').config.votersOutgoing).toEqual([]);
    expect(c.core('b').config.voters).toEqual(['a', 'b', 'd']);
    expect(c.core('d').config.voters).toEqual(['a', 'b', 'd']);
  });
});
