/**
 * uWS takes the whole status line ("404 Not Found"). Precomputed so the hot
 * path never concatenates strings for a status.
 */
const REASONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const LINES = new Map<number, string>();
for (const [code, reason] of Object.entries(REASONS)) LINES.set(Number(code), `${code} ${reason}`);

/** "404 Not Found" for a known status, "NNN Status" otherwise. */
export function statusLine(status: number): string {
  return LINES.get(status) ?? `${status} Status`;
}
