import autocannon, { type Request, type Result } from 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  requests: Request[];
  /** Called between the warm-up and the measured run. */
  onMeasure?: () => void;
}

/** The warm-up before a measured run of `seconds`: JIT, connection set-up. */
export const warmUpSeconds = (seconds: number): number => Math.max(1, Math.round(seconds / 4));

/** A short warm-up (warmUpSeconds), then the measured run; fails on any error or non-2xx. */
export async function load({ url, connections, seconds, requests, onMeasure }: LoadOptions): Promise<Result> {
  const options = { url, connections, requests, timeout: 60 };
  await autocannon({ ...options, duration: warmUpSeconds(seconds) });
  onMeasure?.();
  const result = await autocannon({ ...options, duration: seconds });
  if (result.errors || result.non2xx || result.timeouts || result['2xx'] === 0) {
    throw new Error(
      `load on ${url} failed: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`,
    );
  }
  return result;
}

export const jsonPost = (body: string): Request => ({
  method: 'POST',
  path: '/flows',
  headers: { 'content-type': 'application/json' },
  body,
});

/** Sends a body and fails unless it is answered 200. */
export async function post(base: string, body: string): Promise<void> {
  const res = await fetch(`${base}/flows`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  if (res.status !== 200) throw new Error(`POST ${base}/flows: ${res.status} ${await res.text()}`);
}
