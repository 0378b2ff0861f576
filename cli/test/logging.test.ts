import { describe, expect, test } from 'vitest';
import { createProcessLogger } from '../src/logging.js';
import { handout } from './cli-process.js';

function lines(format: 'json' | 'pretty', level: 'debug' | 'info' | 'warn' | 'error' = 'info') {
  const out: string[] = [];
  const log = createProcessLogger({ write: (t: string) => out.push(t) }, { level, format });
  return { log, out };
}

describe('the logger of handout peer and handout signal', () => {
  test('json lines (pino) carry level as a word, an ISO time, msg, the fields and the child bindings', () => {
    const { log, out } = lines('json', 'debug');
    log.child({ peer: 'p1', mesh: 'm' }).warn('peer lost', { reason: 'gone', error: new TypeError('boom') });
    log.debug('details');
    expect(out).toHaveLength(2);
    const first = JSON.parse(out[0]!);
    expect(first).toEqual({
      level: 'warn',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      msg: 'peer lost',
      peer: 'p1',
      mesh: 'm',
      reason: 'gone',
      error: { name: 'TypeError', message: 'boom' },
    });
    expect(JSON.parse(out[1]!)).toMatchObject({ level: 'debug', msg: 'details' });
  });

  test('a level drops what is below it, in both formats', () => {
    for (const format of ['json', 'pretty'] as const) {
      const { log, out } = lines(format, 'warn');
      log.debug('d');
      log.info('i');
      log.warn('w');
      log.error('e');
      expect(out, format).toHaveLength(2);
    }
    const { log, out } = lines('pretty');
    log.info('peer joined', { peer: 'p1', note: 'two words' });
    expect(out[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}peer joined {2}peer=p1 note="two words"\n$/);
  });

  test('a bad --log-level or --log-format exits 2 naming the flag and the value', async () => {
    const level = await handout(['signal', '--port', '0', '--log-level', 'loud']);
    expect(level.code).toBe(2);
    expect(level.stderr).toMatch(/--log-level must be one of debug, info, warn, error, got 'loud'/);
    const format = await handout(['peer', '--signal', 'http://127.0.0.1:1', '--log-format', 'xml'], {
      env: { HANDOUT_TOKEN: 'x.y.z' },
    });
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/--log-format/);
    const both = await handout(['signal', '--port', '0', '--json', '--log-format', 'pretty']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--json asks for --log-format json/);
  });
});
