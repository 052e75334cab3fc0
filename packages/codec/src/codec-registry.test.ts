import { describe, expect, it } from 'vitest';
import { CodecRegistry } from './codec-registry.js';
import {
  builtinCodecs,
  createDefaultRegistry,
  defaultCodec,
  defaultRegistry,
} from './default-codec.js';
import { fixedLayout } from './fixed-layout.js';
import { expectCodecError } from './fuzz-helpers.js';
import { jsonCodec } from './json-codec.js';

describe('CodecRegistry', () => {
  it('the default registry holds raw, msgpackr and json under ids 0, 1, 2', () => {
    expect(defaultRegistry.get(0)?.name).toBe('raw');
    expect(defaultRegistry.get(1)).toBe(defaultCodec);
    expect(defaultRegistry.get(2)?.name).toBe('json');
    expect(defaultRegistry.byName('msgpackr')).toBe(builtinCodecs.msgpackr);
    expect(defaultRegistry.list().map((c) => c.id)).toEqual([0, 1, 2]);
    expect(defaultCodec.name).toBe('msgpackr');
  });

  it('registers user codecs and finds them by id and by name', () => {
    const registry = createDefaultRegistry();
    const tick = fixedLayout({ id: 16, name: 'tick', fields: { seq: 'u32' } });
    registry.register(tick);
    expect(registry.get(16)).toBe(tick);
    expect(registry.byName('tick')).toBe(tick);
    expect(registry.require('tick')).toBe(tick);
    expect(registry.require(16)).toBe(tick);
    expect(registry.has(16)).toBe(true);
    expect(registry.has('nope')).toBe(false);
    expect(defaultRegistry.has(16)).toBe(false);
  });

  it('rejects duplicate ids and names', () => {
    const registry = createDefaultRegistry();
    expectCodecError(
      () => registry.register(jsonCodec({ id: 1, name: 'json2' })),
      'DUPLICATE_CODEC',
    );
    expectCodecError(() => registry.register(jsonCodec({ id: 40 })), 'DUPLICATE_CODEC');
    expect(registry.has(40)).toBe(false);
  });

  it('reports unknown codecs', () => {
    const registry = new CodecRegistry();
    expect(registry.get(7)).toBeUndefined();
    expect(registry.get(1.5)).toBeUndefined();
    expect(registry.get(-1)).toBeUndefined();
    expect(registry.get(999)).toBeUndefined();
    expect(registry.byName('msgpackr')).toBeUndefined();
    expectCodecError(() => registry.require(7), 'UNKNOWN_CODEC');
    expectCodecError(() => registry.require('x'), 'UNKNOWN_CODEC');
  });

  it('rejects codecs with an invalid identity', () => {
    const registry = new CodecRegistry();
    const bad = { ...jsonCodec(), id: 256 };
    expectCodecError(() => registry.register(bad), 'INVALID_CODEC');
    expectCodecError(() => registry.register({ ...jsonCodec(), name: '' }), 'INVALID_CODEC');
    expectCodecError(() => registry.register(null as never), 'INVALID_CODEC');
  });
});
