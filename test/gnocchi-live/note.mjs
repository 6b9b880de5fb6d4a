// Jest globalTeardown (jest.config.js): after `npm test`, one line on stderr saying that the
// suite against a real Gnocchi is separate. Silent when that suite itself is running.
export default function gnocchiNote(globalConfig, projectConfig) {
  const roots = (projectConfig?.roots ?? []).join(' ');
  if (roots.includes('gnocchi-live')) return;
  process.stderr.write(
    'note: the suite against a real Gnocchi is separate: `npm run test:gnocchi` with GNOCCHI_URL set (docs/gnocchi.md; CI runs it)\n',
  );
}
