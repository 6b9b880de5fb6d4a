/** meters.ini templates, match and max: each bad value is a one-line config error (exit 2, ledger untouched). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseGnocchi } from '../../src/config/gnocchi.js';
import { parseMeters } from '../../src/config/meters.js';
import { ConfigError } from '../../src/model/errors.js';
import { packageFile } from '../../src/model/paths.js';
import { ACME, demo, expectOneLine, ledgerBills, run } from '../helpers/cli.js';
import { writeIn } from '../helpers/tmp.js';

const FILE = '/etc/artifice/meters.ini';
const meters = (text: string) => parseMeters(text, FILE, 3600);
const GAUGE = '[volume.size]\ntransform = gauge\nunit = gigabyte-hour\n';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).not.toContain('\n');
    return (error as Error).message;
  }
  throw new Error('no error');
}

describe('parseMeters: templates, meter, match, attributes', () => {
  it('parses a template with text and fallbacks, a meter, a match and declared attributes', () => {
    const [spec] = meters('[instance.license]\nmeter = instance\ntransform = uptime\nunit = hour\nmatch = os_type = Windows|win, os_distro!=x\nservice = license.{os_distro|other}.{tier}\nattributes = tier\n');
    expect(spec).toMatchObject({
      meter: 'instance.license',
      telemetryMeter: 'instance',
      service: 'license.{os_distro|other}.{tier}',
      serviceParts: [
        { kind: 'text', text: 'license.' }, { kind: 'attribute', name: 'os_distro', fallback: 'other' }, { kind: 'text', text: '.' }, { kind: 'attribute', name: 'tier' },
      ],
      match: [{ attribute: 'os_type', values: ['windows', 'win'], negate: false }, { attribute: 'os_distro', values: ['x'], negate: true }],
      attributes: ['tier'],
    });
  });

  it('the legacy service = flavor of an uptime meter of any name is {flavor|unknown}; elsewhere it is plain text', () => {
    expect(meters('[vm]\ntransform = uptime\nunit = hour\n')[0]!.serviceParts).toEqual([{ kind: 'attribute', name: 'flavor', fallback: 'unknown' }]);
    expect(meters(`${GAUGE}service = flavor\n`)[0]!.serviceParts).toEqual([{ kind: 'text', text: 'flavor' }]);
  });

  it.each([
    ['an attribute the meter does not carry', `${GAUGE}service = volume.size.{volume_typ}\n`,
      `${FILE} [volume.size] service names the attribute volume_typ, which samples of meter volume.size do not carry (they carry: volume_type, display_name, availability_zone, status); fix the name, or, if your telemetry does report it, declare it with attributes = volume_typ`],
    ['an attribute of a meter artifice knows nothing of', '[snapshot.size]\ntransform = gauge\nunit = gigabyte-hour\nservice = snap.{volume_type}\n',
      /\[snapshot\.size\] service names the attribute volume_type, which samples of meter snapshot\.size do not carry \(they carry: none\)/],
    ['a match on an unknown attribute', '[instance.license]\nmeter = instance\ntransform = uptime\nunit = hour\nmatch = os_typ=windows\n',
      /\[instance\.license\] match names the attribute os_typ, which samples of meter instance do not carry/],
    ['an unclosed brace', `${GAUGE}service = volume.size.{volume_type\n`, /\[volume\.size\] service = 'volume\.size\.\{volume_type' has a '\{' without its '\}'/],
    ['a stray closing brace', `${GAUGE}service = volume}\n`, /has a '\}' without its '\{'/],
    ['an empty placeholder', `${GAUGE}service = volume.{}\n`, /'\{\}' must name an attribute/],
    ['an empty fallback', `${GAUGE}service = volume.{volume_type|}\n`, /the fallback of \{volume_type\|…\} must be a non-empty name/],
    ['a match without an operator', '[instance.license]\nmeter = instance\ntransform = uptime\nunit = hour\nmatch = os_type windows\n',
      /\[instance\.license\] match = 'os_type windows' is not valid: 'os_type windows' must be attribute=value or attribute!=value/],
    ['a match with an empty alternative', '[instance.license]\nmeter = instance\ntransform = uptime\nunit = hour\nmatch = os_type=windows|\n', /match = 'os_type=windows\|' is not valid/],
    ['an unknown transform', '[vcpus]\ntransform = peak\nunit = vcpu\n', `${FILE} [vcpus] transform = 'peak' is not valid: use one of uptime, gauge, counter, sum, max`],
  ])('%s', (_what, text, expected) => {
    const got = message(() => meters(text));
    if (typeof expected === 'string') expect(got).toBe(expected);
    else expect(got).toMatch(expected);
  });
});

describe('parseGnocchi: attributes of the resource type, shared meters', () => {
  const gnocchi = (metersText: string, mapping: string) =>
    parseGnocchi({ file: '/etc/artifice/artifice.ini', dir: '/etc/artifice', sections: new Map(), meterSpecs: meters(metersText) }, () => mapping);
  const MAPPING = '[instance]\nresource_type = instance\n\n[volume.size]\nresource_type = volume\nmetric = volume.size\n';
  const LICENSE = '[instance]\ntransform = uptime\nunit = hour\n\n[instance.license]\nmeter = instance\ntransform = uptime\nunit = hour\nservice = license.{os_distro|other}\n';

  it('volume_type is an attribute of volumes; sections reading one meter share its mapping', () => {
    const settings = gnocchi(`${GAUGE}service = volume.size.{volume_type|standard}\n\n${LICENSE}attributes = os_distro\n`, MAPPING);
    expect([...settings.meters.keys()].sort()).toEqual(['instance', 'volume.size']);
  });

  it('an attribute Ceilometer reports but the Gnocchi resource type lacks is a config error unless declared', () => {
    expect(message(() => gnocchi(LICENSE, MAPPING))).toBe(
      `meters.ini [instance.license] names the attribute os_distro, which Gnocchi resources of type instance (${packageFile('config', 'gnocchi.ini')} [instance]) do not have ` +
        '(they have: flavor, flavor_id, flavor_name, image_ref, host, display_name, server_group, availability_zone); fix the name, or, if your resource type has it, declare it in meters.ini with attributes = os_distro',
    );
  });

  it('a resource type of the operator\'s own is not checked: its attributes cannot be known', () => {
    const settings = gnocchi(`${GAUGE}service = volume.size.{volume_type}\n`, '[volume.size]\nresource_type = cinder_volume\nmetric = volume.size\n');
    expect(settings.meters.get('volume.size')?.resourceType).toBe('cinder_volume');
  });

  it('two sections reading one meter with transforms whose samples differ is a config error', () => {
    expect(message(() => gnocchi('[instance]\ntransform = uptime\nunit = hour\n\n[peak]\nmeter = instance\ntransform = max\nunit = vcpu\n', MAPPING)))
      .toMatch(/^meters\.ini \[peak\] \(transform = max\) reads meter instance from Gnocchi, which another section reads with transform = uptime/);
  });
});

describe('bill with a bad meters file: exit 2, one line, no bill', () => {
  it.each([
    ['an unknown attribute in a template', `${GAUGE}service = volume.size.{volume_typ}\n`, /service names the attribute volume_typ/],
    ['an unknown transform', '[vcpus]\ntransform = peak\nunit = vcpu\n', /transform = 'peak' is not valid/],
    ['a bad match expression', '[instance.license]\nmeter = instance\ntransform = uptime\nunit = hour\nmatch = os_type~windows\n', /match = 'os_type~windows' is not valid/],
  ])('%s', async (_what, text, expected) => {
    const d = demo((t) => t.replace(/^meters = .*$/m, 'meters = bad-meters.ini'));
    writeIn(d.dir, 'bad-meters.ini', text);
    const result = await run(['bill', '--config', d.ini, '--tenant', ACME, '--month', '2024-05'], { cwd: d.dir, now: new Date('2024-06-02T00:00:00Z') });
    expect(result.code).toBe(2);
    expect(expectOneLine(result.stderr)).toMatch(expected);
    if (existsSync(d.database)) expect(ledgerBills(d.database)).toEqual([]);
    expect(existsSync(path.join(d.dir, 'out'))).toBe(false);
  });
});
