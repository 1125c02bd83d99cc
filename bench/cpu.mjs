// workerd CPU, read from /proc: shared by the worker benchmarks (run.mjs, members.mjs).
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';

/** CPU time of a process, all its threads, in ns (schedstat: finer than clock ticks). */
export function cpuNs(pid) {
  let ns = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // A thread that ended between listing and reading.
    }
  }
  return ns;
}

/** The workerd processes in wrangler's process group: the user worker's and the proxy's
 *  (the one whose entry socket is wrangler's --port). Fails unless exactly one of each. */
export function workerdPids(server) {
  const r = spawnSync('pgrep', ['-g', String(server.pid), '-x', 'workerd'], { encoding: 'utf8' });
  const pids = r.stdout.trim().split('\n').filter(Boolean).map(Number);
  const cmd = (pid) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  const isProxy = (pid) => cmd(pid).includes(`--socket-addr=entry=127.0.0.1:${server.port}`);
  const user = pids.filter((pid) => !isProxy(pid));
  const proxy = pids.filter(isProxy);
  if (user.length !== 1 || proxy.length !== 1) {
    throw new Error(`expected one user and one proxy workerd in wrangler's group ${server.pid}, found ${JSON.stringify({ user, proxy })}`);
  }
  return { user: user[0], proxy: proxy[0] };
}
