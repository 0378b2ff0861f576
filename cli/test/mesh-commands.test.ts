/**
 * `handout token` and the flag handling of the mesh commands, in-process through runCli (the commands that join
 * a mesh run as real processes in test/mesh/).
 */
import { createTokenVerifier, keyIdOf } from '@handout/peer-runtime/signaling';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';

async function cli(argv: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    cwd: process.cwd(),
    env,
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    onInterrupt: () => () => {},
  });
  return { code, stdout, stderr };
}

describe('handout token', () => {
  it('prints a token the server verifies, with the mesh, roles, expiry and peer asked for', async () => {
    const before = Math.floor(Date.now() / 1000);
    const r = await cli([
      'token',
      '--secret',
      's3cret',
      '--mesh',
      'lab',
      '--roles',
      'contribute,submit',
      '--ttl',
      '2h',
      '--peer',
      'p1',
    ]);
    expect(r.code).toBe(0);
    const payload = await createTokenVerifier({ keys: ['s3cret'] }).verify(r.stdout.trim());
    expect(payload).toMatchObject({ mesh: 'lab', roles: ['contribute', 'submit'], sub: 'p1' });
    expect(payload.exp).toBeGreaterThanOrEqual(before + 7200);
    expect(payload.exp).toBeLessThanOrEqual(before + 7201 + 5);
  });

  it('defaults to mesh default, contribute and submit, and reads the secret from HANDOUT_SECRET', async () => {
    const r = await cli(['token'], { HANDOUT_SECRET: 'from-env' });
    expect(r.code).toBe(0);
    expect(await createTokenVerifier({ keys: ['from-env'] }).verify(r.stdout.trim())).toEqual({
      mesh: 'default',
      roles: ['contribute', 'submit'],
      exp: expect.any(Number),
    });
  });

  it('a coordinate token needs --peer; --trusted marks it; the kid is printed and chosen on request', async () => {
    const unbound = await cli(['token', '--secret', 's', '--roles', 'coordinate']);
    expect(unbound.code).toBe(2);
    expect(unbound.stderr).toMatch(
      /^handout: cannot make the token \(--peer\): a token granting 'coordinate'/,
    );
    const bound = await cli(['token', '--secret', 's', '--roles', 'coordinate', '--peer', 'c1', '--trusted']);
    expect(await createTokenVerifier({ keys: ['s'] }).verify(bound.stdout.trim())).toMatchObject({
      roles: ['coordinate'],
      sub: 'c1',
      trusted: true,
    });
    const kid = await cli(['token', '--secret', 's', '--print-kid']);
    expect(kid.stdout).toBe(`${keyIdOf('s')}\n`);
    const rotated = await cli(['token', '--secret', 'new', '--kid', 'k-2026']);
    const header = JSON.parse(Buffer.from(rotated.stdout.split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'k-2026' });
    const badKid = await cli(['token', '--secret', 's', '--kid', 'no spaces']);
    expect(badKid.stderr).toMatch(/^handout: --kid 'no spaces' must match/);
  });

  it('names the flag at fault and exits 2', async () => {
    expect((await cli(['token'])).stderr).toBe('handout: handout token needs --secret <value>\n');
    const role = await cli(['token', '--secret', 's', '--roles', 'contribute,admin']);
    expect(role.code).toBe(2);
    expect(role.stderr).toBe(
      "handout: --roles: unknown role 'admin' (known: contribute, submit, coordinate)\n",
    );
    const ttl = await cli(['token', '--secret', 's', '--ttl', 'soon']);
    expect(ttl.stderr).toMatch(/^handout: --ttl: invalid duration 'soon'/);
    const mesh = await cli(['token', '--secret', 's', '--mesh', 'no spaces']);
    expect(mesh.stderr).toMatch(/^handout: cannot make the token \(--mesh\)/);
    const flag = await cli(['token', '--secret', 's', '--frobnicate']);
    expect(flag.stderr).toBe(
      "handout: unknown flag --frobnicate for 'handout token' (see handout token --help)\n",
    );
  });
});

describe('handout peer flags', () => {
  it('refuses bad values before joining, naming the flag', async () => {
    const token = (await cli(['token', '--secret', 's', '--roles', 'submit'])).stdout.trim();
    const noContribute = await cli(['peer', '--signal', 'http://127.0.0.1:1', '--token', token]);
    expect(noContribute.code).toBe(2);
    expect(noContribute.stderr).toMatch(/grants submit: a peer needs 'contribute'/);
    const ok = (await cli(['token', '--secret', 's'])).stdout.trim();
    const badCost = await cli(['peer', '--signal', 'http://127.0.0.1:1', '--cost', '-1'], {
      HANDOUT_TOKEN: ok,
    });
    expect(badCost.stderr).toBe('handout: --cost must be a number >= 0, got "-1"\n');
    const envConcurrency = await cli(['peer', '--signal', 'http://127.0.0.1:1'], {
      HANDOUT_TOKEN: ok,
      HANDOUT_CONCURRENCY: 'x',
    });
    expect(envConcurrency.stderr).toMatch(
      /^handout: environment variable HANDOUT_CONCURRENCY must be an integer/,
    );
    const missing = await cli(['peer', '--token', ok]);
    expect(missing.stderr).toBe('handout: handout peer needs --signal <value>\n');
  });

  it('warns on stderr when the token is given with --token, and not when it comes from HANDOUT_TOKEN', async () => {
    const ok = (await cli(['token', '--secret', 's'])).stdout.trim();
    const flag = await cli(['peer', '--signal', 'http://127.0.0.1:1', '--token', ok, '--cost', '-1']);
    expect(flag.stderr).toMatch(/^handout peer: warning: --token puts the token on the command line/);
    expect(flag.stderr).toContain('HANDOUT_TOKEN or --token-file');
    const env = await cli(['peer', '--signal', 'http://127.0.0.1:1', '--cost', '-1'], { HANDOUT_TOKEN: ok });
    expect(env.stderr).not.toContain('warning');
  });

  it('reads the token from --token-file, refuses an empty or missing file, and refuses both ways at once', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'handout-token-'));
    try {
      const submitOnly = (await cli(['token', '--secret', 's', '--roles', 'submit'])).stdout.trim();
      writeFileSync(join(dir, 'submit.token'), `${submitOnly}\n`);
      writeFileSync(join(dir, 'empty.token'), '\n');
      // The file's token is read and checked: this one grants submit only, so the peer refuses it by name.
      const fromFile = await cli([
        'peer',
        '--signal',
        'http://127.0.0.1:1',
        '--token-file',
        join(dir, 'submit.token'),
      ]);
      expect(fromFile.stderr).toMatch(
        /--token-file .*submit\.token grants submit: a peer needs 'contribute'/,
      );
      const empty = await cli([
        'peer',
        '--signal',
        'http://127.0.0.1:1',
        '--token-file',
        join(dir, 'empty.token'),
      ]);
      expect(empty.stderr).toMatch(/empty\.token is empty/);
      const missing = await cli([
        'peer',
        '--signal',
        'http://127.0.0.1:1',
        '--token-file',
        join(dir, 'nope'),
      ]);
      expect(missing.stderr).toMatch(/--token-file .*nope: ENOENT/);
      const both = await cli([
        'peer',
        '--signal',
        'http://127.0.0.1:1',
        '--token',
        submitOnly,
        '--token-file',
        join(dir, 'submit.token'),
      ]);
      expect(both.stderr).toBe('handout: give the token with --token or --token-file, not both\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses an --allow-module origin that is not http(s), and the tag 'trusted-code' set by hand", async () => {
    const ok = (await cli(['token', '--secret', 's'])).stdout.trim();
    const fileOrigin = await cli(
      ['peer', '--signal', 'http://127.0.0.1:1', '--allow-module', 'file:///etc/'],
      {
        HANDOUT_TOKEN: ok,
      },
    );
    expect(fileOrigin.code).toBe(2);
    expect(fileOrigin.stderr).toMatch(/must be http: or https:/);
    const tag = await cli(
      ['peer', '--signal', 'http://127.0.0.1:1', '--tags', 'trusted-code', '--speed', '1'],
      {
        HANDOUT_TOKEN: ok,
      },
    );
    expect(tag.code).toBe(2);
    expect(tag.stderr).toMatch(/tag 'trusted-code' is advertised by peers that trust code/);
  });
});

describe('signal URL lists and --redis', () => {
  it('--signal takes a comma-separated list and names a bad entry', async () => {
    const ok = (await cli(['token', '--secret', 's'])).stdout.trim();
    const bad = await cli(['peer', '--signal', 'http://127.0.0.1:1,ftp://x', '--token', ok]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      "handout: --signal: 'ftp://x' is not an http(s) or ws(s) URL of a signaling server\n",
    );
    // Both unreachable: the error names both (each was tried once).
    const unreachable = await cli([
      'peer',
      '--signal',
      'http://127.0.0.1:1, http://127.0.0.1:2',
      '--token',
      ok,
    ]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1 or http:\/\/127\.0\.0\.1:2/);
  });

  it('handout signal --redis needs --secret and a redis:// URL, and says when Redis cannot be reached', async () => {
    const noSecret = await cli(['signal', '--port', '0', '--redis', 'redis://127.0.0.1:1']);
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(/--redis needs --secret/);
    const badUrl = await cli(['signal', '--port', '0', '--secret', 's', '--redis', 'http://x']);
    expect(badUrl.stderr).toBe("handout: --redis: 'http://x' is not a redis:// or rediss:// URL\n");
    const down = await cli(['signal', '--port', '0', '--secret', 's', '--redis', 'redis://127.0.0.1:1']);
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/^handout: --redis: cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  }, 30_000);

  it('handout signal --turn-url needs --turn-secret (and the reverse) and refuses URLs that are not turn:', async () => {
    const noSecret = await cli(['signal', '--port', '0', '--turn-url', 'turn:10.0.0.1:3478']);
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(/^handout: --turn-url needs --turn-secret \(or HANDOUT_TURN_SECRET\)/);
    const noUrl = await cli(['signal', '--port', '0'], { HANDOUT_TURN_SECRET: 't' });
    expect(noUrl.stderr).toMatch(/^handout: environment variable HANDOUT_TURN_SECRET needs --turn-url/);
    const badUrl = await cli(['signal', '--port', '0', '--turn-url', 'stun:x:3478', '--turn-secret', 't']);
    expect(badUrl.stderr).toMatch(/^handout: --turn-url: 'stun:x:3478' is not a turn: URL/);
    const badTtl = await cli([
      'signal',
      '--port',
      '0',
      '--turn-url',
      'turn:x:3478',
      '--turn-secret',
      't',
      '--turn-ttl',
      '9s',
    ]);
    expect(badTtl.stderr).toBe("handout: --turn-ttl must be at least 10 s, got '9s'\n");
  });

  it('--ice-server is repeatable and a bad entry exits 2 naming it, for peer and run alike', async () => {
    const ok = (await cli(['token', '--secret', 's'])).stdout.trim();
    const peer = await cli(
      [
        'peer',
        '--signal',
        'http://127.0.0.1:1',
        '--ice-server',
        'stun:10.0.0.1:3478',
        '--ice-server',
        'turn:h:3478',
      ],
      { HANDOUT_TOKEN: ok },
    );
    expect(peer.code).toBe(2);
    expect(peer.stderr).toMatch(/^handout: --ice-server: 'turn:h:3478': a TURN server needs credentials/);
    const env = await cli(['peer', '--signal', 'http://127.0.0.1:1'], {
      HANDOUT_TOKEN: ok,
      HANDOUT_ICE_SERVERS: 'http://nope',
    });
    expect(env.stderr).toMatch(
      /^handout: environment variable HANDOUT_ICE_SERVERS: 'http:\/\/nope' is not an ICE server/,
    );
    const run = await cli(['run', 'examples/pipeline.json', '--ice-server', 'stuns:u:p@h']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^handout: --ice-server: 'stuns:u:p@h': a STUN server takes no credentials/);
  });
});
