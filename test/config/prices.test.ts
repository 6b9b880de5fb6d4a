/** [price_groups], [discounts], [minimums] of artifice.ini (src/config/prices.ts, docs/prices.md). */
import { parseConfig } from '../../src/config.js';
import { ConfigError } from '../../src/model/errors.js';
import { tenantPrices } from '../../src/pricing/tenant.js';

const FILE = '/etc/artifice/artifice.ini';
const BASE = '[main]\ninvoice:object = csv\n\n[telemetry]\nbackend = file\nfile = s.ndjson\n';

function prices(text: string) {
  return parseConfig(`${BASE}\n${text}`, FILE).prices;
}

function configError(text: string): string {
  try {
    prices(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('tenant price lists', () => {
  const list = prices('[price_groups]\npartners = acme, p-2\n\n[discounts]\ngroup:partners = 10%\nacme = 12.5\n\n[minimums]\ngroup:partners = 25\n');

  it('reads groups, percentages (with or without %) and minimums', () => {
    expect(list.groups).toEqual({ partners: ['acme', 'p-2'] });
    expect(Object.fromEntries(Object.entries(list.discounts).map(([k, v]) => [k, v.toFixed()]))).toEqual({ 'group:partners': '10', acme: '12.5' });
    expect(list.minimums['group:partners']!.toFixed()).toBe('25');
  });

  it('a tenant\'s own entry wins over its group\'s; a tenant in no group has neither', () => {
    const acme = tenantPrices(list, { id: 'p-1', name: 'acme' });
    expect([acme.group, acme.discount?.percent.toFixed(), acme.discount?.label, acme.minimum?.label]).toEqual(['partners', '12.5', 'acme', 'partners']);
    const other = tenantPrices(list, { id: 'p-2' });
    expect([other.group, other.discount?.percent.toFixed(), other.discount?.label]).toEqual(['partners', '10', 'partners']);
    expect(tenantPrices(list, { id: 'p-3', name: 'nobody' })).toEqual({});
  });

  it('a minimum as precise as [main] currency_digits allows is read', () => {
    expect(prices('[minimums]\nacme = 10.50').minimums.acme!.toFixed()).toBe('10.5');
    const threeDigits = BASE.replace('[telemetry]', 'currency_digits = 3\n\n[telemetry]');
    expect(parseConfig(`${threeDigits}\n[minimums]\nacme = 10.005\n`, FILE).prices.minimums.acme!.toFixed()).toBe('10.005');
  });

  it('without the sections: no groups, no discounts, no minimums', () => {
    expect(prices('')).toEqual({ groups: {}, discounts: {}, minimums: {} });
  });

  it.each([
    ['a discount above 100 %', '[discounts]\nacme = 100.5', "[discounts] acme = '100.5' is not valid: use a percentage from 0 to 100"],
    ['a negative discount', '[discounts]\nacme = -1%', "[discounts] acme = '-1%' is not valid"],
    ['a discount that is no number', '[discounts]\nacme = ten', "[discounts] acme = 'ten' is not valid"],
    ['a negative minimum', '[minimums]\nacme = -0.01', "[minimums] acme = '-0.01' is not valid: use an amount ≥ 0"],
    ['a minimum with more decimals than the currency', '[minimums]\nacme = 10.005', "[minimums] acme = '10.005' is not valid: use an amount ≥ 0 in [main] currency with at most 2 decimals ([main] currency_digits), such as 25 or 9.90"],
    ['a minimum in exponent notation', '[minimums]\nacme = 1e1', "[minimums] acme = '1e1' is not valid"],
    ['a discount in exponent notation', '[discounts]\nacme = 1e1', "[discounts] acme = '1e1' is not valid: use a percentage from 0 to 100"],
    ['a discount with a sign', '[discounts]\nacme = +5', "[discounts] acme = '+5' is not valid"],
    ['a discount with a bare point', '[discounts]\nacme = .5', "[discounts] acme = '.5' is not valid"],
    ['an unknown group', '[price_groups]\npartners = acme\n[minimums]\ngroup:vip = 5', '[minimums] group:vip names group vip, which [price_groups] does not define (its groups: partners)'],
    ['a tenant in two groups', '[price_groups]\na = acme\nb = x, acme', '[price_groups] b lists acme, which group a lists too'],
    ['an empty group', '[price_groups]\na = ,', '[price_groups] a = \',\' must name at least one tenant id or name'],
  ])('%s is a one-line config error naming the key', (_what, text, message) => {
    const error = configError(text);
    expect(error).toContain(`${FILE} ${message}`);
    expect(error).not.toContain('\n');
  });
});
