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
