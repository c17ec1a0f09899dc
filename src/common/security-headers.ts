import helmet, { FastifyHelmetOptions } from '@fastify/helmet';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';

/**
 * For the API's JSON: nothing may be loaded by it or frame it. The headers that
 * only matter to an HTML document (X-DNS-Prefetch-Control, X-Download-Options,
 * Origin-Agent-Cluster, ...) are left out: each costs every response.
 */
export const API_HELMET_OPTIONS: FastifyHelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  },
  xFrameOptions: { action: 'deny' },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
};

/**
 * For /docs (an HTML page with scripts and styles): helmet's defaults, minus
 * upgrade-insecure-requests, since the service speaks plain HTTP behind a
 * TLS-terminating proxy and a browser told to upgrade would fetch the page's
 * assets over HTTPS from a port that has none.
 */
export const DOCS_HELMET_OPTIONS: FastifyHelmetOptions = {
  contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
};

export interface SecurityHeaders {
  api: Record<string, string>;
  docs: Record<string, string>;
}

const NOT_SECURITY_HEADERS = new Set([
  'content-type',
  'content-length',
  'date',
  'connection',
  'keep-alive',
]);

/**
 * The headers @fastify/helmet sets with `options`, read once from a throwaway
 * Fastify instance. Nothing here varies per request (no CSP nonces), so the app
 * sends the precomputed set from one hook, and the answers that run no hook
 * (http-server-errors.ts) can carry it too.
 */
async function helmetHeadersFor(options: FastifyHelmetOptions): Promise<Record<string, string>> {
  const probe = new FastifyAdapter().getInstance();
  try {
    await probe.register(helmet, options);
    probe.get('/', (_request, reply) => reply.send(''));
    const res = await probe.inject({ method: 'GET', url: '/' });
    return Object.fromEntries(
      Object.entries(res.headers)
        .filter(([name, value]) => !NOT_SECURITY_HEADERS.has(name) && typeof value === 'string')
        .map(([name, value]) => [name, value as string]),
    );
  } finally {
    await probe.close();
  }
}

export async function securityHeaders(): Promise<SecurityHeaders> {
  return {
    api: await helmetHeadersFor(API_HELMET_OPTIONS),
    docs: await helmetHeadersFor(DOCS_HELMET_OPTIONS),
  };
}

/** Every reply that goes through Fastify's hooks gets its set (/docs its own). */
export function sendOnEveryReply(fastify: FastifyInstance, headers: SecurityHeaders): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(request.url.startsWith('/docs') ? headers.docs : headers.api);
    done();
  });
}
