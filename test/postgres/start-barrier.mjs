// Preloaded (node --import) into the `bill --all` processes of several-hosts.test.ts when
// ARTIFICE_TEST_BARRIER is set: each process says it is ready, then waits for the test's go, so
// processes started together begin billing together however slowly the machine starts them
// (otherwise a late one may find every tenant already billed, and "each process bills some"
// would depend on the machine's load).
import fs from 'node:fs';

const barrier = process.env.ARTIFICE_TEST_BARRIER;
if (barrier) {
  fs.writeFileSync(`${barrier}.ready.${process.pid}`, '');
  while (!fs.existsSync(`${barrier}.go`)) await new Promise((resolve) => setTimeout(resolve, 5));
}
