import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerProcess } from '../support/server-process.js';

const run = promisify(execFile);

interface Example {
  command: string;
  expected: unknown;
}

/**
 * Every curl command in the README's `sh` blocks, with the `# <json>` line that follows it. Blocks that need
 * more than this service (the Docker stack) are fenced as `bash` and not run here.
 */
async function readmeExamples(): Promise<Example[]> {
  const readme = await readFile('README.md', 'utf8');
  const examples: Example[] = [];
  for (const [, block] of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const lines = block.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i].startsWith('curl ')) continue;
      let command = lines[i];
      // A continuation is a trailing backslash or an indented next line (inside a quoted argument).
      while (command.endsWith('\\') || lines[i + 1]?.startsWith(' ')) command = `${command}\n${lines[++i]}`;
      const expected = lines[i + 1]?.match(/^# (.*)$/)?.[1];
      if (expected === undefined) throw new Error(`README example without an expected result: ${command}`);
      examples.push({ command, expected: JSON.parse(expected) });
    }
  }
  return examples;
}

let server: ServerProcess;
beforeAll(async () => {
  server = await ServerProcess.start();
});
afterAll(() => server?.stop());

describe('README', () => {
  it('every curl example gives the output the README shows, in order', async () => {
    const examples = await readmeExamples();
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const { command, expected } of examples) {
      const { stdout } = await run('bash', ['-c', command.replaceAll('localhost:8080', `127.0.0.1:${server.port}`)]);
      expect({ command, output: JSON.parse(stdout) }).toEqual({ command, output: expected });
    }
  });
});
