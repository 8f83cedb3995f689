/**
 * The Envoy sources these models follow: source/common/upstream/load_balancer_impl.cc,
 * edf_scheduler.h, ring_hash_lb.cc and maglev_lb.cc as of Envoy 1.27/1.28 (before the
 * load balancers moved to source/extensions/load_balancing_policies/ and before
 * EdfScheduler::createWithPicks). Documented at
 * https://www.envoyproxy.io/docs/envoy/v1.28.0/intro/arch_overview/upstream/load_balancing/load_balancers
 */
export const ENVOY_VERSION = '1.28';
