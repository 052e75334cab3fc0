import { type Codec, checkCodecIdentity } from './codec.js';
import { CodecError } from './codec-error.js';

/**
 * Codecs by wire id and by name. A frame header carries only the id, so an id
 * must mean one codec per registry: registering a second codec under a taken
 * id or name is an error rather than a silent replacement.
 */
export class CodecRegistry {
  // Dense table: lookup by id happens per frame.
  readonly #byId: (Codec | undefined)[] = new Array(256).fill(undefined);
  readonly #byName = new Map<string, Codec>();

  constructor(codecs: Iterable<Codec<any>> = []) {
    for (const codec of codecs) this.register(codec);
  }

  /** Adds a codec; throws DUPLICATE_CODEC if its id or name is taken. */
  register(codec: Codec<any>): this {
    if (typeof codec !== 'object' || codec === null) {
      throw new CodecError('INVALID_CODEC', 'register expects a codec object');
    }
    checkCodecIdentity(codec.id, codec.name);
    const taken = this.#byId[codec.id];
    if (taken !== undefined) {
      throw new CodecError(
        'DUPLICATE_CODEC',
        `codec id ${codec.id} is already registered as '${taken.name}'`,
      );
    }
    if (this.#byName.has(codec.name)) {
      throw new CodecError('DUPLICATE_CODEC', `codec name '${codec.name}' is already registered`);
    }
    this.#byId[codec.id] = codec;
    this.#byName.set(codec.name, codec);
    return this;
  }

  /** The codec with this wire id, or undefined. */
  get(id: number): Codec | undefined {
    return Number.isInteger(id) ? this.#byId[id] : undefined;
  }

  /** The codec with this name, or undefined. */
  byName(name: string): Codec | undefined {
    return this.#byName.get(name);
  }

  /** The codec with this id or name; throws UNKNOWN_CODEC when there is none. */
  require(idOrName: number | string): Codec {
    const codec = typeof idOrName === 'number' ? this.get(idOrName) : this.byName(idOrName);
    if (codec === undefined) {
      throw new CodecError('UNKNOWN_CODEC', `no codec registered as ${JSON.stringify(idOrName)}`);
    }
    return codec;
  }

  has(idOrName: number | string): boolean {
    return (
      (typeof idOrName === 'number' ? this.get(idOrName) : this.byName(idOrName)) !== undefined
    );
  }

  /** Registered codecs in id order. */
  list(): Codec[] {
    return this.#byId.filter((c): c is Codec => c !== undefined);
  }
}
