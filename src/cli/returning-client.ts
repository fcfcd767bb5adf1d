/**
 * --returning-client, for every command that replays a connection (diagnose, scan, trace): the
 * client connected before, so kube-proxy's session affinity (ClientIP) or IPVS persistence sends it
 * back to the endpoint it had. A file of its own: trace must not load what diagnose needs.
 */
export const RETURNING_CLIENT_FLAG = { 'returning-client': { type: 'boolean' } } as const;

export const RETURNING_CLIENT_HELP =
  `      --returning-client    a client that connected before: session affinity (ClientIP) sends it back
                            to the endpoint it had, which the dumps do not show, so every endpoint is
                            possible (default: the client's first connection)`;

/** The question's field for the flag: present only when given. */
export const returningClient = (values: { 'returning-client'?: boolean }): { returningClient?: true } =>
  values['returning-client'] === true ? { returningClient: true } : {};
