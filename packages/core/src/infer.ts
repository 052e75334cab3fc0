import type { MethodKind } from './method.js';

type Types<M> = M extends { readonly '~types'?: infer T } ? NonNullable<T> : never;

/** What a caller sends to a method (one item, for input streams). */
export type InputOf<M> = Types<M> extends { input: infer I } ? I : never;
/** What a caller receives (one item, for output streams). */
export type OutputOf<M> = Types<M> extends { output: infer O } ? O : never;
export type KindOf<M> = Types<M> extends { kind: infer K extends MethodKind } ? K : MethodKind;

export type MethodsOf<S> = S extends { readonly methods: infer M } ? M : never;
export type MethodNames<S> = keyof MethodsOf<S> & string;
