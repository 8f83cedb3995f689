/**
 * HAProxy's weight scaling, from include/haproxy/backend-t.h and server-t.h (2.6):
 * user weights are 0..256 (SRV_UWGHT_MAX), and the load-balancing code works on
 * "effective weights" eweight = uweight * BE_WEIGHT_SCALE (wdiv = 16, wmult = 1 for the
 * dynamic algorithms), so that slow start can ramp a weight in steps finer than 1.
 */
export const BE_WEIGHT_SCALE = 16;
export const SRV_UWGHT_RANGE = 256;
export const SRV_UWGHT_MAX = SRV_UWGHT_RANGE;
export const SRV_EWGHT_RANGE = SRV_UWGHT_RANGE * BE_WEIGHT_SCALE;
export const SRV_EWGHT_MAX = SRV_UWGHT_MAX * BE_WEIGHT_SCALE;

/** The HAProxy version whose sources these models follow (the one Debian 12 installs). */
export const HAPROXY_VERSION = '2.6';
