/**
 * The ALB reader's byte path (src/traffic/readers/alb-bytes.ts) against the reference
 * parser (reference/parsers-v1.ts, commit d414355): ALB lines whose fields are replaced by
 * the forms the byte path reads or must leave to the text — processing times (`-1`,
 * `1.`, `.5`, `-0`, 18 digits, `1e3`), status codes, client `address:port` (IPv6,
 * no port, empty), request lines (no scheme, `://` in the path, no method, a query,
 * unquoted), request_creation_time (no fraction, `,` fractions, offsets, a space for
 * `T`, out of range), quoted fields with spaces, empty fields (two spaces), and lines cut
 * short — give the same request to the bit or the same message, from the text alone and
 * from the block's bytes. And the byte path does take ordinary lines (else the property
 * above would hold vacuously).
 */
import { isAscii } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { albParser } from '../../src/traffic/readers/alb.ts';
import { albBytesReader } from '../../src/traffic/readers/alb-bytes.ts';
import { eachCompleteLineIn } from '../../src/traffic/readers/lines.ts';
import { emptyRequest, parseIn, type ParsedRequest } from '../../src/traffic/readers/types.ts';
import { albParserV1 } from './reference/parsers-v1.ts';

/** The fields of an ALB line (ELB User Guide, "Access log entries"), as the readers' tests write them. */
const FIELDS = [
  'https',
  '2024-04-15T10:59:31.020005Z',
  'app/my-lb/50dc6c495c0c9188',
  '10.0.178.213:2817',
  '10.0.0.1:80',
  '0.000',
  '0.019',
  '0.000',
  '200',
  '200',
  '34',
  '366',
  '"GET https://shop.example.com:443/api/v1/resource122?id=7 HTTP/1.1"',
  '"curl/8.5.0"',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'TLSv1.2',
  'arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067',
  '"Root=1-58337262-36d228ad5d99923122bbe354"',
  '"shop.example.com"',
  '"arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012"',
  '0',
  '2024-04-15T10:59:31.000005Z',
  '"forward"',
  '"-"',
  '"-"',
  '"10.0.0.1:80"',
  '"200"',
  '"-"',
  '"-"',
] as const;

const TIME = ['0.000', '0.019', '-1', '-', '', '1.', '.5', '-.5', '-0', '00.001', '123456789012345678', '12345678901234567.0', '1e3', '0.5x', '1x2', '0.5-1', '"0.1"', '2', '-1.000'];
const STATUS = ['200', '503', '500', '499', '-', '', '5000', '0', '-1', '2OO', '"500"'];
const CLIENT = [
  '10.0.0.1:2817', '[2001:db8::1]:443', '2001:db8::1', ':80', '10.0.0.1', '', 'a:b:c', '"1.2.3.4:5"', '10.0.0.1:',
  // Near-IPv4 fields (client keys 2: an IPv4 address keys to its value, anything else is hashed).
  '255.255.255.255:65535', '256.1.1.1:80', '1.2.3:4', '1.2.3.4.5:6', '001.02.3.4:5', '1234.1.1.1', '1.2.3.4:80x', '1..2.3:4', '.1.2.3:4', '1.2.3.4::5', '::ffff:1.2.3.4',
];
const REQUEST = [
  '"GET https://shop.example.com:443/api/v1/x?id=7 HTTP/1.1"',
  '"GET /relative/path HTTP/1.1"',
  '"- - -"',
  '"GET"',
  '""',
  '"GET http:// HTTP/1.1"',
  '"GET ://x/y HTTP/1.1"',
  '"GET h:/x://y?z HTTP/1.1"',
  '"GET a:/b HTTP"',
  '"GET https://h:1/a b c HTTP/1.1"',
  '"GET https://h/?"',
  '"POST wss://h:443/ws HTTP/1.1"',
  'GET',
  '"unterminated',
];
const CREATION = [
  '2024-04-15T10:59:31.000005Z',
  '2024-04-15T10:59:31Z',
  '2024-04-15T10:59:31.Z',
  '2024-04-15T10:59:31,5Z',
  '2024-04-15T10:59:31.5+02:00',
  '2024-04-15 10:59:31Z',
  '2024-13-15T10:59:31Z',
  '2024-04-00T10:59:31Z',
  '2024-04-15T24:00:00Z',
  '2024-04-15T25:00:00Z',
  '2024-04-15T10:59:60.9Z',
  '2024-04-15T10:59:61Z',
  '2024-04-15T10:60:00Z',
  '2024-00-15T10:59:31Z',
  '2024-04-32T10:59:31Z',
  '2024-04-15T10:59:31.1234567890123456789Z',
  '2024-04-15T10:59:31.5z',
  '2024-04-15T10:59:31.5Zx',
  '2024-04-15T10-59:31Z',
  '2024-04-15T10:59-31Z',
  '2O24-04-15T10:59:31Z',
  '2024-02-29T23:59:59.999999Z',
  '1999-12-31T23:59:59Z',
  '2024-04-15T10:58:31.000001Z',
  '-',
];
const ANY = ['-', '', '"a b c"', '"-"', 'x', '"', '""', 'a"b', ' '];

/** Which field a change hits, and what it puts there. */
const change = fc.oneof(
  fc.record({ at: fc.constantFrom(5, 6, 7), value: fc.constantFrom(...TIME) }),
  fc.record({ at: fc.constant(8), value: fc.constantFrom(...STATUS) }),
  fc.record({ at: fc.constant(3), value: fc.constantFrom(...CLIENT) }),
  fc.record({ at: fc.constant(12), value: fc.constantFrom(...REQUEST) }),
  fc.record({ at: fc.constant(21), value: fc.constantFrom(...CREATION) }),
  fc.record({ at: fc.nat({ max: FIELDS.length - 1 }), value: fc.constantFrom(...ANY) }),
  // A field dropped: a byte path that split a field where the text does not would line up again.
  fc.record({ at: fc.nat({ max: FIELDS.length - 1 }), value: fc.constant(undefined) }),
);

/** A line: the fields changed, then maybe cut short. */
const line = fc.tuple(fc.array(change, { maxLength: 3 }), fc.option(fc.nat(), { nil: undefined })).map(([changes, cut]) => {
  const fields: string[] = [...FIELDS];
  for (const c of changes) {
    if (c.value === undefined) fields.splice(c.at, 1);
    else fields[c.at] = c.value;
  }
  const text = fields.join(' ');
  return cut === undefined ? text : text.slice(0, cut % (text.length + 1));
});

type Result = { msg: string | undefined; req?: Partial<ParsedRequest> };
const resultOf = (msg: string | undefined, out: ParsedRequest): Result => (msg === undefined ? { msg, req: { ...out } } : { msg });
/** Without the uri key, which the reference parser predates: the text and byte paths' uri keys are compared with each other. */
const withoutUri = (r: Result): Result => (r.req === undefined ? r : { msg: r.msg, req: { ...r.req, uri: undefined } });

describe('ALB byte path ≡ the reference parser', () => {
  for (const work of ['target_processing_time', 'total'] as const) {
    it(`work ${work}: the same request or the same message, from the text and from the bytes, on lines with odd fields`, () => {
      fc.assert(
        fc.property(fc.array(line, { minLength: 1, maxLength: 10 }), fc.boolean(), (lines, crlf) => {
          const v1 = albParserV1({ work });
          const inText = parseIn(albParser({ work }));
          const out = emptyRequest();
          const want = lines.map((l) => withoutUri(resultOf(v1(l, out), out)));
          const byPath: Result[][] = [];
          const block = `${lines.join(crlf ? '\r\n' : '\n')}${crlf ? '\r\n' : '\n'}https "tail :// ?q 2024-04-15T10:59:31Z\n`;
          const bytes = Buffer.from(block, 'latin1');
          expect(isAscii(bytes)).toBe(true);
          for (const b of [undefined, bytes]) {
            const got: Result[] = [];
            eachCompleteLineIn(
              block,
              (text, start, end, lineBytes) => {
                if (got.length < lines.length) got.push(resultOf(inText(text, start, end, out, lineBytes), out));
              },
              b,
            );
            expect(got.map(withoutUri)).toEqual(want);
            byPath.push(got);
          }
          expect(byPath[1]).toEqual(byPath[0]);
        }),
        { numRuns: 3000 },
      );
    });
  }

  it('takes ordinary lines (and those with -1 timings, IPv6 clients, other times) from the bytes, and leaves odd ones to the text', () => {
    const read = albBytesReader(false);
    const take = (fields: readonly string[]) => {
      const text = fields.join(' ');
      return read(text, Buffer.from(text, 'latin1'), 0, text.length, emptyRequest());
    };
    const withField = (at: number, value: string) => FIELDS.map((f, i) => (i === at ? value : f));
    expect(take(FIELDS)).toBe(true);
    expect(take(withField(6, '-1'))).toBe(true);
    expect(take(withField(3, '[2001:db8::1]:443'))).toBe(true);
    expect(take(withField(21, '2024-04-15T10:59:31Z'))).toBe(true);
    expect(take(withField(12, '"GET /relative HTTP/1.1"'))).toBe(true);
    expect(take(FIELDS.slice(0, 22))).toBe(true);
    // Left to alb.ts: an offset, an older layout (no request_creation_time), an unquoted request, a bad number.
    expect(take(withField(21, '2024-04-15T10:59:31.5+02:00'))).toBe(false);
    expect(take(FIELDS.slice(0, 16))).toBe(false);
    expect(take(withField(12, 'GET'))).toBe(false);
    expect(take(withField(6, '1e3'))).toBe(false);
  });
});
