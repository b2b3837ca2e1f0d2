import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The store reads schema.sql beside its own module: in dist/ that is only true if the build copied it.
describe('schema.sql', () => {
  it('is copied into dist/ by npm run build, next to the store that applies it', () => {
    const source = readFileSync('src/store/postgres/schema.sql', 'utf8');
    expect(source).toContain('CREATE TABLE IF NOT EXISTS flow_totals');
    expect(readFileSync('dist/store/postgres/schema.sql', 'utf8')).toBe(source);
    expect(readFileSync('dist/store/postgres/schema.js', 'utf8')).toContain("new URL('./schema.sql', import.meta.url)");
  });
});
