export type { CorsOptions } from './cors.js';
export type { HttpGatewayOptions } from './http-gateway.js';
export { HttpGateway, httpGateway } from './http-gateway.js';
export type { UwsModule } from './native-uws.js';
export {
  assertNativeUws,
  loadNativeUws,
  nativeUwsProblem,
  UwsNativeError,
} from './native-uws.js';
export type { OpenApiInfo } from './openapi.js';
export { openApiFromMethods, openApiPath } from './openapi.js';
export { setResponseHeader } from './response-headers.js';
export type { HeaderMappingOption } from './route.js';
