/** A web chat visitor's HTTP calls as the widget makes them: from a page's origin, with its Bearer token. */
export interface WebchatResponse {
  status: number;
  json: any;
  headers: Headers;
}

export function webchatClient(baseUrl: () => string, origin: string) {
  return async function wc(path: string, opts: { method?: string; token?: string; body?: unknown } = {}): Promise<WebchatResponse> {
    const headers: Record<string, string> = { origin };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl()}${path}`, { method: opts.method ?? 'GET', headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null, headers: res.headers };
  };
}
