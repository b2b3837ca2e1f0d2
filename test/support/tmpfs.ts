import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { mkdtemp, open, rmdir, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A small tmpfs mounted by the test, for a real "no space left on device". Mounting needs root (or
 * CAP_SYS_ADMIN); where it is not permitted the disk-full tests are skipped with this reason.
 */
export const tmpfsSkipReason = probe();
if (tmpfsSkipReason) process.stderr.write(`skipping disk-full tests: ${tmpfsSkipReason}\n`);

function probe(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'flows-tmpfs-probe-'));
  try {
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { encoding: 'utf8' });
    if (mount.status !== 0)
      return `cannot mount a tmpfs here (${(mount.stderr || mount.error?.message || '').trim()}); run the tests as root`;
    spawnSync('umount', [dir]);
    return undefined;
  } finally {
    rmdirSync(dir);
  }
}

export interface SmallDisk {
  dir: string;
  /** Takes all the space left (a file of zeros); `free` gives it back. */
  fill(): Promise<void>;
  free(): Promise<void>;
  unmount(): Promise<void>;
}

export async function mountSmallDisk(bytes: number): Promise<SmallDisk> {
  const dir = await mkdtemp(join(tmpdir(), 'flows-small-disk-'));
  await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  const filler = join(dir, 'filler');
  return {
    dir,
    fill: async () => {
      const handle = await open(filler, 'a');
      const zeros = Buffer.alloc(4096);
      try {
        for (;;) await handle.write(zeros);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        await handle.close();
      }
    },
    free: () => unlink(filler),
    unmount: async () => {
      // Lazy, so a process still holding a file there cannot leave the mount behind.
      await run('umount', ['-l', dir]);
      await rmdir(dir);
    },
  };
}
