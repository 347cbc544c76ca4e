/** What Linux says about a process: CPU time from /proc/<pid>/stat, RSS from /proc/<pid>/status. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  /** Clock ticks in user mode. */
  utime: number;
  /** Clock ticks in kernel mode. */
  stime: number;
  threads: number;
}

/**
 * Parses one /proc/<pid>/stat line. The command name is in parentheses and may itself hold spaces and
 * parentheses, so the fields are counted from the last ')'.
 */
export function parseProcStat(line: string): ProcStat {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${line.slice(0, 80)}`);
  const rest = line.slice(close + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15, num_threads field 20.
  if (rest.length < 18) throw new Error(`/proc/<pid>/stat line has too few fields (${rest.length + 2})`);
  return {
    pid: Number(line.slice(0, open).trim()),
    comm: line.slice(open + 1, close),
    state: rest[0]!,
    utime: Number(rest[11]),
    stime: Number(rest[12]),
    threads: Number(rest[17]),
  };
}

/** VmRSS from /proc/<pid>/status, in bytes. */
export function parseVmRssBytes(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error('no VmRSS line in /proc/<pid>/status');
  return Number(m[1]) * 1024;
}

let clockTicks: number | undefined;

/** USER_HZ: the unit of utime and stime (100 on practically every Linux). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export interface ProcSample {
  /** performance.now() when read. */
  at: number;
  /** utime + stime, in ms. */
  cpuMs: number;
  rssBytes: number;
}

/** Reads a process's CPU time and RSS now; undefined when it is gone. */
export function sampleProcess(pid: number, now: number): ProcSample | undefined {
  try {
    const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const rssBytes = parseVmRssBytes(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { at: now, cpuMs: ((stat.utime + stat.stime) * 1000) / clockTicksPerSecond(), rssBytes };
  } catch {
    return undefined;
  }
}
