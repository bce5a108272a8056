// While idle, notices a run started by another process: the workspace lock appearing.
import { existsSync, type FSWatcher, watch } from 'node:fs';
import type { WorkspaceReport } from '../../machine/ports.ts';
import type { Layout } from './layout.ts';

/** Report `lock.appeared` (once) when the workspace lock exists; returns the stop function. */
export function watchWorkspace(
  layout: Layout,
  pollMs: number,
  report: (r: WorkspaceReport) => void,
): () => void {
  let told = false;
  const look = () => {
    if (!told && existsSync(layout.lock)) {
      told = true;
      report({ type: 'lock.appeared' });
    }
  };
  let watcher: FSWatcher | null = null;
  try {
    // A workspace that does not exist yet is polled, not created: reading must not write.
    watcher = watch(layout.lockDir, (_event, name) => {
      if (name === 'active.lock') look();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = null;
  }
  // inotify can miss events on some filesystems (NFS): poll as well, slowly.
  const timer = setInterval(look, pollMs * 5);
  const first = setTimeout(look, 0);
  return () => {
    clearInterval(timer);
    clearTimeout(first);
    watcher?.close();
  };
}
