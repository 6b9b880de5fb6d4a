/**
 * The resource attributes a meters.ini `service` template or `match` may name (docs/configuration.md,
 * "Services from resource attributes"), per telemetry meter and per Gnocchi resource type, and
 * where each is read in a sample's metadata. A name outside these tables is a config error unless
 * the meter declares it (`attributes = …`): a template must not name what its samples never carry.
 */
import { firstMetadataText } from './metadata.js';
import type { Sample } from '../model/types.js';

const STATE_KEYS = ['status', 'state'];
const FLAVOR_NAME_KEYS = ['flavor.name', 'instance_type'];
const FLAVOR_ID_KEYS = ['flavor.id', 'flavor_id', 'instance_flavor_id'];

/** The state a sample reports, lower-cased, or undefined when it reports none. */
export function stateOf(sample: Sample): string | undefined {
  return firstMetadataText(sample.metadata, STATE_KEYS)?.toLowerCase();
}

/** The flavor name a sample reports (a bare id resolves through `flavorNames`, else `flavor:<id>`). */
export function flavorOf(sample: Sample, flavorNames: Record<string, string> = {}): string | undefined {
  const name = firstMetadataText(sample.metadata, FLAVOR_NAME_KEYS);
  if (name !== undefined) return name;
  const id = firstMetadataText(sample.metadata, FLAVOR_ID_KEYS);
  if (id === undefined) return undefined;
  return Object.hasOwn(flavorNames, id) ? flavorNames[id] : `flavor:${id}`;
}


/**
 * Metadata keys of an attribute, in order of preference. Ceilometer flattens nested metadata
 * (`image_meta.os_type`); Gnocchi copies the resource attributes of the revision in force.
 */
const KEYS: Record<string, readonly string[]> = {
  flavor_id: ['flavor.id', 'flavor_id', 'instance_flavor_id'],
  flavor_name: ['flavor.name', 'flavor_name', 'instance_type'],
  image_ref: ['image_ref', 'image.id', 'image_meta.base_image_ref'],
  os_type: ['os_type', 'image_meta.os_type', 'image.os_type', 'image.properties.os_type', 'properties.os_type'],
  os_distro: ['os_distro', 'image_meta.os_distro', 'image.os_distro', 'image.properties.os_distro', 'properties.os_distro'],
};

const INSTANCE = ['flavor', 'flavor_id', 'flavor_name', 'image_ref', 'os_type', 'os_distro', 'host', 'display_name', 'availability_zone'];

/** What Ceilometer's samples (and a samples file) carry, per meter (resource metadata). */
export const METER_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  instance: INSTANCE,
  vcpus: INSTANCE,
  memory: INSTANCE,
  'volume.size': ['volume_type', 'display_name', 'availability_zone', 'status'],
  'image.size': ['name', 'container_format', 'disk_format'],
  'ip.floating': ['floating_ip_address'],
  'storage.objects.size': [],
  'network.incoming.bytes': ['name', 'instance_id'],
  'network.outgoing.bytes': ['name', 'instance_id'],
};

/**
 * What Gnocchi resources carry, per resource type (as Ceilometer creates them); `flavor` is the
 * flavor name the collector copies from `flavor_name`/`flavor_id`.
 */
export const GNOCCHI_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  instance: ['flavor', 'flavor_id', 'flavor_name', 'image_ref', 'host', 'display_name', 'server_group', 'availability_zone'],
  volume: ['volume_type', 'volume_type_id', 'display_name', 'image_id', 'instance_id'],
  image: ['name', 'container_format', 'disk_format'],
  network: [],
  swift_account: ['storage_policy'],
  instance_network_interface: ['name', 'instance_id'],
  instance_disk: ['name', 'instance_id'],
};

/** The attribute's value in one sample, as non-empty text; `flavor` resolves a bare id through `flavorNames`. */
export function attributeOf(sample: Sample, name: string, flavorNames?: Record<string, string>): string | undefined {
  if (name === 'flavor') return flavorOf(sample, flavorNames);
  return firstMetadataText(sample.metadata, KEYS[name] ?? [name]);
}
