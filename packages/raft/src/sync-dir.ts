import { closeSync, fsyncSync, openSync } from 'node:fs';

/** fsyncs a directory, so entries created, renamed or removed in it survive a crash. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
