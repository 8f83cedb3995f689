/**
 * nginx `hash <key>` and `hash <key> consistent`
 * (src/http/modules/ngx_http_upstream_hash_module.c, nginx 1.22).
 *
 * Plain `hash` (ngx_http_upstream_get_hash_peer), compatible with Cache::Memcached: on
 * try t, crc32 of (t as decimal text, omitted on the first try) followed by the key,
 * hash += (crc >> 16) & 0x7fff, and w = hash % total_weight walks the peers' weights in
 * order; a down peer means another try; after 20 tries, round robin.
 *
 * `consistent` (ketama, ngx_http_upstream_init_chash / get_chash_peer): every peer gets
 * 160 * weight points; point j of a peer whose address is "HOST:PORT" is
 * crc32(HOST "\0" PORT prev) where prev is the previous point's hash as 4 little-endian
 * bytes (0 for the first). Points are sorted (duplicates dropped); a key's crc32 selects
 * the first point >= it, wrapping; a down peer moves the search to the next point, and
 * after 21 points without a usable peer (tries > 20) round robin picks, as in plain hash.
 *
 * Mapping: the key is the route key's decimal text (`hash $request_uri` with route k
 * standing for a URI whose text is "k"); `key: client` is `hash $remote_addr`: the client
 * key as the dotted IPv4 text "a.b.c.d" nginx hashes (the importer maps $remote_addr and
 * $binary_remote_addr here; the latter's 4 raw bytes would hash differently)
 * (@default route). A peer's address is the backend's name, split at its last ':'
 * (name backends "10.0.0.1:8080" to reproduce a real upstream's ring exactly).
 * Golden sequences checked against nginx 1.22.1 on loopback (`hash $arg_k`).
 */
import { booleanOption, enumOption, rejectUnknownOptions } from '../options.ts';
import type { BalancerModule } from '../types.ts';
import { NGINX_VERSION } from './constants.ts';
import { CRC32_INIT, crc32Byte, crc32Decimal, crc32Final, crc32Text } from './crc32.ts';
import { SmoothWrr } from './smooth-wrr.ts';

export const NGINX_HASH_DEFAULTS = { key: 'route', consistent: false } as const;

/** The ketama ring of ngx_http_upstream_init_chash: sorted point hashes and their peers. */
export function buildKetama(names: readonly string[], weights: ArrayLike<number>): { hash: Uint32Array; peer: Int32Array } {
  const points: { hash: number; peer: number }[] = [];
  names.forEach((named, peer) => {
    // A repeated server address is imported as ADDRESS#2, #3, …: nginx hashes the address
    // itself, so the copies' points coincide (and the first copy keeps them after the dedup below).
    const name = named.replace(/#\d+$/, '');
    const colon = name.lastIndexOf(':');
    const host = colon < 0 ? name : name.slice(0, colon);
    const port = colon < 0 ? '' : name.slice(colon + 1);
    let base = crc32Text(CRC32_INIT, host);
    base = crc32Byte(base, 0);
    base = crc32Text(base, port);
    let prev = 0;
    for (let j = 0; j < 160 * weights[peer]!; j++) {
      let h = base;
      for (let k = 0; k < 4; k++) h = crc32Byte(h, (prev >>> (8 * k)) & 255);
      h = crc32Final(h);
      points.push({ hash: h, peer });
      prev = h;
    }
  });
  points.sort((x, y) => x.hash - y.hash);
  const hash: number[] = [];
  const peer: number[] = [];
  for (const p of points) {
    if (hash.length > 0 && hash[hash.length - 1] === p.hash) continue;
    hash.push(p.hash);
    peer.push(p.peer);
  }
  return { hash: Uint32Array.from(hash), peer: Int32Array.from(peer) };
}

/** The key's text into a crc32: the route key's decimal text, or a client key as "a.b.c.d" ($remote_addr). */
function feedKey(crc: number, key: number, dotted: boolean): number {
  if (!dotted) return crc32Decimal(crc, key);
  for (let shift = 24; shift >= 0; shift -= 8) {
    crc = crc32Decimal(crc, (key >>> shift) & 255);
    if (shift > 0) crc = crc32Byte(crc, 46); // '.'
  }
  return crc;
}

export const nginxHash: BalancerModule = {
  name: 'nginx/hash',
  description: 'nginx 1.22 hash <key> [consistent]: Cache::Memcached crc32 hash, or ketama ring (160 points x weight)',
  follows: `nginx ${NGINX_VERSION} ngx_http_upstream_hash_module.c`,
  // `hash $request_uri`: the path with its query string; `$uri` (key: route) is the path without it.
  routeKey: (options) => (options.key === 'request_uri' ? 'uri' : 'path'),
  // nginx has no bound on a peer's share of a hash (consistent or not).
  hashesWhole: (options) => ({ key: options.key === 'client' ? 'client' : 'route', field: 'algorithm', bound: '' }),
  create({ backends, options }) {
    rejectUnknownOptions('nginx/hash', options, ['key', 'consistent']);
    const keyFrom = enumOption('nginx/hash', options, 'key', NGINX_HASH_DEFAULTS.key, ['route', 'request_uri', 'client']);
    const consistent = booleanOption('nginx/hash', options, 'consistent', NGINX_HASH_DEFAULTS.consistent);
    const wrr = new SmoothWrr(backends);
    const n = backends.count;
    let total = 0;
    for (let b = 0; b < n; b++) total += backends.weight[b]!;
    const ring = consistent ? buildKetama(backends.names, backends.weight) : undefined;
  // Peers at max_conns are skipped (`peer->max_conns && peer->conns >= peer->max_conns`): BackendView.full.
    const usable = (b: number) => backends.up[b] === 1 && backends.weight[b]! > 0 && backends.full[b] === 0;
    return {
      pick(_request, client, route) {
        // With key: request_uri the replay gives the whole target's key as `route` (routeKey below).
        const key = keyFrom === 'client' ? client : route;
        const dotted = keyFrom === 'client';
        if (ring !== undefined) {
          const h = crc32Final(feedKey(CRC32_INIT, key, dotted));
          const points = ring.hash.length;
          let lo = 0;
          let hi = points;
          while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            if (ring.hash[mid]! < h) lo = mid + 1;
            else hi = mid;
          }
          // ngx_http_upstream_get_chash_peer: a point whose server is unusable costs a try
          // (hash++, tries++); past 20 tries, round robin takes over (nginx >= 1.13.x).
          for (let tries = 0; tries <= 20; tries++) {
            const b = ring.peer[(lo + tries) % points]!;
            if (usable(b)) return b;
          }
          return wrr.pick();
        }
        if (n === 1) return wrr.pick();
        let hash = 0;
        for (let tries = 0; tries <= 20; tries++) {
          let crc = CRC32_INIT;
          if (tries > 0) crc = crc32Decimal(crc, tries);
          crc = crc32Final(feedKey(crc, key, dotted));
          hash += (crc >>> 16) & 0x7fff;
          let w = hash % total;
          let p = 0;
          while (w >= backends.weight[p]!) {
            w -= backends.weight[p]!;
            p++;
          }
          if (usable(p)) return p;
        }
        return wrr.pick();
      },
      // The fallback round robin's current weights; the hash itself keeps nothing.
      saveState: () => wrr.saveState(),
      loadState: (s) => wrr.loadState(s),
    };
  },
};
