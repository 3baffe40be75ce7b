#!/usr/bin/env node
/**
 * `rims-merger`: the merger's command line (see `rims-merger --help` and `cli/cli.ts`). The only
 * place that reads the process environment and installs signal handlers.
 */
import { runCli } from './cli/cli.js';

// `rims-merger sql | head` closes stdout early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  progressStream: process.stderr,
  onStopSignal: (handler) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        // A second signal: the operator does not want to wait for the statement in hand.
        process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
      }
      signalled = true;
      handler(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  },
});
