/**
 * What a proxy configuration says about one balancer (an HAProxy backend, an nginx
 * upstream, an Envoy cluster), in one shape for the three proxies. Everything the file
 * states that lbsim understands is kept here, whether or not the simulation uses it yet;
 * everything it does not understand is a warning. `algorithm` + `options` are what the
 * simulation runs; backups, health checks (active, passive, outlier detection) and slow
 * start become the engine's server-health knobs (scenario.ts); maxconn, maxqueue, queue
 * timeouts, retries and circuit breakers go to the proxy layer (src/engine/proxy.ts,
 * also mapped in scenario.ts); what neither simulates is a warning.
 */
import type { ActiveCheckSpec, OutlierSpec } from '../engine/server-health-types.ts';
export type ProxyKind = 'haproxy' | 'nginx' | 'envoy';

export interface ImportedServer {
  /** The name lbsim uses for the backend: HAProxy's server name; nginx's and Envoy's address:port. */
  name: string;
  address: string;
  weight: number;
  /** The line that defines it (HAProxy `server`, nginx `server`), for messages: of `file` when set, else of the main config file. */
  line?: number;
  /** The file that defines it when that is not the main config file (an nginx `include`d file), as the user would name it. */
  file?: string;
  /** HAProxy `maxconn`, nginx `max_conns`: most requests the proxy sends at once (it queues the rest). */
  maxconn?: number;
  /** HAProxy `maxqueue`: most requests waiting in this server's queue at the proxy. */
  maxqueue?: number;
  backup?: boolean;
  /** Envoy: the priority of the endpoint's locality (LocalityLbEndpoints.priority), when above 0. */
  priority?: number;
  /** Envoy: the endpoint's locality as "region/zone/sub_zone", when it has one. */
  locality?: string;
  /** `slowstart` (HAProxy) / `slow_start` (nginx Plus), ms. */
  slowStartMs?: number;
  /** Administratively down (HAProxy `disabled`, nginx `down`). */
  down?: boolean;
  /** HAProxy `cookie <value>`: the value a persistence cookie names this server by. */
  cookie?: string;
  /** Active health check: interval ms, rise, fall (HAProxy `check inter rise fall`). */
  check?: { interMs: number; rise: number; fall: number };
  /** Passive health check (nginx): failures within failTimeoutMs mark the peer down for failTimeoutMs. */
  maxFails?: number;
  failTimeoutMs?: number;
}

export interface ImportedBalancer {
  kind: ProxyKind;
  file: string;
  /** The backend / upstream / cluster name that was imported. */
  name: string;
  /** An lbsim algorithm name (e.g. haproxy/leastconn). */
  algorithm: string;
  /** Its options, as a scenario's balancer section would give them. */
  options: Record<string, unknown>;
  servers: ImportedServer[];
  /** Balancer-wide settings that are understood but not (yet) simulated. */
  settings: {
    /** Most requests waiting at the proxy before a 503: HAProxy `timeout queue` (ms). */
    queueTimeoutMs?: number;
    /** HAProxy `retries` (attempts after the first). */
    retries?: number;
    /** HAProxy `timeout server`, ms: a try not answered within it gets a 504 (lbsim's per_try_timeout). */
    serverTimeoutMs?: number;
    /** HAProxy `retry-on`, as lbsim's retry_on ([] for `none`). */
    retryOn?: ('refused' | '503' | 'timeout')[];
    /** HAProxy `timeout connect`, ms: the queue timeout when `timeout queue` is not set. */
    connectTimeoutMs?: number;
    /** nginx `proxy_next_upstream_tries` (all tries, the first included; 0 = no limit). */
    nextUpstreamTries?: number;
    /** nginx `proxy_next_upstream` conditions, as written. */
    nextUpstream?: string[];
    /** HAProxy `option redispatch [<interval>]`: true (the last retry), or the interval given. */
    redispatch?: boolean | number;
    /** HAProxy `option allbackups`. */
    allBackups?: boolean;
    /** Envoy circuit breaker thresholds (default priority). */
    circuitBreakers?: Record<string, number>;
    /** Envoy circuit breaker retry_budget (default priority). */
    retryBudget?: { budgetPercent?: number; minRetryConcurrency?: number };
    /** Envoy outlier_detection, as given. */
    outlierDetection?: Record<string, unknown>;
    /** Envoy health_checks / HAProxy option httpchk, as given. */
    healthCheck?: Record<string, unknown>;
    /** Envoy health_checks[0] as lbsim runs it, for every endpoint. */
    activeCheck?: ActiveCheckSpec;
    /** Envoy outlier_detection as lbsim runs it. */
    outlier?: OutlierSpec;
    /** Envoy slow_start_config (round_robin_lb_config / least_request_lb_config). */
    slowStart?: { windowMs: number; aggression: number; minWeightPercent: number };
    /** nginx `zone`: peers share state among workers (relevant to `instances`). */
    sharedZone?: boolean;
    /** HAProxy cookie persistence (`cookie NAME insert|rewrite|prefix`, servers with a `cookie` value) or `stick on src`: lbsim's balancer.persistence, ms. */
    persistence?: { maxIdleMs?: number; maxLifeMs?: number; withoutCookie?: string[]; persist?: boolean; tableSize?: number };
  };
  /** `FILE:LINE: ...` (or `FILE: path: ...` for YAML) for everything not understood or not simulated. */
  warnings: string[];
}

/** Which part of a file to import: an HAProxy backend (or listen), nginx upstream or Envoy cluster. */
export interface ImportSelector {
  backend?: string;
  upstream?: string;
  cluster?: string;
}
