/** A service the tests need could not be found or started; the message lists what was tried. */
export class HarnessError extends Error {
  override readonly name = 'HarnessError';
}
