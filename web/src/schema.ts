// JSON Schema as the property panel shows it: pydantic's `X | None` (anyOf with null) becomes
// plain X, so the form shows one field instead of a choice between "X" and "null".
type Schema = Record<string, unknown>;

function isNull(branch: unknown): boolean {
  return typeof branch === "object" && branch !== null && (branch as Schema).type === "null";
}

export function simplify(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(simplify);
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema as Schema)) {
    // "properties" and "$defs" are maps of names to schemas, not schemas themselves
    out[key] =
      key === "properties" || key === "$defs"
        ? Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, simplify(v)]))
        : key === "default" || key === "examples" || key === "enum" || key === "const"
          ? value
          : simplify(value);
  }
  const anyOf = out.anyOf;
  if (Array.isArray(anyOf) && anyOf.some(isNull)) {
    const rest = anyOf.filter((branch) => !isNull(branch));
    if (rest.length === 1) {
      const { anyOf: _dropped, ...own } = out;
      return { ...(rest[0] as Schema), ...own };
    }
    out.anyOf = rest;
  }
  return out;
}

/** Deep equality of JSON values (key order aside). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a).filter((k) => (a as Schema)[k] !== undefined);
  const keysB = Object.keys(b).filter((k) => (b as Schema)[k] !== undefined);
  return (
    keysA.length === keysB.length &&
    keysA.every((k) => sameJson((a as Schema)[k], (b as Schema)[k]))
  );
}

function isObject(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `schema` with a `$ref` into the root's `$defs` (or a lone `allOf` around one) followed. */
function resolve(schema: unknown, root: Schema): Schema | undefined {
  let current = isObject(schema) ? schema : undefined;
  for (let hops = 0; current && hops < 20; hops++) {
    const { $ref, allOf, ...own } = current;
    if (Array.isArray(allOf) && allOf.length === 1 && $ref === undefined) {
      current = { ...(allOf[0] as Schema), ...own };
    } else if (typeof $ref === "string" && $ref.startsWith("#/$defs/")) {
      const defs = isObject(root.$defs) ? root.$defs : {};
      const found = defs[$ref.slice("#/$defs/".length)];
      current = isObject(found) ? { ...found, ...own } : undefined;
    } else {
      return current;
    }
  }
  return current;
}

/** The schemas a union (anyOf/oneOf, nested) may take, references followed. */
function leaves(schema: Schema, root: Schema, depth = 0): Schema[] {
  const branches = schema.anyOf ?? schema.oneOf;
  if (!Array.isArray(branches) || depth > 10) return [schema];
  return branches.flatMap((branch) => {
    const own = resolve(branch, root);
    return own ? leaves(own, root, depth + 1) : [];
  });
}

/** Whether the object `value` can be of the object schema `branch`: it has no key the branch
 * lacks and matches each of its constants (a discriminated union's tag). */
function fits(value: Schema, branch: Schema, root: Schema): boolean {
  const properties = isObject(branch.properties) ? branch.properties : undefined;
  if (!properties) return false;
  return (
    Object.keys(value).every((key) => key in properties) &&
    Object.entries(properties).every(([key, field]) => {
      const own = resolve(field, root);
      const tag = own && ("const" in own ? own.const : Array.isArray(own.enum) && own.enum.length === 1 ? own.enum[0] : undefined);
      return tag === undefined || !(key in value) || sameJson(value[key], tag);
    })
  );
}

/** The form's data as the node keeps it: a value the form filled in with its schema's
 * default (at any depth; an empty list for a list without one) stays out of the document, so it keeps following the engine's
 * default, unless the node had it before; undefined values are dropped. */
export function pruneDefaults(next: unknown, before: unknown, schema: unknown, root: Schema): unknown {
  const own = resolve(schema, root);
  if (Array.isArray(next)) {
    return next.map((item, i) =>
      pruneDefaults(item, Array.isArray(before) ? before[i] : undefined, own?.items, root),
    );
  }
  if (!isObject(next)) return next;
  if (own && (own.anyOf || own.oneOf)) {
    const branch = leaves(own, root).find((b) => fits(next, b, root));
    return branch ? pruneDefaults(next, before, branch, root) : next;
  }
  const properties = isObject(own?.properties) ? own.properties : {};
  const previous = isObject(before) ? before : {};
  const out: Schema = {};
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined) continue;
    const field = resolve(properties[key], root);
    // a list without a default in the schema has one made by a factory: the empty list
    const fallback = field && "default" in field ? field.default : field?.type === "array" ? [] : undefined;
    if (!(key in previous) && fallback !== undefined && sameJson(value, fallback)) continue;
    out[key] = pruneDefaults(value, previous[key], field, root);
  }
  return out;
}
