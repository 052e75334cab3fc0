import { describe, expect, it } from 'vitest';
import { metaOf, parseNodeInfo } from './node-info.js';

const good = {
  id: 'n1',
  stream: '127.0.0.1:7000',
  gateways: { http: '127.0.0.1:8080' },
  groups: ['kv'],
  incarnation: 3,
};

describe('node info from peers', () => {
  it('accepts a well-formed record and flattens it for ClusterMember.meta', () => {
    const info = parseNodeInfo(good);
    expect(info).toEqual(good);
    expect(metaOf(info as NonNullable<typeof info>)).toEqual({
      stream: '127.0.0.1:7000',
      groups: 'kv',
      'gateway.http': '127.0.0.1:8080',
    });
  });

  it.each([
    ['not an object', 5],
    ['bad id', { ...good, id: 'has space' }],
    ['bad address', { ...good, stream: 'nowhere' }],
    ['negative incarnation', { ...good, incarnation: -1 }],
    ['too many groups', { ...good, groups: Array.from({ length: 100 }, (_, i) => `g${i}`) }],
    ['non-string gateway', { ...good, gateways: { http: 1 } }],
    ['groups not an array', { ...good, groups: 'kv' }],
  ])('rejects %s', (_name, raw) => {
    expect(parseNodeInfo(raw)).toBeUndefined();
  });
});
