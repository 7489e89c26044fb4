// The entry point of the bundled CLI (tools/pack): what bin/orel.js does for the checkout.
import { main } from './main.js';

// `orel … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

main(process.argv).then((code) => {
  process.exitCode = code;
});
