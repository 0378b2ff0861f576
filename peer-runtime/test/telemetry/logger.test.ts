import { describe, expect, it } from 'vitest';
import {
  createLogger,
  createStreamLogger,
  formatPrettyLine,
  type LogRecord,
  parseLogLevel,
} from '../../src/telemetry/logger.js';

describe('logger', () => {
  it('writes its level and above, with the bindings of its children on every line', () => {
    const records: LogRecord[] = [];
    const log = createLogger((r) => records.push(r), 'warn', { peer: 'p1' });
    log.info('not written');
    log.warn('written', { run: 'r1' });
    log.child({ function: 'f' }).error('from a child', { reason: 'threw' });
    expect(records.map((r) => [r.level, r.message, r.fields])).toEqual([
      ['warn', 'written', { peer: 'p1', run: 'r1' }],
      ['error', 'from a child', { peer: 'p1', function: 'f', reason: 'threw' }],
    ]);
  });

  it('writes one JSON object per line, errors as their name and message', () => {
    const lines: string[] = [];
    const log = createStreamLogger({ write: (t: string) => lines.push(t) }, { level: 'debug' });
    log.debug('fetch failed', { peer: 'p2', error: new TypeError('boom') });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    const parsed = JSON.parse(lines[0]!);
    expect(parsed).toMatchObject({ level: 'debug', msg: 'fetch failed', peer: 'p2' });
    expect(parsed.error).toEqual({ name: 'TypeError', message: 'boom' });
    expect(Number.isNaN(Date.parse(parsed.time))).toBe(false);
  });

  it('prints pretty lines with quoted fields that hold spaces', () => {
    const line = formatPrettyLine({
      level: 'warn',
      time: Date.UTC(2026, 0, 1, 12, 0, 0),
      message: 'peer lost',
      fields: { peer: 'p1', reason: 'it stopped answering' },
    });
    expect(line).toBe('12:00:00.000 WARN  peer lost  peer=p1 reason="it stopped answering"');
  });

  it('survives a sink that throws: the line is lost, the caller goes on', () => {
    const log = createLogger(() => {
      throw new Error('stream closed');
    });
    expect(() => log.error('x')).not.toThrow();
  });

  it('parses level names and refuses others', () => {
    expect(parseLogLevel('debug')).toBe('debug');
    expect(parseLogLevel('verbose')).toBeUndefined();
  });
});
