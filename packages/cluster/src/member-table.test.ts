import { describe, expect, it } from 'vitest';
import { MemberTable } from './member-table.js';
import type { NodeInfo } from './node-info.js';

const info = (id: string, incarnation = 1): NodeInfo => ({
  id,
  stream: `127.0.0.1:${7000 + Number(id.slice(1))}`,
  gateways: {},
  groups: [],
  incarnation,
});
const opts = { suspectAfter: 100, deadAfter: 200, forgetAfter: 1000, maxMembers: 8 };

describe('MemberTable', () => {
  it('adds members heard directly and reports the change once', () => {
    const t = new MemberTable(info('n1'), opts);
    t.heard(info('n2'), 0);
    expect(t.tick(0)).toBe(true);
    expect(t.tick(1)).toBe(false);
    expect(t.live().sort()).toEqual(['n1', 'n2']);
  });

  it('suspects, then declares dead, a silent member; direct contact revives it', () => {
    const t = new MemberTable(info('n1'), opts);
    t.heard(info('n2'), 0);
    t.tick(150);
    expect(t.status('n2')).toBe('suspect');
    expect(t.live()).toContain('n2');
    t.tick(250);
    expect(t.status('n2')).toBe('dead');
    expect(t.live()).not.toContain('n2');
    t.heard(info('n2'), 300);
    expect(t.status('n2')).toBe('alive');
  });

  it('hearsay introduces a member but never keeps it alive', () => {
    const t = new MemberTable(info('n1'), opts);
    t.learned(info('n3'), 0);
    expect(t.status('n3')).toBe('alive');
    t.learned(info('n3'), 150);
    t.tick(250);
    expect(t.status('n3')).toBe('dead');
  });

  it('takes a newer incarnation from hearsay (a restart) and ignores older ones', () => {
    const t = new MemberTable(info('n1'), opts);
    t.heard(info('n2', 5), 0);
    t.heard(info('n2', 4), 10);
    expect(t.info('n2')?.incarnation).toBe(5);
    t.tick(300);
    t.learned(info('n2', 6), 300);
    expect(t.status('n2')).toBe('alive');
    expect(t.info('n2')?.incarnation).toBe(6);
  });

  it('marks a member that announced leaving as left, forgets it later, ignores stale announcements', () => {
    const t = new MemberTable(info('n1'), opts);
    t.heard(info('n2', 2), 0);
    t.left('n2', 1, 0);
    expect(t.status('n2')).toBe('alive');
    t.left('n2', 2, 0);
    expect(t.status('n2')).toBe('left');
    expect(t.live()).toEqual(['n1']);
    // The same incarnation talking again does not undo the leave; a restart does.
    t.heard(info('n2', 2), 10);
    expect(t.status('n2')).toBe('left');
    t.heard(info('n2', 3), 20);
    expect(t.status('n2')).toBe('alive');
    t.left('n2', 3, 30);
    t.tick(2000);
    expect(t.status('n2')).toBeUndefined();
  });

  it('never lists itself as a peer and refuses members beyond maxMembers', () => {
    const t = new MemberTable(info('n1'), { ...opts, maxMembers: 3 });
    t.heard(info('n1', 9), 0);
    for (let i = 2; i < 10; i++) t.heard(info(`n${i}`), 0);
    expect(t.peers().map((p) => p.id)).toEqual(['n2', 'n3']);
    expect(t.members()).toHaveLength(3);
  });
});
