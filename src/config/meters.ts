/** config/meters.ini: which meter becomes which usage (docs/configuration.md lists the defaults). */
import { Decimal } from '../model/decimal.js';
import { ConfigError } from '../model/errors.js';
import { US_PER_SECOND } from '../model/time.js';
import type { MeterSpec, TransformName } from '../model/types.js';
import { DEFAULTS, LIMITS } from './defaults.js';
import { isLegacyFlavor, knownAttributes, namedAttributes, parseMatch, parseServiceTemplate, unknownAttribute } from './meters-template.js';
import { readIni, Reader } from './reader.js';

const TRANSFORMS: readonly TransformName[] = ['uptime', 'gauge', 'counter', 'sum', 'max'];
const METER_KEYS = [
  'transform', 'meter', 'service', 'match', 'attributes', 'unit', 'sample_unit', 'divide_by', 'max_gap', 'lookback', 'tracked_states', 'max_volume',
];

/** One section per meter; `defaultMaxGapSeconds` is `[main] max_gap`. */
export function parseMeters(text: string, file: string, defaultMaxGapSeconds: number): MeterSpec[] {
  const sections = readIni(text, file);
  const at = new Reader(file, sections);
  const specs: MeterSpec[] = [];
  for (const [meter, section] of sections) {
    if (meter === '') throw new ConfigError(`${file}: keys before the first [meter] section: ${Object.keys(section).join(', ')}`);
    const unknown = Object.keys(section).filter((key) => !METER_KEYS.includes(key));
    if (unknown.length) throw at.error(meter, unknown[0]!, `is not a meter key; allowed: ${METER_KEYS.join(', ')}`);
    specs.push(Object.freeze(parseMeter(at, meter, defaultMaxGapSeconds)));
  }
  if (specs.length === 0) throw new ConfigError(`${file}: no meters defined; see config/meters.ini for the defaults`);
  return specs;
}

function parseMeter(at: Reader, meter: string, defaultMaxGapSeconds: number): MeterSpec {
  const transform = at.oneOf(meter, 'transform', TRANSFORMS);
  if (!transform) throw at.error(meter, 'transform', `is required: one of ${TRANSFORMS.join(', ')}`);
  const unit = at.string(meter, 'unit');
  if (!unit) throw at.error(meter, 'unit', 'is required: the unit of the quantity, e.g. hour or gigabyte-hour');
  const maxGapSeconds = at.number(meter, 'max_gap', 1, LIMITS.seconds) ?? defaultMaxGapSeconds;
  const lookbackSeconds = at.number(meter, 'lookback', 0, LIMITS.seconds) ?? Math.max(maxGapSeconds, transform === 'counter' ? DEFAULTS.counterLookbackSeconds : 0);
  if (lookbackSeconds < maxGapSeconds) {
    throw at.error(meter, 'lookback', `= ${lookbackSeconds} is shorter than max_gap (${maxGapSeconds} s): the sample holding into the window would not be fetched`);
  }
  const sampleUnit = at.string(meter, 'sample_unit');
  const service = at.string(meter, 'service') ?? (transform === 'uptime' ? 'flavor' : meter);
  return {
    meter,
    transform,
    service,
    ...attributeKeys(at, meter, transform, service),
    unit,
    divideBy: at.decimal(meter, 'divide_by') ?? new Decimal(1),
    ...(sampleUnit !== undefined ? { sampleUnit } : {}),
    maxGapUs: maxGapSeconds * US_PER_SECOND,
    lookbackUs: lookbackSeconds * US_PER_SECOND,
    trackedStates: at.list(meter, 'tracked_states', 'instance state, e.g. active')?.map((state) => state.toLowerCase()) ?? [...DEFAULTS.trackedStates],
    // Up to 1e300: any finite bound is allowed, the point is to have one.
    maxVolume: at.number(meter, 'max_volume', 0, 1e300) ?? DEFAULTS.maxVolume,
  };
}

/** `meter`, `service` as a template and `match`, the attributes they name checked against what the meter carries. */
function attributeKeys(at: Reader, section: string, transform: TransformName, service: string): Pick<MeterSpec, 'serviceParts' | 'telemetryMeter' | 'match' | 'attributes'> {
  const telemetryMeter = at.string(section, 'meter');
  const declared = at.list(section, 'attributes', 'attribute name, e.g. os_distro') ?? [];
  const parse = <T>(key: string, text: string, parser: (text: string) => T): T => {
    try {
      return parser(text);
    } catch (error) {
      throw at.error(section, key, (error as Error).message);
    }
  };
  const serviceParts = parse('service', service, (text) => parseServiceTemplate(text, transform));
  const matchText = at.string(section, 'match');
  const match = matchText === undefined ? [] : parse('match', matchText, parseMatch);
  const read = telemetryMeter ?? section;
  for (const [key, names] of [['service', isLegacyFlavor({ transform, service }) ? [] : namedAttributes(serviceParts, [])], ['match', namedAttributes([], match)]] as const) {
    const unknown = unknownAttribute(names, read, declared);
    if (unknown !== undefined) {
      throw at.error(section, key,
        `names the attribute ${unknown}, which samples of meter ${read} do not carry (they carry: ${knownAttributes(read, declared)}); ` +
        'fix the name, or, if your telemetry does report it, declare it with attributes = ' + unknown);
    }
  }
  return {
    serviceParts,
    ...(telemetryMeter !== undefined ? { telemetryMeter } : {}),
    ...(match.length ? { match } : {}),
    ...(declared.length ? { attributes: declared } : {}),
  };
}
