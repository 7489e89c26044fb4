import { run } from './protocol.js';

process.exitCode = await run(process.argv.slice(2), { stderr: (l) => process.stderr.write(l + '\n') });
