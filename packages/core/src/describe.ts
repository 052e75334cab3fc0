import type { MethodDef, MethodKind } from './method.js';
import { jsonSchemaOf } from './schema.js';
import type { Selector } from './selectors.js';
import type { ServiceDef } from './service.js';

export interface MethodDescriptor {
  /** Canonical name, `service.method`. */
  name: string;
  method: string;
  kind: MethodKind;
  idempotent: boolean;
  timeout?: number;
  description?: string;
  selectors: Selector[];
  /** JSON Schema (draft 2020-12) of the input, when the validator offers one. */
  input?: Record<string, unknown>;
  output?: Record<string, unknown>;
}

export interface ServiceDescriptor {
  name: string;
  description?: string;
  methods: MethodDescriptor[];
}

export interface Descriptor {
  version: 1;
  services: ServiceDescriptor[];
}

function describeMethod(serviceName: string, key: string, def: MethodDef): MethodDescriptor {
  const out: MethodDescriptor = {
    name: `${serviceName}.${key}`,
    method: key,
    kind: def.kind,
    idempotent: def.idempotent,
    selectors: def.selectors.map((s) => ({ ...s })),
  };
  if (def.timeout !== undefined) out.timeout = def.timeout;
  if (def.description !== undefined) out.description = def.description;
  const input = jsonSchemaOf(def.input, 'input');
  if (input) out.input = input;
  const output = jsonSchemaOf(def.output, 'output');
  if (output) out.output = output;
  return out;
}

/**
 * A plain-JSON description of services for OpenAPI generators and clients in
 * other languages. JSON Schemas come from the Standard JSON Schema interface
 * (zod 4 implements it); other validators simply get no schema.
 */
export function describe(services: readonly ServiceDef[]): Descriptor {
  return {
    version: 1,
    services: services.map((svc) => {
      const d: ServiceDescriptor = {
        name: svc.name,
        methods: Object.entries(svc.methods).map(([key, def]) =>
          describeMethod(svc.name, key, def),
        ),
      };
      if (svc.description !== undefined) d.description = svc.description;
      return d;
    }),
  };
}
