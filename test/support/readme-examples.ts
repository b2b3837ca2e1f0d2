import { readFile } from 'node:fs/promises';

export interface ReadmeExample {
  command: string;
  expected: unknown;
}

/**
 * Every curl command in the README's `sh` blocks, with the `# <json>` line that follows it. Blocks that need
 * more than this service (the Docker stack) are fenced as `bash` and not run by the README test.
 */
export async function readmeExamples(): Promise<ReadmeExample[]> {
  const readme = await readFile('README.md', 'utf8');
  const examples: ReadmeExample[] = [];
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
