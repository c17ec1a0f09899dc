import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import { ResponseSample } from './run-stats';

/** One request to send, on behalf of one shopper. */
export interface PlannedRequest {
  method: 'GET' | 'POST';
  path: string;
  shopperId: number;
  token: string;
}

/** A request and what the service answered to it. */
export interface Answer {
  request: PlannedRequest;
  status: number;
  body: string;
}

export interface FireOptions {
  connections: number;
  /** Seconds without an answer before autocannon gives up on a request and reconnects. */
  timeoutSeconds?: number;
  onProgress?: (answered: number, total: number) => void;
}

export interface FireResult {
  answers: Answer[];
  samples: ResponseSample[];
  /** From the first request sent to the last answer received. */
  durationMs: number;
  /** performance.now() when the first request was sent: the origin of the samples' atMs. */
  startedAt: number;
  /** Connection errors and timeouts: requests whose fate the client never learnt. */
  errors: number;
  timeouts: number;
}

interface RequestContext {
  planned?: PlannedRequest;
}

/** What autocannon's tracker passes with 'response' (its typings omit the client). */
type ResponseListener = (
  client: unknown,
  statusCode: number,
  resBytes: number,
  responseTime: number,
) => void;

/** Only loopback targets: this tool generates load and must never aim it elsewhere. */
export function assertLoopback(url: URL): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
  if (!loopback || url.protocol !== 'http:') {
    throw new Error(`refusing to send load to ${url.origin}: only http://127.x.x.x is allowed`);
  }
}

/**
 * Sends every planned request exactly once over `connections` keep-alive
 * connections (autocannon, one request in flight per connection), each with its
 * own shopper's token, and keeps every answer with the shopper it belongs to.
 */
export function fireRequests(
  baseUrl: string,
  planned: readonly PlannedRequest[],
  options: FireOptions,
): Promise<FireResult> {
  const url = new URL(baseUrl);
  assertLoopback(url);
  if (planned.length === 0) {
    return Promise.resolve({
      answers: [],
      samples: [],
      durationMs: 0,
      startedAt: performance.now(),
      errors: 0,
      timeouts: 0,
    });
  }
  const answers: Answer[] = [];
  const samples: ResponseSample[] = [];
  let next = 0;
  let startedAt = 0;
  let lastAnswerAt = 0;

  const onResponse: ResponseListener = (_client, statusCode, _bytes, responseTime) => {
    lastAnswerAt = performance.now();
    samples.push({ atMs: lastAnswerAt - startedAt, latencyMs: responseTime, status: statusCode });
    options.onProgress?.(samples.length, planned.length);
  };

  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: url.origin,
        connections: Math.min(options.connections, planned.length),
        pipelining: 1,
        amount: planned.length,
        timeout: options.timeoutSeconds ?? 10,
        requests: [
          {
            setupRequest: (request, context: RequestContext) => {
              // With one request in flight per connection the context is that
              // request's until its answer has been recorded.
              startedAt ||= performance.now();
              const job = planned[next];
              next += 1;
              // More requests than planned are built only after a timeout or a
              // dropped connection; they ask /health so that no shopper orders twice.
              context.planned = job;
              if (!job) return { ...request, method: 'GET', path: '/health', headers: {} };
              return {
                ...request,
                method: job.method,
                path: job.path,
                headers: { authorization: `Bearer ${job.token}` },
              };
            },
            onResponse: (status, body, context: RequestContext) => {
              if (context.planned) answers.push({ request: context.planned, status, body });
            },
          },
        ],
      },
      (error, result) => {
        if (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        resolve({
          answers,
          samples,
          durationMs: lastAnswerAt - startedAt,
          startedAt,
          errors: result.errors,
          timeouts: result.timeouts,
        });
      },
    );
    instance.on('response', onResponse as never);
  });
}
