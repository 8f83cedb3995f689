/**
 * nginx access logs. The built-in `combined` format has no timings (and `$time_local`
 * has one-second resolution, taken when the line is written), so lbsim reads this format,
 * which users add to nginx (http context) and select with `access_log ... lbsim;`:
 *
 *   log_format lbsim '$msec $request_time $upstream_response_time $upstream_addr '
 *                    '$upstream_status $status $remote_addr "$request"';
 *
 *   1713175200.123 0.052 0.050 10.0.0.1:8080 200 200 203.0.113.7 "GET /api/users?id=1 HTTP/1.1"
 *
 * (nginx docs: ngx_http_log_module and ngx_http_upstream_module, "Embedded Variables".)
 * `$msec` is when the line was written (the response ended), so arrival = `$msec` −
 * `$request_time`, to the millisecond. Work is `$upstream_response_time`: with several
 * attempts (`0.010, 0.050`, or `0.010 : 0.050` after an internal redirect) it is the last
 * attempt's time, the one that answered; `-` (no upstream) leaves the work to be
 * estimated. Status >= 500 marks a recorded failure. Client key: `$remote_addr`; route
 * key: the request path without its query.
 */
import { clientIdKeyOf, requestKeys, targetKeys } from './keys.ts';
import { NO_REQUEST, type LineParser, type ParsedRequest, type ReaderOptions, parseDecimal } from './types.ts';
import { RequestFlag } from '../source.ts';

/** End of a field that may be a list (`a, b` or `a : b`): the space that ends it, or the line's end. */
function listEnd(line: string, p: number): number {
  let e = line.indexOf(' ', p);
  while (e >= 0) {
    if (line.charCodeAt(e - 1) === 44) e = line.indexOf(' ', e + 1);
    else if (line.charCodeAt(e + 1) === 58 && line.charCodeAt(e + 2) === 32) e = line.indexOf(' ', e + 3);
    else break;
  }
  return e < 0 ? line.length : e;
}

/** Start of the last element of a list field [p, e). */
function lastElement(line: string, p: number, e: number): number {
  for (let i = e - 1; i > p; i--) {
    const c = line.charCodeAt(i);
    if (c === 32) return i + 1;
  }
  return p;
}

export function nginxParser(options: ReaderOptions = {}): LineParser {
  const work = options.work ?? 'upstream_response_time';
  if (work !== 'upstream_response_time' && work !== 'request_time') throw new Error(`nginx work field must be upstream_response_time or request_time, got ${work}`);
  const useRequestTime = work === 'request_time';
  return (line: string, out: ParsedRequest): string | undefined => {
    if (line.length === 0) return NO_REQUEST;
    let p = 0;
    let e = line.indexOf(' ', p);
    if (e < 0) return 'expected the lbsim log_format ($msec $request_time $upstream_response_time ...)';
    const msec = parseDecimal(line, p, e);
    if (!(msec > 0)) return `$msec: expected epoch seconds such as 1713175200.123, got '${line.slice(p, e)}'`;
    p = e + 1;
    e = line.indexOf(' ', p);
    if (e < 0) return 'line ends after $request_time';
    const requestTime = parseDecimal(line, p, e);
    if (!(requestTime >= 0)) return `$request_time: expected seconds such as 0.052, got '${line.slice(p, e)}'`;
    p = e + 1;
    e = listEnd(line, p);
    const last = lastElement(line, p, e);
    let upstream = Number.NaN;
    if (!(e - last === 1 && line.charCodeAt(last) === 45)) {
      upstream = parseDecimal(line, last, e);
      if (!(upstream >= 0)) return `$upstream_response_time: expected seconds or '-', got '${line.slice(p, e)}'`;
    }
    p = e + 1;
    e = listEnd(line, p); // $upstream_addr: which backend served it in the old system; not replayed
    p = e + 1;
    e = listEnd(line, p); // $upstream_status
    p = e + 1;
    e = line.indexOf(' ', p);
    if (e < 0) return 'line ends before $status $remote_addr "$request"';
    const status = parseDecimal(line, p, e);
    if (!(status >= 0)) return `$status: expected an HTTP status, got '${line.slice(p, e)}'`;
    p = e + 1;
    e = line.indexOf(' ', p);
    if (e < 0) return 'line ends before "$request"';
    out.client = clientIdKeyOf(line, p, e);
    p = e + 1;
    if (line.charCodeAt(p) !== 34) return `"$request": expected a quoted request line, got '${line.slice(p, p + 20)}'`;
    const close = line.lastIndexOf('"');
    if (!requestKeys(line, p + 1, close, out)) targetKeys(line, p + 1, close > p ? close : line.length, out);
    out.arrivalEpochMs = (msec - requestTime) * 1000;
    out.workMs = useRequestTime ? requestTime * 1000 : upstream * 1000;
    out.flags = status >= 500 ? RequestFlag.RecordedFailure : 0;
    return undefined;
  };
}
