import { ERROR_CODES, isRestSelector, type MethodEntry } from '@switchyard/core';
import { JSON_TYPE, MSGPACK_TYPE } from './media-type.js';
import { type CompiledRoute, compileRoute } from './route.js';

export interface OpenApiInfo {
  title?: string;
  version?: string;
  description?: string;
  servers?: readonly { url: string; description?: string }[];
}

type Schema = Record<string, unknown>;

const ERROR_REF = { $ref: '#/components/schemas/Error' };
const ERROR_RESPONSE = (description: string) => ({
  description,
  content: { [JSON_TYPE]: { schema: ERROR_REF } },
});

/** A JSON Schema embedded in OpenAPI: the `$schema` dialect marker belongs to the document. */
function embed(schema: Schema | undefined): Schema {
  if (schema === undefined) return {};
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

function properties(schema: Schema | undefined): Record<string, Schema> {
  const props = schema?.properties;
  return typeof props === 'object' && props !== null ? (props as Record<string, Schema>) : {};
}

function requiredOf(schema: Schema | undefined): Set<string> {
  return new Set(Array.isArray(schema?.required) ? (schema.required as string[]) : []);
}

function operation(route: CompiledRoute): Schema {
  const entry = route.entry;
  const input = route.inputSchema;
  const props = properties(input);
  const required = requiredOf(input);
  const pathNames = new Set(route.pattern.paramNames);
  const parameters: Schema[] = route.pattern.paramNames.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: embed(props[name] ?? { type: 'string' }),
  }));
  const op: Schema = {
    operationId: entry.name,
    tags: [entry.service],
  };
  if (entry.description !== undefined) op.summary = entry.description;
  if (route.acceptsBody) {
    // Everything that is not in the path travels in the body.
    const bodySchema: Schema = { ...embed(input) };
    if (pathNames.size > 0 && Object.keys(props).length > 0) {
      bodySchema.properties = Object.fromEntries(
        Object.entries(props).filter(([name]) => !pathNames.has(name)),
      );
      bodySchema.required = [...required].filter((name) => !pathNames.has(name));
    }
    op.requestBody = {
      required: [...required].some((name) => !pathNames.has(name)),
      content: { [JSON_TYPE]: { schema: bodySchema }, [MSGPACK_TYPE]: { schema: bodySchema } },
    };
  } else {
    for (const [name, schema] of Object.entries(props)) {
      if (pathNames.has(name)) continue;
      parameters.push({ name, in: 'query', required: required.has(name), schema: embed(schema) });
    }
  }
  if (parameters.length > 0) op.parameters = parameters;
  const output = embed(route.outputSchema);
  const responses: Schema = {};
  if (route.streaming) {
    responses['200'] = {
      description: 'Server-Sent Events: one `data:` event per item (JSON), then `event: end`',
      content: { 'text/event-stream': { schema: { type: 'string' }, 'x-item-schema': output } },
    };
  } else {
    responses['200'] = {
      description: 'Success',
      content: { [JSON_TYPE]: { schema: output }, [MSGPACK_TYPE]: { schema: output } },
    };
    responses['204'] = { description: 'Success without a result' };
  }
  responses['400'] = ERROR_RESPONSE('Invalid input or malformed body');
  if (route.acceptsBody) {
    responses['413'] = ERROR_RESPONSE('Body larger than the limit');
    responses['415'] = ERROR_RESPONSE('Content-Type is neither JSON nor msgpack');
  }
  responses['504'] = ERROR_RESPONSE('Deadline exceeded');
  responses.default = ERROR_RESPONSE('Error: `code` from the Switchyard error table');
  op.responses = responses;
  op['x-switchyard'] = { method: entry.name, kind: entry.kind, idempotent: entry.idempotent };
  return op;
}

/** OpenAPI 3.1 path: `/users/:id` becomes `/users/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/** The OpenAPI 3.1 document of the REST routes, from the methods' schemas. */
export function buildOpenApi(routes: readonly CompiledRoute[], info: OpenApiInfo = {}): Schema {
  const paths: Record<string, Record<string, Schema>> = {};
  for (const route of routes) {
    const path = openApiPath(route.pattern.path);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route);
  }
  const doc: Schema = {
    openapi: '3.1.0',
    info: {
      title: info.title ?? 'Switchyard API',
      version: info.version ?? '0.0.0',
      ...(info.description === undefined ? {} : { description: info.description }),
    },
    paths,
    components: {
      schemas: {
        Error: {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: { type: 'string', enum: Object.keys(ERROR_CODES) },
            message: { type: 'string' },
            data: {},
          },
        },
      },
    },
  };
  if (info.servers !== undefined) doc.servers = info.servers;
  return doc;
}

/**
 * The OpenAPI document for a set of methods (e.g. `edge.methods`) without
 * starting a gateway: for build steps that publish the spec.
 */
export function openApiFromMethods(
  methods: readonly MethodEntry[],
  info: OpenApiInfo = {},
): Record<string, unknown> {
  const routes: CompiledRoute[] = [];
  for (const entry of methods) {
    for (const selector of entry.selectors) {
      if (isRestSelector(selector)) routes.push(compileRoute(entry, selector, []));
    }
  }
  return buildOpenApi(routes, info);
}
