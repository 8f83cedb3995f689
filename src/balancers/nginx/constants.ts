/** The nginx version whose sources these models follow (the one Debian 12 installs). */
export const NGINX_VERSION = '1.22';

/**
 * nginx accepts `weight=N` with N >= 1 (ngx_http_upstream_server: "invalid parameter"
 * otherwise); lbsim's weight 0 drains a backend and is allowed on top of that.
 */
export const NGINX_MAX_WEIGHT = 1_000_000;
