import type { StandardJSONSchemaV1, StandardSchemaV1 } from '@standard-schema/spec';

export type { StandardJSONSchemaV1, StandardSchemaV1 };

/** What a schema produces after validation (what a handler receives). */
export type InferOut<S> = S extends StandardSchemaV1<any, infer O> ? O : unknown;

/** A validation issue as it travels in `SwitchyardError.data.issues`: plain JSON. */
export interface WireIssue {
  message: string;
  path?: (string | number)[];
}

export type ValidationResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly issues: WireIssue[] };

const MAX_ISSUES = 32;

/** Reduces Standard Schema issues to plain JSON (path keys may be symbols or objects). */
export function toWireIssues(issues: readonly StandardSchemaV1.Issue[]): WireIssue[] {
  const out: WireIssue[] = [];
  for (const issue of issues) {
    if (out.length >= MAX_ISSUES) break;
    const wire: WireIssue = { message: String(issue.message) };
    if (issue.path && issue.path.length > 0) {
      wire.path = issue.path.map((seg) => {
        const key = typeof seg === 'object' && seg !== null ? seg.key : seg;
        return typeof key === 'number' ? key : String(key);
      });
    }
    out.push(wire);
  }
  return out;
}

/**
 * Checks that a value looks like a Standard Schema, so a wrong `input:` (a plain
 * object, a zod 3 schema) fails at definition time with a clear message.
 */
export function assertStandardSchema(
  value: unknown,
  where: string,
): asserts value is StandardSchemaV1 {
  const std =
    typeof value === 'object' || typeof value === 'function'
      ? (value as { '~standard'?: { version?: unknown; validate?: unknown } } | null)?.['~standard']
      : undefined;
  if (std?.version !== 1 || typeof std.validate !== 'function') {
    throw new TypeError(
      `${where} is not a Standard Schema v1 (zod >= 3.24, valibot >= 1, arktype >= 2, …)`,
    );
  }
}

/** JSON Schema of a schema when its library offers one through Standard JSON Schema, else undefined. */
export function jsonSchemaOf(
  schema: StandardSchemaV1 | undefined,
  side: 'input' | 'output',
): Record<string, unknown> | undefined {
  if (!schema) return undefined;
  const converter = (schema as unknown as Partial<StandardJSONSchemaV1>)['~standard']?.jsonSchema;
  if (!converter || typeof converter[side] !== 'function') return undefined;
  try {
    return converter[side]({ target: 'draft-2020-12' });
  } catch {
    // Some types (functions, transforms) have no JSON Schema: describe() just omits it.
    return undefined;
  }
}
