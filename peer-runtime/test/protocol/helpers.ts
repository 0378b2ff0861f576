import { ProtocolError } from '../../src/errors.js';
import { validateMessage } from '../../src/protocol/messages-validate.js';

/** The ProtocolError `validateMessage` throws for `value`; fails the test if it accepts it or throws another error. */
export function errorOf(value: unknown): ProtocolError {
  try {
    validateMessage(value);
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
  throw new Error('the message was accepted');
}
