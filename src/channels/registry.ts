/**
 * Which Channel serves a connected account: the account's driver (e.g. `demo`)
 * or its network's connector. Connectors register a factory; the registry
 * decrypts credentials and caches one instance per account until it changes
 * (handle, settings or credentials: see the stamp in `forAccount`).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { SecretBox } from '../lib/secrets.js';
import type { Store } from '../store/db.js';
import type { ChannelAccount } from '../store/schema.js';
import { DemoChannel } from './demo/index.js';
import type { Channel, ChannelAccountConfig, ChannelDeps, ChannelFactory } from './types.js';

export class ChannelRegistry {
  private readonly factories = new Map<string, ChannelFactory>();
  private readonly instances = new Map<number, { stamp: string; channel: Channel }>();

  constructor(private readonly store: Store, private readonly secrets: SecretBox, private readonly deps: ChannelDeps) {
    this.register('demo', (account) => new DemoChannel(account, store, deps.now));
  }

  /**
   * Load the connectors shipped in src/channels/<network>/index.ts (each exports
   * `createChannel`). A network without a folder yet simply has no connector.
   */
  async loadBuiltIns(networks: readonly string[]): Promise<string[]> {
    const loaded: string[] = [];
    const here = dirname(fileURLToPath(import.meta.url));
    for (const n of networks) {
      if (n === 'demo') continue;
      // no folder for this network yet: no connector (a broken one still fails loudly below)
      const file = ['index.ts', 'index.js'].map((f) => join(here, n, f)).find((f) => existsSync(f));
      if (!file) continue;
      const mod = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as { createChannel?: ChannelFactory };
      if (mod.createChannel) {
        this.register(n, mod.createChannel);
        loaded.push(n);
      }
    }
    return loaded;
  }

  register(driverOrNetwork: string, factory: ChannelFactory): void {
    this.factories.set(driverOrNetwork, factory);
  }

  has(driverOrNetwork: string): boolean {
    return this.factories.has(driverOrNetwork);
  }

  /** The channel for an account, or null when no connector is installed for it. */
  forAccount(row: ChannelAccount): Channel | null {
    const key = row.driver ?? row.network;
    // anything the connector is built from: an admin's edit of any of it gives a new instance
    const stamp = `${key}|${row.handle}|${row.external_id}|${row.credentials ?? ''}|${row.settings}`;
    const cached = this.instances.get(row.id);
    if (cached && cached.stamp === stamp) return cached.channel;
    const factory = this.factories.get(key);
    if (!factory) return null;
    const config: ChannelAccountConfig = {
      id: row.id,
      brandId: row.brand_id,
      network: row.network as ChannelAccountConfig['network'],
      handle: row.handle,
      externalId: row.external_id,
      settings: safeJson(row.settings),
      credentials: row.credentials ? this.secrets.open(row.credentials) : {},
    };
    const channel = factory(config, this.deps);
    void cached?.channel.close?.();
    this.instances.set(row.id, { stamp, channel });
    return channel;
  }

  async closeAll(): Promise<void> {
    for (const { channel } of this.instances.values()) await channel.close?.();
    this.instances.clear();
  }
}

function safeJson(s: string): Record<string, unknown> {
  try {
    return JSON.parse(s) as Record<string, unknown>;
  } catch {
    return {};
  }
}
