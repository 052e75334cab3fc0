export type { ErrorCode, SwitchyardErrorJSON, SwitchyardErrorOptions } from '@switchyard/stream';
export { ERROR_CODES, httpStatusOf, isErrorCode, SwitchyardError } from '@switchyard/stream';
export type { SignalSource } from './call-signal.js';
export { CallSignal, LinkedCallSignal } from './call-signal.js';
export type {
  BidiStream,
  Client,
  ClientCallOptions,
  ClientStream,
  MethodClient,
  ServiceClient,
} from './client.js';
export { createClient } from './client.js';
export type {
  Cluster,
  ClusterHost,
  ClusterMember,
  ForwardRequest,
} from './cluster.js';
export type { Connection, Metadata } from './connection.js';
export type { Context } from './context.js';
export type { Descriptor, MethodDescriptor, ServiceDescriptor } from './describe.js';
export { describe } from './describe.js';
export type { Edge, EdgeOptions, EdgeState } from './edge.js';
export { createEdge } from './edge.js';
export type { DispatchRequest, Gateway, GatewayHost } from './gateway.js';
export type { InputOf, KindOf, MethodNames, MethodsOf, OutputOf } from './infer.js';
export type { Logger, LogLevel } from './logger.js';
export { consoleLogger, silentLogger } from './logger.js';
export type {
  MemoryCallOptions,
  MemoryClient,
  MemoryGateway,
  PushRecord,
} from './memory-gateway.js';
export { memoryGateway } from './memory-gateway.js';
export type { MemoryListener } from './memory-listener.js';
export { memoryListener } from './memory-listener.js';
export type { Handler, MethodDef, MethodInit, MethodKind } from './method.js';
export { METHOD_KINDS, method } from './method.js';
export type { MethodEntry } from './method-entry.js';
export type { AuthOptions } from './middleware/auth.js';
export { auth, principalOf } from './middleware/auth.js';
export type { Bulkhead, BulkheadOptions } from './middleware/bulkhead.js';
export { bulkhead } from './middleware/bulkhead.js';
export type {
  CircuitBreaker,
  CircuitBreakerOptions,
  CircuitState,
} from './middleware/circuit-breaker.js';
export { circuitBreaker } from './middleware/circuit-breaker.js';
export type { RateLimitOptions } from './middleware/rate-limit.js';
export { rateLimit } from './middleware/rate-limit.js';
export type { RetryOptions } from './middleware/retry.js';
export { retry } from './middleware/retry.js';
export { timeout } from './middleware/timeout.js';
export type { Middleware, Next } from './middleware.js';
export { reentrant } from './middleware.js';
export type { StandardJSONSchemaV1, StandardSchemaV1, WireIssue } from './schema.js';
export { jsonSchemaOf, toWireIssues } from './schema.js';
export type { HttpMethod, RestSelector, RpcSelector, Selector } from './selectors.js';
export {
  defineSelector,
  isRestSelector,
  isRpcSelector,
  rest,
  restParams,
  rpc,
} from './selectors.js';
export type { ServiceDef, ServiceOptions } from './service.js';
export { service } from './service.js';
export type { StreamGateway, StreamGatewayOptions } from './stream-gateway.js';
export { streamGateway } from './stream-gateway.js';
export type { TestCall, TestHarness, TestStream } from './test-service.js';
export { testService } from './test-service.js';
