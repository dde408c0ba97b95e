/**
 * Route config of the probes, metrics and API documents: no token needed. `auth` is read by
 * @realchat/auth-verify's guard, which this package does not depend on, hence the loose type.
 */
export const PUBLIC_ROUTE_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({ auth: 'none' });
