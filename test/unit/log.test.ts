import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('logger', () => {
  it('redacts tokens and passwords wherever they sit in a logged object', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', destination: out.stream });
    logger.info({ token: 'tok-1', sink: { token: 'tok-2', password: 'pw-3' }, config: { sinks: { influx: { password: 'pw-4' } } } }, 'hello');
    const line = out.text();
    for (const secret of ['tok-1', 'tok-2', 'pw-3', 'pw-4']) expect(line).not.toContain(secret);
    expect(line).toContain('[redacted]');
    expect(line).toContain('hello');
  });
});
