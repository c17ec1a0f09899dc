import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const DEFAULT_REPORT_DIR = 'reports';

/** `loadtest-2026-11-24T10-00-00-000Z`: sorts by time, safe in any file system. */
export function reportBaseName(kind: string, at = new Date()): string {
  return `${kind}-${at.toISOString().replace(/[:.]/g, '-')}`;
}

/** Writes `<base>.json` (and `<base>.html` when given) into `dir`; returns the paths. */
export function writeReportFiles(
  dir: string,
  baseName: string,
  json: unknown,
  html?: string,
): string[] {
  mkdirSync(dir, { recursive: true });
  const jsonPath = resolve(join(dir, `${baseName}.json`));
  writeFileSync(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  if (html === undefined) return [jsonPath];
  const htmlPath = resolve(join(dir, `${baseName}.html`));
  writeFileSync(htmlPath, html);
  return [jsonPath, htmlPath];
}
