import { readdirSync, readFileSync } from 'node:fs';

// Linux's USER_HZ: /proc reports CPU time in ticks of 10 ms.
const MS_PER_TICK = 10;

function stat(pid: number): { ppid: number; cpuMs: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces), from field 3 on.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpuMs: (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK };
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system, ms) used so far by process `pid` and its direct children (nginx's
 * workers), from /proc; NaN where /proc is not available. CPU per request does not depend on
 * what else runs on the machine, unlike requests per second.
 */
export function processTreeCpuMs(pid: number): number {
  const own = stat(pid);
  if (own === undefined) return Number.NaN;
  let total = own.cpuMs;
  for (const entry of readdirSync('/proc')) {
    const child = /^\d+$/.test(entry) ? stat(Number(entry)) : undefined;
    if (child?.ppid === pid) total += child.cpuMs;
  }
  return total;
}

/** The parent of `pid` (e.g. PostgreSQL's postmaster from a backend's pid), from /proc. */
export function parentPid(pid: number): number | undefined {
  return stat(pid)?.ppid;
}

/** CPU time (ms) this process has used so far, every thread included. */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
