import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// Checked as text here; test/compose runs it for real (nginx 1.22 stand-in), restarted replica included.
const conf = readFileSync('deploy/nginx/nginx.conf', 'utf8')
  .split('\n')
  .map((line) => line.replace(/#.*/, '').trim())
  .join('\n');

describe('deploy/nginx/nginx.conf', () => {
  it('resolves the replicas through Docker DNS at request time, not once at start', () => {
    expect(conf).toMatch(/^resolver 127\.0\.0\.11 valid=\d+s/m);
    // A variable in proxy_pass is what makes nginx (any version) resolve per request.
    const target = /^set \$(\w+) http:\/\/flowanalysis-replica:8080;$/m.exec(conf);
    expect(target).not.toBeNull();
    expect(conf).toContain(`proxy_pass $${target?.[1]};`);
    // An upstream block without `resolve` would pin the addresses of the first lookup.
    expect(conf).not.toMatch(/^upstream /m);
  });

  it('skips a replica that cannot be reached, quickly', () => {
    expect(conf).toMatch(/^proxy_next_upstream error timeout http_502 http_503;$/m);
    expect(conf).toMatch(/^proxy_connect_timeout \d+s;$/m);
  });

  it('logs which replica answered each request', () => {
    expect(conf).toContain('upstream=$upstream_addr');
    expect(conf).toContain('upstream_status=$upstream_status');
    expect(conf).toMatch(/^access_log \S+ upstream;$/m);
  });
});
