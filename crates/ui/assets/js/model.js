// The FollowTheMoney model, from /api/2/metadata, loaded once per page load: schema
// labels, inheritance, property labels and types.
import { api } from './api.js';

let loading = null;

export function metadata() {
  if (!loading) loading = api('metadata').catch((e) => { loading = null; throw e; });
  return loading;
}

// Colour family of a schema, a secondary cue always paired with its label.
const FAMILIES = [
  ['Person', '--people'], ['LegalEntity', '--orgs'], ['Document', '--docs'], ['Page', '--docs'],
  ['Interval', '--rel'], ['Payment', '--money'], ['Asset', '--assets'], ['Address', '--places'],
];

export class Model {
  constructor(meta) {
    this.schemata = (meta.model && meta.model.schemata) || {};
    this.types = (meta.model && meta.model.types) || {};
    this.propsCache = new Map();
  }

  schema(name) { return this.schemata[name] || { label: name, plural: name, properties: {}, extends: [] }; }

  label(name) { return this.schema(name).label || name; }

  plural(name) { return this.schema(name).plural || name; }

  // Every ancestor of `name`, itself first.
  ancestors(name) {
    const seen = []; const stack = [name];
    while (stack.length) {
      const s = stack.shift();
      if (seen.includes(s) || !this.schemata[s]) continue;
      seen.push(s);
      stack.push(...(this.schemata[s].extends || []));
    }
    return seen;
  }

  isA(name, parent) { return this.ancestors(name).includes(parent); }

  // All properties of a schema, own and inherited, by name.
  properties(name) {
    if (this.propsCache.has(name)) return this.propsCache.get(name);
    const props = {};
    for (const s of this.ancestors(name).reverse()) Object.assign(props, this.schemata[s].properties || {});
    this.propsCache.set(name, props);
    return props;
  }

  property(schema, prop) { return this.properties(schema)[prop] || { name: prop, label: prop, type: 'string' }; }

  // The properties that name an entity of this schema, in order of preference.
  captionProps(name) {
    for (const s of this.ancestors(name)) if (this.schemata[s].caption) return this.schemata[s].caption;
    return ['name'];
  }

  featured(name) {
    for (const s of this.ancestors(name)) if (this.schemata[s].featured) return this.schemata[s].featured;
    return [];
  }

  colour(name) {
    for (const [parent, v] of FAMILIES) if (this.isA(name, parent)) return `var(${v})`;
    return 'var(--docs)';
  }

  typeLabel(type) { return (this.types[type] && this.types[type].label) || type; }
}

let model = null;
export async function getModel() {
  if (!model) model = new Model(await metadata());
  return model;
}

// The caption of a (possibly nested or bare-id) entity value.
export function caption(entity) {
  if (!entity) return '–';
  if (typeof entity === 'string') return entity;
  if (entity.caption) return entity.caption;
  const p = entity.properties || {};
  const order = model && entity.schema ? model.captionProps(entity.schema) : [];
  for (const k of [...order, 'name', 'title', 'fileName', 'label', 'subject', 'email']) {
    if (p[k] && p[k].length) return String(p[k][0]);
  }
  return entity.id || '–';
}
