import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeExamples } from '../support/readme-examples.js';
import { ServerProcess } from '../support/server-process.js';

const run = promisify(execFile);

let server: ServerProcess;
beforeAll(async () => {
  // Fixed bounds: the defaults come from the heap limit, which differs between machines, and /ready shows them.
  server = await ServerProcess.start({ MAX_FLOWS: '1000000', MAX_NAME_BYTES: '67108864' });
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
