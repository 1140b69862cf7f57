// What the benchmark reads about a process from Linux's /proc: CPU time used so far, peak RSS, and which process
// listens on a port (the emulators' Java processes, started by gcloud, are found so, to show their CPU apart).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** /proc reports CPU time in clock ticks, 100 per second on Linux (USER_HZ). */
const TICK_MICROS = 1e6 / 100;

/** User and system CPU of the process, all its threads, in microseconds. */
export function cpuMicros(pid: number): number {
  // The command name in field 2 may hold spaces; the fields after its closing parenthesis do not.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MICROS;
}

export function peakRssBytes(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

/** Socket inodes of listening TCP sockets on `port`, IPv4 and IPv6. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; the inode is the tenth column.
      if (columns[1]?.endsWith(`:${hexPort}`) && columns[3] === '0A') inodes.add(columns[9]!);
    }
  }
  return inodes;
}

/** The process that holds the listening socket on `port`, or undefined when none can be seen. */
export function pidListeningOn(port: number): number | undefined {
  const wanted = new Set([...listeningInodes(port)].map((inode) => `socket:[${inode}]`));
  if (wanted.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // a process that exited meanwhile, or one whose descriptors are not ours to read: not the emulator
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue; // closed between listing and reading
      }
      if (wanted.has(target)) return Number(entry);
    }
  }
  return undefined;
}
