/** The routes a Parley server registered, for the sweeps that must cover every one (tenant isolation, hostile input). */

export interface Route { method: string; url: string }

/**
 * Every route Fastify registered: its printed radix tree (`app.printRoutes({ commonPrefix: false })`),
 * joined back into whole paths. The tree prints a wildcard route as a bare `*` (the UI's files;
 * the web chat's CORS preflight is not printed at all), so `*` is classified like any other
 * route. HEAD (Fastify's twin of every GET) is left out.
 */
export function registeredRoutes(tree: string): Route[] {
  const out: Route[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = [...m[1]!].length / 4;
    stack.length = depth;
    stack[depth] = m[2]!;
    const url = stack.join('');
    for (const method of m[3]?.split(', ') ?? []) if (method !== 'HEAD') out.push({ method, url });
  }
  return out;
}

/** A route as the sweeps name it: `GET /api/x/:id`. */
export const routeKey = (r: Route) => `${r.method} ${r.url}`;
