import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import * as catalogue from '../src/errors.js';
import { CommitUnknownError, StoreUnavailableError, ValidationError } from '../src/errors.js';
import { noSums } from '../src/queries/flow-queries.js';
import { build } from './support/helper.js';

describe('error catalogue', () => {
  it('is listed in the README error table, each code with its status', async () => {
    const readme = await readFile('README.md', 'utf8');
    const errors = Object.values(catalogue).map(
      (make) => new (make as new () => { code: string; statusCode: number })(),
    );
    expect(errors.length).toBeGreaterThan(15);
    for (const { code, statusCode } of errors) expect(readme).toContain(`| ${statusCode} | \`${code}\` |`);
  });

  it('gives store failures their Retry-After, and keeps the cause out of the message', () => {
    const cause = new Error('connect ECONNREFUSED 10.0.0.5:5432');
    const err = new StoreUnavailableError('the database cannot be reached while reading flows', { cause });
    expect(err).toMatchObject({
      code: 'FLOWS_ERR_STORE_UNAVAILABLE',
      statusCode: 503,
      headers: { 'retry-after': '2' },
      message: 'the flow store is unavailable (the database cannot be reached while reading flows); retry later',
    });
    expect(err.cause).toBe(cause);
    expect(err).toBeInstanceOf(Error);
    expect(new CommitUnknownError('x')).toMatchObject({ statusCode: 503, headers: { 'retry-after': '2' } });
    expect((new ValidationError('x') as { headers?: unknown }).headers).toBeUndefined();
  });

  it('sends those headers with the JSON error body', async () => {
    const { app } = build({
      backend: {
        store: {
          ingest: async () => {
            throw new StoreUnavailableError('the database is restarting while writing flows');
          },
          flowsForHour: async () => [],
          ping: async () => {},
          flowCount: async () => 0,
          close: async () => {},
          hourSummaries: async () => [],
          topFlows: async () => ({ rows: [], total: noSums() }),
        },
      },
    });
    const res = await app.inject({ method: 'POST', url: '/flows', payload: [] });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.json()).toMatchObject({ statusCode: 503, code: 'FLOWS_ERR_STORE_UNAVAILABLE' });
    await app.close();
  });
});
