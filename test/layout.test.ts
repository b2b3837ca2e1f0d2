import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = 'src';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?['"]([^'"]+)['"]/gm;

/** Every file under src/ with what it imports: relative imports as paths under src/, packages as named. */
const files = sourceFiles(SRC).map((path) => {
  const text = readFileSync(path, 'utf8');
  const specifiers = [...text.matchAll(IMPORT)].map((m) => m[1]);
  const local = specifiers
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(SRC, normalize(join(dirname(path), s))).replace(/\.js$/, '.ts'));
  return { path: relative(SRC, path), text, local, packages: specifiers.filter((s) => !s.startsWith('.')) };
});

type SourceFile = { path: string; local: string[] };

/**
 * The import cycles among the children (subfolders and files) of `folder`, each child standing for
 * everything under it. Checked for every folder, so a cycle shows at the level where it is one.
 */
function cyclesIn(files: SourceFile[], folder: string): string[][] {
  const child = (path: string) => {
    const inside = folder === '' ? path : path.slice(folder.length + 1);
    return inside.split(sep)[0];
  };
  const within = (path: string) => folder === '' || path.startsWith(`${folder}${sep}`);
  const edges = new Map<string, Set<string>>();
  for (const file of files.filter((f) => within(f.path))) {
    for (const target of file.local.filter(within)) {
      const [from, to] = [child(file.path), child(target)];
      if (from === to) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)?.add(to);
    }
  }
  const cycles: string[][] = [];
  const visit = (node: string, path: string[]) => {
    for (const next of edges.get(node) ?? []) {
      const at = path.indexOf(next);
      if (at >= 0) cycles.push([...path.slice(at), next]);
      else visit(next, [...path, next]);
    }
  };
  for (const start of edges.keys()) visit(start, [start]);
  return cycles;
}

const folders = ['', ...new Set(files.map((f) => dirname(f.path)).filter((d) => d !== '.'))];
const POSTGRES = `store${sep}postgres${sep}`;
// Words that start an SQL statement, in a string: how SQL text outside store/postgres/ would show.
const SQL = /['"`]\s*(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE TABLE|BEGIN|COMMIT)\b/;

describe('source layout', () => {
  it.each(folders)('has no import cycle between the children of src/%s', (folder) => {
    expect(cyclesIn(files, folder)).toEqual([]);
  });

  it('keeps pg and SQL inside store/postgres/', () => {
    const outside = files.filter((f) => !f.path.startsWith(POSTGRES));
    expect(outside.filter((f) => f.packages.includes('pg')).map((f) => f.path)).toEqual([]);
    expect(outside.filter((f) => SQL.test(f.text)).map((f) => f.path)).toEqual([]);
    // The check sees what it looks for where it is allowed.
    expect(files.some((f) => f.path.startsWith(POSTGRES) && SQL.test(f.text))).toBe(true);
    expect(files.some((f) => f.path.startsWith(POSTGRES) && f.packages.includes('pg'))).toBe(true);
  });

  it('keeps the two stores apart', () => {
    const crossing = files.filter(
      (f) =>
        (f.path.startsWith(`store${sep}memory`) && f.local.some((t) => t.startsWith(`store${sep}postgres`))) ||
        (f.path.startsWith(`store${sep}postgres`) && f.local.some((t) => t.startsWith(`store${sep}memory`))),
    );
    expect(crossing.map((f) => f.path)).toEqual([]);
  });

  it('finds a cycle between folders, and one between files of a folder', () => {
    const file = (path: string, ...local: string[]) => ({
      path: join(...path.split('/')),
      local: local.map((l) => join(...l.split('/'))),
    });
    const graph = [
      file('a/x.ts', 'b/y.ts'),
      file('b/y.ts', 'a/z.ts'),
      file('a/z.ts'),
      file('c/one.ts', 'c/two.ts'),
      file('c/two.ts', 'c/one.ts'),
    ];
    expect(cyclesIn(graph, '')).toEqual([
      ['a', 'b', 'a'],
      ['b', 'a', 'b'],
    ]);
    expect(cyclesIn(graph, 'a')).toEqual([]);
    expect(cyclesIn(graph, 'c')).toEqual([
      ['one.ts', 'two.ts', 'one.ts'],
      ['two.ts', 'one.ts', 'two.ts'],
    ]);
    expect(files.find((f) => f.path === 'app.ts')?.local).toContain(join('store', 'flow-store.ts'));
  });
});
