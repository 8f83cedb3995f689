/**
 * Envoy's default access log format (Envoy docs, "Access logging" → "Default format
 * string"):
 *
 *   [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%"
 *   %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
 *   %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
 *   "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"
 *
 *   [2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 \
 *     "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80"
 *
 * Arrival is START_TIME (ms). Work is the upstream service time header
 * (x-envoy-upstream-service-time, ms, what the upstream reported); `-` (no upstream
 * answer) leaves it to be estimated. A response code >= 500 or 0, or any response flag
 * (UH, UF, UO, URX, ...), marks a recorded failure. Client key: the first address of
 * X-Forwarded-For (or `-` when absent); route key: the path without the query.
 */
import { RequestFlag } from '../source.ts';
import { clientIdKeyOf, keyOf, requestKeys } from './keys.ts';
import { NO_REQUEST, type LineParser, type ParsedRequest, type ReaderOptions, parseDecimal, parseIsoMs } from './types.ts';

export function envoyParser(options: ReaderOptions = {}): LineParser {
  const work = options.work ?? 'upstream_service_time';
  if (work !== 'upstream_service_time' && work !== 'duration') throw new Error(`envoy work field must be upstream_service_time or duration, got ${work}`);
  const useDuration = work === 'duration';
  return (line: string, out: ParsedRequest): string | undefined => {
    if (line.length === 0) return NO_REQUEST;
    if (line.charCodeAt(0) !== 91) return "expected '[START_TIME]' at the start of the line";
    const close = line.indexOf(']');
    if (close < 0) return 'unterminated [START_TIME]';
    const arrival = parseIsoMs(line, 1, close);
    if (!Number.isFinite(arrival)) return `START_TIME: expected an ISO-8601 time, got '${line.slice(1, close)}'`;
    let p = close + 2;
    if (line.charCodeAt(p) !== 34) return 'expected a quoted "METHOD PATH PROTOCOL" after the time';
    const rq = line.indexOf('"', p + 1);
    if (rq < 0) return 'unterminated request';
    if (!requestKeys(line, p + 1, rq, out)) out.route = out.uri = keyOf(line, p + 1, rq);
    p = rq + 2;
    let e = line.indexOf(' ', p);
    if (e < 0) return 'line ends after the request';
    const code = parseDecimal(line, p, e);
    if (!Number.isFinite(code)) return `RESPONSE_CODE: expected a number, got '${line.slice(p, e)}'`;
    p = e + 1;
    e = line.indexOf(' ', p);
    if (e < 0) return 'line ends after RESPONSE_CODE';
    const flagged = !(e - p === 1 && line.charCodeAt(p) === 45);
    p = e + 1;
    e = line.indexOf(' ', p); // BYTES_RECEIVED
    p = e + 1;
    e = line.indexOf(' ', p); // BYTES_SENT
    if (e < 0) return 'line ends before DURATION';
    p = e + 1;
    e = line.indexOf(' ', p);
    if (e < 0) return 'line ends after DURATION';
    const duration = parseDecimal(line, p, e);
    if (!(duration >= 0)) return `DURATION: expected ms, got '${line.slice(p, e)}'`;
    p = e + 1;
    e = line.indexOf(' ', p);
    if (e < 0) e = line.length;
    let upstream = Number.NaN;
    if (!(e - p === 1 && line.charCodeAt(p) === 45)) {
      upstream = parseDecimal(line, p, e);
      if (!(upstream >= 0)) return `X-ENVOY-UPSTREAM-SERVICE-TIME: expected ms or '-', got '${line.slice(p, e)}'`;
    }
    p = e + 1;
    if (line.charCodeAt(p) === 34) {
      const xe = line.indexOf('"', p + 1);
      let ce = line.indexOf(',', p + 1);
      if (ce < 0 || ce > xe) ce = xe;
      out.client = clientIdKeyOf(line, p + 1, ce < 0 ? line.length : ce);
    } else out.client = 0;
    out.arrivalEpochMs = arrival;
    out.workMs = useDuration ? duration : upstream;
    out.flags = flagged || code >= 500 || code === 0 ? RequestFlag.RecordedFailure : 0;
    return undefined;
  };
}
