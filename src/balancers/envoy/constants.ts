/**
 * The Envoy sources these models follow, as of Envoy 1.28: source/common/upstream/
 * load_balancer_impl.cc and edf_scheduler.h (before EdfScheduler::createWithPicks, which
 * came after 1.28), and ring_hash_lb.cc and maglev_lb.cc, which had moved to
 * source/extensions/load_balancing_policies/ by 1.27. Documented at
 * https://www.envoyproxy.io/docs/envoy/v1.28.0/intro/arch_overview/upstream/load_balancing/load_balancers
 */
export const ENVOY_VERSION = '1.28';
