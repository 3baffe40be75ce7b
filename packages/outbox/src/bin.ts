#!/usr/bin/env node
/**
 * `rims-outbox`: the outbox's command line (see `rims-outbox --help` and `cli/cli.ts`). The only
 * place that reads the process environment and installs signal handlers.
 */
import { runCli } from './cli/cli.js';

process.exitCode = await runCli(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  ...(process.stderr.isTTY ? { progressStream: process.stderr } : {}),
  onStopSignal: (handler) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        // A second signal: the operator does not want to wait for the batch in hand (it rolls back).
        process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
      }
      signalled = true;
      handler(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  },
});
