import {
  type HttpMethod,
  jsonSchemaOf,
  type MethodEntry,
  type RestSelector,
} from '@switchyard/core';
import { compilePath, type PathPattern } from './path-pattern.js';

/** How a path or query string is turned into the type the input schema wants. */
export type FieldType = 'number' | 'integer' | 'boolean' | 'array';

/** Header name (lower case) → metadata key. */
export type HeaderMapping = readonly (readonly [header: string, key: string])[];

/** Header names, or header → metadata key when the handler wants its own names. */
export type HeaderMappingOption = readonly string[] | Readonly<Record<string, string>>;

/** A rest() selector of one method, prepared once at registration. */
export interface CompiledRoute {
  readonly entry: MethodEntry;
  readonly method: HttpMethod;
  readonly pattern: PathPattern;
  readonly streaming: boolean;
  /** POST, PUT, PATCH and DELETE may carry a body. */
  readonly acceptsBody: boolean;
  readonly headers: HeaderMapping;
  readonly fieldTypes: ReadonlyMap<string, FieldType>;
  /** The field type of each path parameter, by position (no map lookup per request). */
  readonly paramTypes: readonly (FieldType | undefined)[];
  readonly inputSchema: Record<string, unknown> | undefined;
  readonly outputSchema: Record<string, unknown> | undefined;
}

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

export function compileHeaderMapping(option: HeaderMappingOption | undefined): HeaderMapping {
  if (option === undefined) return [];
  const pairs: [string, string][] = Array.isArray(option)
    ? (option as readonly string[]).map((h) => [h.toLowerCase(), h.toLowerCase()])
    : Object.entries(option as Record<string, string>).map(([h, k]) => [h.toLowerCase(), k]);
  for (const [header] of pairs) {
    if (!HEADER_NAME.test(header)) throw new TypeError(`invalid header name '${header}'`);
  }
  return pairs;
}

function fieldTypeOf(schema: unknown): FieldType | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const type = (schema as { type?: unknown }).type;
  const types = Array.isArray(type) ? type : [type];
  if (types.includes('string')) return undefined;
  if (types.includes('integer')) return 'integer';
  if (types.includes('number')) return 'number';
  if (types.includes('boolean')) return 'boolean';
  if (types.includes('array')) return 'array';
  return undefined;
}

/**
 * Path and query values arrive as strings; where the input's JSON Schema says
 * a property is a number, integer, boolean or array, the gateway converts it
 * so `?limit=10` validates against `z.number()`.
 */
function fieldTypes(schema: Record<string, unknown> | undefined): Map<string, FieldType> {
  const out = new Map<string, FieldType>();
  const props = schema?.properties;
  if (typeof props !== 'object' || props === null) return out;
  for (const [name, prop] of Object.entries(props)) {
    const type = fieldTypeOf(prop);
    if (type !== undefined) out.set(name, type);
  }
  return out;
}

export function compileRoute(
  entry: MethodEntry,
  selector: RestSelector,
  headers: HeaderMapping,
): CompiledRoute {
  const inputSchema = jsonSchemaOf(entry.input, 'input');
  const method = selector.method;
  const pattern = compilePath(selector.path);
  const types = fieldTypes(inputSchema);
  return {
    entry,
    method,
    pattern,
    streaming: entry.kind === 'server-stream',
    acceptsBody: method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE',
    headers,
    fieldTypes: types,
    paramTypes: pattern.paramNames.map((name) => types.get(name)),
    inputSchema,
    outputSchema: jsonSchemaOf(entry.output, 'output'),
  };
}

const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Converts one string; a value that does not convert is left for the schema to reject. */
export function coerce(value: string, type: FieldType | undefined): unknown {
  switch (type) {
    case undefined:
      return value;
    case 'number':
    case 'integer':
      return NUMBER.test(value) ? Number(value) : value;
    case 'boolean':
      return value === 'true' || value === '1'
        ? true
        : value === 'false' || value === '0'
          ? false
          : value;
    case 'array':
      return [value];
  }
}
