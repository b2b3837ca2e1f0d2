import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// No Docker engine runs here (DESIGN.md): the Dockerfile is checked as text, instruction by instruction.
const text = readFileSync('Dockerfile', 'utf8');
const lines = text
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
const stages = lines.filter((line) => line.startsWith('FROM '));
const finalStage = lines.slice(lines.lastIndexOf(stages.at(-1) as string));

describe('Dockerfile', () => {
  it('is multi-stage on the Node 24 slim image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage).toMatch(/^FROM (node:24-slim|build) AS \w+$/);
  });

  it('needs no image but its base: no syntax directive, which makes BuildKit pull one from a registry', () => {
    expect(text).not.toMatch(/^#\s*syntax\s*=/im);
  });

  it('builds with dev dependencies and the patched ones, ships production dependencies only', () => {
    expect(lines).toContain('RUN npm run build');
    // patch-package runs as postinstall of `npm ci`: the patches must be in place before it.
    expect(lines.indexOf('COPY patches ./patches')).toBeGreaterThan(-1);
    expect(lines.indexOf('COPY patches ./patches')).toBeLessThan(lines.indexOf('RUN npm ci --no-audit --no-fund'));
    expect(finalStage.some((line) => /npm (ci|install)/.test(line))).toBe(false);
    // The patched tree, pruned: a fresh `npm ci --omit=dev` would have neither patch-package nor the patches.
    expect(lines).toContain('FROM build AS deps');
    expect(lines.some((line) => line.includes('npm prune --omit=dev'))).toBe(true);
    const copies = finalStage.filter((line) => line.startsWith('COPY'));
    expect(copies.some((line) => line.includes('/app/node_modules') && line.includes('--from=deps'))).toBe(true);
    expect(copies.some((line) => line.includes('/app/dist') && line.includes('--from=build'))).toBe(true);
  });

  it('runs as a non-root user, listening on 0.0.0.0:8080', () => {
    expect(finalStage.filter((line) => line.startsWith('USER ')).at(-1)).toBe('USER node');
    expect(finalStage.join('\n')).toMatch(/HOST=0\.0\.0\.0/);
    expect(finalStage.join('\n')).toMatch(/PORT=8080/);
    expect(finalStage).toContain('EXPOSE 8080');
    expect(finalStage.at(-1)).toBe('CMD ["node", "dist/server.js"]');
  });

  it('has a HEALTHCHECK against GET /health', () => {
    const healthcheck = finalStage.find((line) => line.startsWith('HEALTHCHECK'));
    expect(healthcheck).toMatch(/--interval=\d+s/);
    expect(healthcheck).toContain('/health');
  });

  it('builds dist/ from src/, schema.sql included, and ships dist/ whole', () => {
    const buildStage = lines.slice(lines.indexOf(stages[0]), lines.indexOf(stages[1]));
    expect(buildStage).toContain('COPY src ./src');
    expect(buildStage.indexOf('RUN npm run build')).toBeGreaterThan(buildStage.indexOf('COPY src ./src'));
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n');
    expect(ignored.some((line) => line.startsWith('src') || line.includes('.sql'))).toBe(false);
  });

  it('keeps the build context small', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n');
    for (const entry of ['node_modules', 'dist', 'volumes', '.git']) expect(ignored).toContain(entry);
    // What the build needs stays in the context: the patches and the schema under src/.
    for (const needed of ['patches', 'src', 'src/store/postgres/schema.sql']) expect(ignored).not.toContain(needed);
  });
});
