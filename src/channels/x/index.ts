/** X connector entry point, discovered by the channel registry (src/channels/registry.ts). */
import type { ChannelFactory } from '../types.js';
import { XChannel } from './channel.js';

export const createChannel: ChannelFactory = (account, deps) => new XChannel(account, deps);
export { XChannel };
