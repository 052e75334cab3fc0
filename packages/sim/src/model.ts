/**
 * A sequential specification for the linearizability checker.
 *
 * `step` applies one operation to a state and says whether the observed
 * output is what the sequential object would have returned. For a pending
 * operation `output` is undefined: the model must then accept and apply the
 * operation's natural effect. States must be treated as immutable: return a
 * new state rather than mutating the old one.
 */
export interface Model<S, I, O> {
  init(): S;
  step(state: S, input: I, output: O | undefined): [ok: boolean, next: S];
  /**
   * Splits a history into independent sub-histories (P-compositionality):
   * operations with different keys never constrain each other, e.g. per key
   * of a map. Each part starts from `init()`.
   */
  partition?(input: I): string;
  /**
   * Optional speed-up: true if the operation can never change the state,
   * i.e. wherever `step(state, input, output)` is ok it returns a state equal
   * to `state` (a read; a cas that reports failure). The search then never
   * retries such an operation in another position. Must not be true for
   * anything that may change the state (a write of the current value is not
   * read-only: elsewhere it would change the state).
   */
  readOnly?(input: I, output: O | undefined): boolean;
  /** State equality for memoization, checked after the hashes match. Default: equal hashes suffice. */
  equal?(a: S, b: S): boolean;
  /**
   * A string or number identifying a state; equal states must hash equal.
   * Default: JSON.stringify (then states with equal hashes count as equal
   * unless `equal` says otherwise).
   */
  hash?(state: S): string | number;
  /** How an operation is shown in reports. */
  describe?(input: I, output: O | undefined): string;
  /** How a state is shown in reports. */
  describeState?(state: S): string;
}
