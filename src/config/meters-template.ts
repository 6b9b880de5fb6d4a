/**
 * meters.ini `service` templates and `match` conditions (docs/configuration.md, "Services from
 * resource attributes"), parsed and checked against the attributes the meter's samples carry.
 * Each function throws a plain Error whose message meters.ts prefixes with file, section and key.
 */
import { METER_ATTRIBUTES } from '../usage/attributes.js';
import type { MatchCondition, ServicePart, TransformName } from '../model/types.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;
/** A fallback becomes part of a service name: no braces, bars, commas or spaces. */
const FALLBACK = /^[^{}|,\s]+$/;

/**
 * uptime's `service = flavor` (the default): the legacy spelling of `{flavor|unknown}`, which
 * any uptime meter may use, as before templates existed (its attribute is not checked).
 */
export function isLegacyFlavor(spec: { transform: TransformName; service: string }): boolean {
  return spec.transform === 'uptime' && spec.service === 'flavor';
}

/** `volume.size.{volume_type|standard}` → parts; uptime's legacy `flavor` is `{flavor|unknown}`. */
export function parseServiceTemplate(text: string, transform: TransformName): ServicePart[] {
  if (isLegacyFlavor({ transform, service: text })) return [{ kind: 'attribute', name: 'flavor', fallback: 'unknown' }];
  const parts: ServicePart[] = [];
  let rest = text;
  while (rest !== '') {
    const open = rest.indexOf('{');
    const close = rest.indexOf('}');
    if (open < 0 && close < 0) {
      parts.push({ kind: 'text', text: rest });
      break;
    }
    if (close >= 0 && (open < 0 || close < open)) throw new Error(`= '${text}' has a '}' without its '{'`);
    if (open > 0) parts.push({ kind: 'text', text: rest.slice(0, open) });
    const end = rest.indexOf('}', open);
    if (end < 0) throw new Error(`= '${text}' has a '{' without its '}'`);
    parts.push(placeholder(rest.slice(open + 1, end), text));
    rest = rest.slice(end + 1);
  }
  return parts;
}

function placeholder(inside: string, text: string): ServicePart {
  const bar = inside.indexOf('|');
  const name = (bar < 0 ? inside : inside.slice(0, bar)).trim();
  if (!NAME.test(name)) throw new Error(`= '${text}': '{${inside}}' must name an attribute, e.g. {volume_type} or {volume_type|standard}`);
  if (bar < 0) return { kind: 'attribute', name };
  const fallback = inside.slice(bar + 1).trim();
  if (!FALLBACK.test(fallback)) throw new Error(`= '${text}': the fallback of {${name}|…} must be a non-empty name without spaces, braces, '|' or ','`);
  return { kind: 'attribute', name, fallback };
}

/** `os_type=windows|win, os_distro!=debian` → conditions (all must hold; values compared case-insensitively). */
export function parseMatch(text: string): MatchCondition[] {
  return text.split(',').map((item) => {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_.:-]*)\s*(!=|=)\s*([^=!]+?)\s*$/.exec(item);
    const values = m?.[3]?.split('|').map((v) => v.trim().toLowerCase());
    if (!m || !values || values.some((v) => v === '')) {
      throw new Error(`= '${text}' is not valid: '${item.trim()}' must be attribute=value or attribute!=value (alternatives with |), conditions separated by commas, e.g. os_type=windows`);
    }
    return { attribute: m[1]!, negate: m[2] === '!=', values };
  });
}

/** The attributes a spec's template and conditions name, each once (none for the legacy `flavor`). */
export function specAttributes(spec: { transform: TransformName; service: string; serviceParts?: readonly ServicePart[]; match?: readonly MatchCondition[] }): string[] {
  return namedAttributes(isLegacyFlavor(spec) ? [] : (spec.serviceParts ?? []), spec.match ?? []);
}

/** The attributes parts and conditions name, each once. */
export function namedAttributes(parts: readonly ServicePart[], match: readonly MatchCondition[]): string[] {
  const names = [...parts.flatMap((p) => (p.kind === 'attribute' ? [p.name] : [])), ...match.map((c) => c.attribute)];
  return [...new Set(names)];
}

/**
 * The first attribute that the meter's samples cannot carry: neither in the table of what
 * Ceilometer reports for the meter nor declared by the section's `attributes`.
 */
export function unknownAttribute(names: readonly string[], telemetryMeter: string, declared: readonly string[]): string | undefined {
  const known = new Set([...(METER_ATTRIBUTES[telemetryMeter] ?? []), ...declared]);
  return names.find((name) => !known.has(name));
}

/** What the meter carries, for the error message. */
export function knownAttributes(telemetryMeter: string, declared: readonly string[]): string {
  const known = [...new Set([...(METER_ATTRIBUTES[telemetryMeter] ?? []), ...declared])];
  return known.length ? known.join(', ') : 'none';
}

type TemplateSpec = { transform: TransformName; service: string; serviceParts?: readonly ServicePart[] };

function partsOf(spec: TemplateSpec): readonly ServicePart[] {
  return spec.serviceParts ?? parseServiceTemplate(spec.service, spec.transform);
}

/** A service that is the flavor name alone (`flavor`, `{flavor}`, `{flavor|x}`): priced per flavor. */
export function isFlavorService(spec: TemplateSpec): boolean {
  const parts = partsOf(spec);
  return parts.length === 1 && parts[0]!.kind === 'attribute' && parts[0]!.name === 'flavor';
}

/**
 * The services a spec can bill, as far as can be known before samples: its text when it names no
 * attribute, the name its fallbacks alone give, and those of `candidates` (a price list's
 * services) that the template matches. What `check` asks the adapter to price.
 */
export function templateServices(spec: TemplateSpec, candidates: readonly string[]): string[] {
  const parts = partsOf(spec);
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^${parts.map((p) => (p.kind === 'text' ? escape(p.text) : '(.+)')).join('')}$`);
  const services = candidates.filter((service) => pattern.test(service));
  if (parts.every((p) => p.kind === 'text' || p.fallback !== undefined)) {
    services.unshift(parts.map((p) => (p.kind === 'text' ? p.text : p.fallback)).join(''));
  }
  return [...new Set(services)];
}
