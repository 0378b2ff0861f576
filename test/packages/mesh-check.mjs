// The mesh half of consumer.test.ts, run inside the private network namespace (test/netns/run.sh) because it
// opens WebRTC connections: in the consumer project given as argv[2], starts `npx handout signal --demo`,
// fetches the contribute page and one of its scripts, joins `npx handout peer --coordinator` (with the
// coordinator token the server printed), runs a DAG file
// (argv[3]) on that mesh with `npx handout run --signal`, and prints one JSON object with what it saw. Every
// process it starts runs in its own process group and is killed with it, whatever happens.
import { spawn, spawnSync } from 'node:child_process';

const [app, dagFile] = process.argv.slice(2);
const groups = [];

function start(args) {
  const child = spawn('npx', ['handout', ...args], {
    cwd: app,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  groups.push(child);
  const output = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d) => {
    output.stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d) => {
    output.stderr += d;
  });
  return output;
}

/** The first JSON line of `text` whose `event` is `event`. */
function jsonEvent(text, event) {
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    const parsed = JSON.parse(line);
    if (parsed.event === event) return parsed;
  }
  return undefined;
}

async function waitFor(what, output, event, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = jsonEvent(output.stdout, event);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr: ${output.stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopAll() {
  for (const child of groups) {
    if (child.exitCode !== null || child.pid === undefined) continue;
    try {
      // The whole group: npx runs the bin in a child process of its own.
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Exited between the check and the kill: nothing left to stop.
    }
  }
}

try {
  const signal = start(['signal', '--demo', '--port', '0', '--json']);
  const listening = await waitFor('the signaling server', signal, 'listening');
  // `token` admits members (contribute, submit); `coordinatorToken` grants every role, bound to the peer id
  // 'coordinator', which the peer takes from it.
  const { url, token, coordinatorToken } = listening;
  const page = await fetch(`${url}/contribute.html`);
  const html = await page.text();
  // Vite writes relative URLs (`./assets/...`): resolve them against the page's.
  const script = html.match(/src="((?:\.\/|\/)assets\/[^"]+\.js)"/)?.[1];
  const asset = script ? await fetch(new URL(script, `${url}/contribute.html`)) : undefined;

  const peer = start(['peer', '--signal', url, '--token', coordinatorToken, '--coordinator', '--json']);
  const joined = await waitFor('the peer to join', peer, 'joined');
  const run = spawnSync(
    'npx',
    ['handout', 'run', dagFile, '--signal', url, '--token', token, '--json', '--progress', 'none'],
    { cwd: app, encoding: 'utf8', timeout: 120_000 },
  );
  console.log(
    JSON.stringify({
      page: {
        status: page.status,
        title: html.match(/<title>([^<]*)<\/title>/)?.[1] ?? null,
        script: script ?? null,
      },
      asset: asset ? { status: asset.status, type: asset.headers.get('content-type') } : null,
      joined: { peerId: joined.peerId, mesh: joined.mesh, roles: joined.roles },
      run: {
        code: run.status,
        stderr: run.stderr,
        output: run.status === 0 ? JSON.parse(run.stdout) : run.stdout,
      },
    }),
  );
} finally {
  stopAll();
}
