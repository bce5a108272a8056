// The one workspace-confined way to open a file: nothing outside the workspace, no symlink at the
// last component, no blocking on FIFOs or devices, regular files only. Every read (and every
// write into an existing file) of workspace content goes through here.
import { constants, fstatSync, openSync, readdirSync, readlinkSync, readSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { Result } from '../../machine/ports.ts';
import { closeQuietly } from './cleanup.ts';
import { errnoOf, failure, isDiskFull, success } from './fs-error.ts';

/** An open, checked file inside the workspace. The caller closes `fd`. */
export interface ConfinedFile {
  readonly fd: number;
  readonly sizeBytes: number;
  /** The path the kernel resolved (from /proc/self/fd), inside the workspace's real path. */
  readonly realPath: string;
}

/** How `openConfined` opens: read-only (the default) or for appending/writing an existing file. */
export interface ConfinedOpenOptions {
  readonly access?: 'read' | 'append' | 'write';
  /**
   * Create the file when it is missing, with these permission bits (before the umask). Never
   * through a symlink: O_CREAT with O_NOFOLLOW refuses one at the last component.
   */
  readonly createMode?: number;
  /** With `createMode`: fail with EEXIST (`RW_FILE_EXISTS`) when anything is at `path`. */
  readonly exclusive?: boolean;
}

const accessFlags = {
  read: constants.O_RDONLY,
  append: constants.O_WRONLY | constants.O_APPEND,
  write: constants.O_WRONLY,
} as const;

/**
 * Opens `path`, which must lie inside the workspace `root`, without following a symlink at its
 * last component and without blocking (O_NONBLOCK: a FIFO opens at once and is then refused).
 * The directory holding it must resolve inside the workspace (checked before the open, so a
 * symlinked run directory never makes us open a device elsewhere) and the opened file's real
 * path is checked again after the open (closing the window between check and open).
 * ENOENT is `'missing'`; a symlink or an escape is RW_PATH_ESCAPE; a FIFO, directory, socket or
 * device is RW_NOT_REGULAR; other errors are RW_READ_FAILED. Never throws.
 */
export function openConfined(
  root: string,
  path: string,
  opts: ConfinedOpenOptions = {},
): Result<ConfinedFile | 'missing'> {
  const realRoot = realRootOf(root);
  if (!realRoot.ok) return realRoot;
  if (realRoot.value === 'missing') return success('missing');
  const parent = confinedDirectory(realRoot.value, root, dirname(path));
  if (!parent.ok) return parent;
  if (parent.value === 'missing') return success('missing');
  const create =
    opts.createMode === undefined ? 0 : constants.O_CREAT | (opts.exclusive === true ? constants.O_EXCL : 0);
  const flags =
    accessFlags[opts.access ?? 'read'] |
    create |
    constants.O_NOFOLLOW |
    constants.O_NONBLOCK |
    constants.O_NOCTTY;
  let fd: number;
  try {
    fd = openSync(path, flags, opts.createMode ?? 0o666);
  } catch (error) {
    return openError(path, errnoOf(error));
  }
  const checked = checkOpened(fd, realRoot.value, path);
  if (!checked.ok) closeQuietly(fd);
  return checked;
}

/**
 * Opens the confined file at `path` (as `openConfined` does), hands its fd and size to `read`,
 * and closes it. A read that throws is RW_READ_FAILED naming the file; `'missing'` when there is
 * no file. The one way the readers of this layer hold a file open.
 */
export function withConfinedFile<T>(
  root: string,
  path: string,
  read: (fd: number, sizeBytes: number) => T,
): Result<T | 'missing'> {
  const opened = openConfined(root, path);
  if (!opened.ok) return opened;
  if (opened.value === 'missing') return success('missing');
  const { fd, sizeBytes } = opened.value;
  try {
    return success(read(fd, sizeBytes));
  } catch (error) {
    return failure(
      'RW_READ_FAILED',
      `reading ${path}: ${errnoOf(error)}; check the file and its permissions`,
    );
  } finally {
    closeQuietly(fd);
  }
}

/**
 * Reads the whole confined file at `path`, refusing one larger than `bytesMax` (reported as
 * `{ tooLarge: size }`). The same refusals as `openConfined`.
 */
export function readConfined(
  root: string,
  path: string,
  bytesMax: number,
): Result<Uint8Array | 'missing' | { readonly tooLarge: number }> {
  return withConfinedFile(root, path, (fd, sizeBytes) =>
    sizeBytes > bytesMax ? { tooLarge: sizeBytes } : readUpTo(fd, sizeBytes, 0),
  );
}

/** Up to `lengthBytes` bytes of `fd` from `positionBytes` (fewer when the file is shorter). */
export function readUpTo(fd: number, lengthBytes: number, positionBytes: number): Uint8Array {
  const buffer = Buffer.alloc(lengthBytes);
  let filledBytes = 0;
  // Each pass reads at least one byte or ends the loop: at most lengthBytes passes.
  while (filledBytes < lengthBytes) {
    const readBytes = readSync(
      fd,
      buffer,
      filledBytes,
      lengthBytes - filledBytes,
      positionBytes + filledBytes,
    );
    if (readBytes === 0) break;
    filledBytes += readBytes;
  }
  return buffer.subarray(0, filledBytes);
}

/** True when `path` names something inside `root` (lexically: no `..` escape, not absolute-elsewhere). */
export function isLexicallyInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/**
 * Checks that the directory `dir` exists and resolves to the workspace `root` or inside it, for a
 * writer about to create or rename an entry there (a symlinked run directory or `history/` would
 * otherwise make us write outside). Returns its real path; a missing directory is `'missing'`.
 */
export function confinedDir(root: string, dir: string): Result<string | 'missing'> {
  const realRoot = realRootOf(root);
  if (!realRoot.ok) return realRoot;
  if (realRoot.value === 'missing') return success('missing');
  return confinedDirectory(realRoot.value, root, dir);
}

/**
 * Opens the directory `dir` (inside the workspace `root`, not a symlink) read-only, to fsync it.
 * The caller closes the fd. A missing directory is RW_READ_FAILED (ENOENT): a writer needs it.
 */
export function openConfinedDir(root: string, dir: string): Result<number> {
  const checked = confinedDir(root, dir);
  if (!checked.ok) return checked;
  if (checked.value === 'missing') return failure('RW_READ_FAILED', `opening directory ${dir}: ENOENT`);
  try {
    return success(openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW));
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ELOOP' || errno === 'ENOTDIR') {
      return failure('RW_PATH_ESCAPE', `${dir} is not a directory (a link?); remove it`);
    }
    return failure('RW_READ_FAILED', `opening directory ${dir}: ${errno}`);
  }
}

/**
 * The entry names of directory `dir` inside the workspace `root` (a symlinked directory is
 * refused, never listed); `[]` when it is missing.
 */
export function listConfinedDir(root: string, dir: string): Result<string[]> {
  const checked = confinedDir(root, dir);
  if (!checked.ok) return checked;
  if (checked.value === 'missing') return success([]);
  try {
    return success(readdirSync(checked.value));
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ENOENT') return success([]);
    return failure('RW_READ_FAILED', `listing ${dir}: ${errno}; check the directory and its permissions`);
  }
}

/** The workspace's real path; `'missing'` when it does not exist yet (nothing is in it). */
function realRootOf(root: string): Result<string | 'missing'> {
  try {
    return success(realpathSync(root));
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ENOENT' || errno === 'ENOTDIR') return success('missing');
    return failure('RW_READ_FAILED', `resolving the workspace ${root}: ${errno}`);
  }
}

/** The real path of directory `dir`, checked to be the workspace itself or inside it. */
function confinedDirectory(realRoot: string, root: string, dir: string): Result<string | 'missing'> {
  let realDir: string;
  try {
    realDir = realpathSync(dir);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ENOENT' || errno === 'ENOTDIR') return success('missing');
    return failure('RW_READ_FAILED', `resolving ${dir}: ${errno}`);
  }
  if (realDir !== realRoot && !realDir.startsWith(realRoot + sep)) {
    return failure(
      'RW_PATH_ESCAPE',
      `${dir} resolves to ${realDir}, outside the workspace ${root}; remove the link`,
    );
  }
  return success(realDir);
}

function checkOpened(fd: number, realRoot: string, path: string): Result<ConfinedFile> {
  let realPath: string;
  try {
    realPath = readlinkSync(join('/proc/self/fd', String(fd)));
  } catch (error) {
    return failure('RW_READ_FAILED', `resolving the opened ${path}: ${errnoOf(error)}`);
  }
  if (!realPath.startsWith(realRoot + sep)) {
    return failure(
      'RW_PATH_ESCAPE',
      `${path} resolves to ${realPath}, outside the workspace; remove the link`,
    );
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    return failure('RW_NOT_REGULAR', `${path} is a ${kindOf(stat)}, not a regular file; remove it`);
  }
  return success({ fd, sizeBytes: stat.size, realPath });
}

function kindOf(stat: ReturnType<typeof fstatSync>): string {
  if (stat.isFIFO()) return 'FIFO';
  if (stat.isDirectory()) return 'directory';
  if (stat.isSocket()) return 'socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'device';
  return 'non-regular file';
}

function openError(path: string, errno: string): Result<'missing'> {
  if (errno === 'ENOENT' || errno === 'ENOTDIR') return success('missing');
  // O_NOFOLLOW on a symlink fails with ELOOP.
  if (errno === 'ELOOP')
    return failure(
      'RW_PATH_ESCAPE',
      `${path} is a symbolic link; runwarden never follows one there; remove it`,
    );
  if (errno === 'EEXIST') return failure('RW_FILE_EXISTS', `creating ${path}: something is there already`);
  if (errno === 'ENXIO')
    return failure(
      'RW_NOT_REGULAR',
      `${path} is a FIFO or socket with no writer, not a regular file; remove it`,
    );
  if (isDiskFull(errno))
    return failure('RW_DISK_FULL', `creating ${path}: no space left on device; free disk space`);
  return failure('RW_READ_FAILED', `opening ${path}: ${errno}; check the file and its permissions`);
}
