/**
 * Cuts one process off the network while it lives (a chaos fault, issue 13): every UDP socket the process has
 * open (its WebRTC data channels: node-datachannel's ICE/DTLS/SCTP run over UDP) gets iptables DROP rules for
 * both directions, so its channels go silent and drop, while its TCP socket to the signaling server stays up
 * (the process is still a member, as a peer behind a failing NAT or Wi-Fi is). Sockets it opens after the cut
 * are not blocked: a reconnection may succeed, as it would once a real link comes back.
 *
 * Needs root and runs inside the test's network namespace (test/netns/run.sh), where the rules touch nothing
 * outside it. The undo function deletes exactly the rules it added.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The local UDP ports of process `pid`, from `ss -Hunap` (`users:(("node",pid=123,fd=30))`). */
export async function udpPortsOf(pid: number): Promise<number[]> {
  const { stdout } = await run('ss', ['-Hunap']);
  const ports = new Set<number>();
  for (const line of stdout.split('\n')) {
    if (!line.includes(`pid=${pid},`)) continue;
    const local = line.trim().split(/\s+/)[3] ?? '';
    const port = Number(local.slice(local.lastIndexOf(':') + 1));
    if (Number.isInteger(port) && port > 0) ports.add(port);
  }
  return [...ports];
}

/** Drops every packet to or from `pid`'s UDP sockets; resolves with the undo and the ports cut. */
export async function cutNetwork(pid: number): Promise<{ ports: number[]; undo: () => Promise<void> }> {
  const ports = await udpPortsOf(pid);
  const rules = ports.flatMap((port) => [
    ['INPUT', '-p', 'udp', '--dport', String(port), '-j', 'DROP'],
    ['OUTPUT', '-p', 'udp', '--sport', String(port), '-j', 'DROP'],
  ]);
  for (const rule of rules) await run('iptables', ['-I', ...rule]);
  return {
    ports,
    undo: async () => {
      for (const rule of rules) await run('iptables', ['-D', ...rule]);
    },
  };
}
