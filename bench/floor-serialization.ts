/**
 * Serialization floor: JSON.stringify of the very array GET /flows answers, in-process, no HTTP.
 * Returns per-call milliseconds at the 50th and 99th percentile over `seconds` (at least 5 calls).
 */
export function stringifyLatency(flows: unknown[], seconds: number): { p50: number; p99: number; runs: number } {
  JSON.stringify(flows); // warm-up
  const times: number[] = [];
  const until = performance.now() + seconds * 1000;
  while (times.length < 5 || performance.now() < until) {
    const start = performance.now();
    const text = JSON.stringify(flows);
    times.push(performance.now() - start);
    if (text.length === 0) throw new Error('unreachable: keeps the result alive');
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { p50: at(0.5), p99: at(0.99), runs: times.length };
}
