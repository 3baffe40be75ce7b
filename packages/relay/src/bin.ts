#!/usr/bin/env node
/**
 * `rims-relay`: the relay's command line (see `rims-relay --help`). The only place that reads the
 * process environment and installs signal handlers.
 */
import { runCli } from './cli.js';

process.exitCode = await runCli(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  onStopSignal: (handler) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        // A second signal: the operator does not want to wait for the drain.
        process.exit(130);
      }
      signalled = true;
      handler(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  },
});
