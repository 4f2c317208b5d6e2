/**
 * The node's fault admin routes on its observability port (issue 17): GET, PUT and DELETE
 * /admin/faults, from loopback or with the admin Bearer token (@mixnet/sphinx/wire authorizeAdmin).
 * PUT replaces the whole set of live rules; a bad body is a 400 naming the field.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authorizeAdmin, readStreamCapped } from '@mixnet/sphinx/wire';
import { type FaultRule, type FaultTable, faultRulesBodySchema } from './faults.js';
import type { Logger } from './logger.js';

export const FAULTS_PATH = '/admin/faults';
/** 1000 rules with a few peers each fit well under this. */
export const MAX_FAULTS_BODY = 256 * 1024;

export interface FaultAdminOptions {
  table: FaultTable;
  /** from admin.tokenFile; without it only loopback is served */
  token?: string;
  logger?: Logger;
  /** epoch ms clock; default Date.now */
  now?: () => number;
}

/** What GET and PUT answer. `base`: the config's rules, which PUT and DELETE leave alone. */
export interface FaultsAnswer {
  rules: FaultRule[];
  base: FaultRule[];
  now: number;
}

/** A request handler for the observability server: true if it took the request. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(`${JSON.stringify(body)}\n`);

export function createFaultAdmin(opts: FaultAdminOptions): RouteHandler {
  const { table } = opts;
  const now = opts.now ?? Date.now;
  const answer = (): FaultsAnswer => ({ rules: table.rules(), base: [...table.base], now: now() });

  const put = async (req: IncomingMessage, res: ServerResponse, via: string) => {
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    const body = await readStreamCapped(req, MAX_FAULTS_BODY, Number.isFinite(declared) ? declared : undefined);
    if ('over' in body)
      return json(res, 413, { error: `body over ${MAX_FAULTS_BODY} bytes`, field: '(body)' }, { connection: 'close' });
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder().decode(body.bytes));
    } catch {
      return json(res, 400, { error: 'body is not JSON', field: '(body)' });
    }
    const parsed = faultRulesBodySchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(body)';
      return json(res, 400, { error: `${field}: ${issue?.message ?? 'invalid'}`, field });
    }
    table.set(parsed.data.rules);
    opts.logger?.info({ rules: parsed.data.rules, via }, 'fault rules set');
    json(res, 200, answer());
  };

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== FAULTS_PATH) return false;
    const decision = authorizeAdmin({
      remoteAddress: req.socket.remoteAddress,
      authorization: req.headers.authorization,
      token: opts.token,
    });
    if (!decision.ok) {
      opts.logger?.warn({ remote: req.socket.remoteAddress, reason: decision.reason }, 'admin request refused');
      json(res, 401, { error: decision.reason }, { 'www-authenticate': 'Bearer' });
      return true;
    }
    const method = req.method ?? 'GET';
    if (method === 'GET') json(res, 200, answer());
    else if (method === 'DELETE') {
      table.clear();
      opts.logger?.info({ via: decision.via }, 'fault rules cleared');
      json(res, 200, answer());
    } else if (method === 'PUT')
      put(req, res, decision.via).catch((err: Error) => {
        if (!res.headersSent) json(res, 500, { error: err.message });
        else res.destroy();
      });
    else json(res, 405, { error: `${FAULTS_PATH} takes GET, PUT or DELETE` }, { allow: 'GET, PUT, DELETE' });
    return true;
  };
}
