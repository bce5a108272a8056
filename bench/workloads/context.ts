// What every workload receives: the tools that are ready, where to write jobs, and where to put
// its rows; plus the helpers they share (a job per tool, manager processes and their RSS).
import type { JobSpec } from '../lib/jobs.ts';
import { writeJob } from '../lib/jobs.ts';
import { rssKb, taggedPids, treeOf } from '../lib/proc.ts';
import type { Row } from '../lib/table.ts';
import type { Peer } from '../peers/types.ts';

/** A ready tool and the tag its processes carry. */
export interface Tool {
  peer: Peer;
  tag: string;
  slug: string;
}

/** The bench run as a workload sees it. */
export interface BenchContext {
  quick: boolean;
  root: string;
  jobsDir: string;
  mono: string;
  tools: Tool[];
  rows: Row[];
  /** Why something was not measured, printed under the table. */
  skipped: string[];
  log(message: string): void;
}

/** One workload (W1…W9). */
export interface Workload {
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<void>;
}

/** Writes and defines the job `${prefix}-${tool}` running `body`. */
export async function jobFor(
  ctx: BenchContext,
  tool: Tool,
  prefix: string,
  body: string,
  graceMs = 1_000,
): Promise<JobSpec> {
  const job = writeJob(ctx.jobsDir, ctx.mono, `${prefix}-${tool.slug}`, body, graceMs);
  await tool.peer.define(job);
  return job;
}

/** The tool's own processes: everything with its tag except the jobs' process trees. */
export function managerPids(tool: Tool, jobPids: readonly number[]): number[] {
  const jobs = treeOf(jobPids);
  return taggedPids(tool.tag).filter((pid) => !jobs.has(pid));
}

/** Sum of VmRSS over `pids`, in MiB. */
export function rssMb(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + rssKb(pid), 0) / 1024;
}

/** Appends a row for `tool`. */
export function addRow(
  ctx: BenchContext,
  tool: Pick<Tool, 'peer'> | { name: string; role: Row['role'] },
  row: Omit<Row, 'tool' | 'role'>,
): void {
  const who = 'peer' in tool ? tool.peer : tool;
  ctx.rows.push({ ...row, tool: who.name, role: who.role });
}

/** `tools` rotated by `round`, so no tool always goes first. */
export function rotated<T>(tools: readonly T[], round: number): T[] {
  const k = tools.length === 0 ? 0 : round % tools.length;
  return [...tools.slice(k), ...tools.slice(0, k)];
}
