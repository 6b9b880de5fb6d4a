/** Entry of the synthetic telemetry server's process (server.ts says what it serves). */
import { parseArgs, startServer } from './server.js';

startServer(parseArgs(process.argv.slice(2))).then(
  (server) => {
    const address = server.address();
    if (address && typeof address === 'object') process.stdout.write(`http://127.0.0.1:${address.port}\n`);
  },
  (error: unknown) => {
    process.stderr.write(`synthetic server: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
