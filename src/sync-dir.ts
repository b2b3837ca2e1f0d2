import { open } from 'node:fs/promises';

/** Makes a rename, creation or deletion in `dir` durable: the entries of a directory are its data. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
