/** The line parser of each log format (one file per format). */
import { albParser } from './alb.ts';
import { csvParser } from './csv.ts';
import { envoyParser } from './envoy.ts';
import { haproxyParser } from './haproxy.ts';
import { jsonlParser } from './jsonl.ts';
import { nginxParser } from './nginx.ts';
import type { LineParser, LogFormat, ReaderOptions } from './types.ts';

export function parserFor(format: LogFormat, options: ReaderOptions = {}): LineParser {
  switch (format) {
    case 'nginx':
      return nginxParser(options);
    case 'haproxy':
      return haproxyParser(options);
    case 'alb':
      return albParser(options);
    case 'envoy':
      return envoyParser(options);
    case 'csv':
      return csvParser(options);
    case 'jsonl':
      return jsonlParser(options);
  }
}
