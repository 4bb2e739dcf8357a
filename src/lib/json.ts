/** A stored JSON object (settings columns and the like): `{}` when absent, malformed or not an object. */
export function parseObject(s: string | null | undefined): Record<string, any> {
  if (!s) return {};
  try {
    const v: unknown = JSON.parse(s);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, any>) : {};
  } catch {
    return {};
  }
}
