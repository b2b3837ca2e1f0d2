import { docker } from './stack.js';

/**
 * The replica addresses (`ip:port`) that answered 200 through nginx since `since`, read from its access log
 * (deploy/nginx/nginx.conf logs `upstream=<addresses tried> upstream_status=<their statuses>`).
 */
export async function servedBy(nginx: string, since: string): Promise<string[]> {
  const served = new Set<string>();
  const log = await docker(['logs', '--since', since, nginx]);
  for (const [, addresses, statuses] of log.matchAll(/upstream=(.+?) upstream_status=(.+?) [\d.]+s$/gm)) {
    const tried = addresses.split(', ');
    const answers = statuses.split(', ');
    for (const [i, address] of tried.entries()) if (answers[i] === '200') served.add(address);
  }
  return [...served];
}
