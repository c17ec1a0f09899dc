import { FireResult } from './load-generator';
import {
  countBy,
  HistogramBucket,
  LatencySummary,
  latencyHistogram,
  summarizeLatency,
  ThroughputPoint,
  throughputInterval,
  throughputSeries,
} from './run-stats';

/** The figures of one burst of requests: what the table, the JSON and the HTML show. */
export interface RunStats {
  requests: number;
  answered: number;
  /** Sent but never answered (timeouts, dropped connections): their outcome is unknown. */
  unanswered: number;
  errors: number;
  timeouts: number;
  durationMs: number;
  requestsPerSecond: number;
  /** When the last 2xx arrived, in ms since the start: in a sale, how long the stock lasted. */
  lastSuccessAtMs: number;
  /** When the first answer arrived: before it, the connections were still being opened. */
  firstAnswerAtMs: number;
  latencyMs: LatencySummary;
  statusCounts: Record<string, number>;
  /** Error codes of the non-2xx answers, from the envelope's `code`. */
  codeCounts: Record<string, number>;
  histogram: HistogramBucket[];
  throughputIntervalMs: number;
  throughput: ThroughputPoint[];
}

/** What the envelope of an answer says, whichever way it went. */
export interface EnvelopeBody {
  success?: boolean;
  data?: unknown;
  code?: string;
  errorMsg?: string;
}

export function parseEnvelope(body: string): EnvelopeBody {
  try {
    const parsed = JSON.parse(body) as EnvelopeBody | null;
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

export const isSuccess = (status: number): boolean => status >= 200 && status < 300;

/** Stands for an answer whose body had no error code. */
const NO_CODE = '(no code)';

export function summarizeFire(fire: FireResult, requests: number): RunStats {
  const durationMs = Math.round(fire.durationMs);
  const intervalMs = throughputInterval(durationMs);
  const failures = fire.answers.filter((answer) => !isSuccess(answer.status));
  const firstAnswer = fire.samples.reduce(
    (first, sample) => Math.min(first, sample.atMs),
    Infinity,
  );
  return {
    requests,
    answered: fire.answers.length,
    unanswered: requests - fire.answers.length,
    errors: fire.errors,
    timeouts: fire.timeouts,
    durationMs,
    requestsPerSecond: durationMs ? Math.round((fire.answers.length * 1000) / durationMs) : 0,
    lastSuccessAtMs: Math.round(
      fire.samples.reduce(
        (last, sample) => (isSuccess(sample.status) ? Math.max(last, sample.atMs) : last),
        0,
      ),
    ),
    firstAnswerAtMs: Number.isFinite(firstAnswer) ? Math.round(firstAnswer) : 0,
    latencyMs: summarizeLatency(fire.samples.map((sample) => sample.latencyMs)),
    statusCounts: countBy(fire.answers, (answer) => String(answer.status)),
    codeCounts: countBy(failures, (answer) => parseEnvelope(answer.body).code ?? NO_CODE),
    histogram: latencyHistogram(fire.samples.map((sample) => sample.latencyMs)),
    throughputIntervalMs: intervalMs,
    throughput: throughputSeries(fire.samples, intervalMs),
  };
}
