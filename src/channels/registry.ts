/**
 * Which Channel serves a connected account: the account's driver (e.g. `demo`)
 * or its network's connector. Connectors register a factory; the registry
 * decrypts credentials and caches one instance per account until it changes.
 */
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
    for (const n of networks) {
      if (n === 'demo') continue;
      try {
        const mod = (await import(`./${n}/index.js`)) as { createChannel?: ChannelFactory };
        if (mod.createChannel) {
          this.register(n, mod.createChannel);
          loaded.push(n);
        }
      } catch (err) {
        // no folder for this network yet; a broken connector (or a missing dependency of one) still fails loudly
        const e = err as NodeJS.ErrnoException;
        if (e.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes(`channels/${n}/index`)) throw err;
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
    const stamp = `${key}|${row.credentials ?? ''}|${row.settings}`;
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
