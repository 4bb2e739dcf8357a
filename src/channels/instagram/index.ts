/** Instagram connector entry point, discovered by the channel registry (src/channels/registry.ts). */
import type { ChannelFactory } from '../types.js';
import { InstagramChannel } from './channel.js';

export const createChannel: ChannelFactory = (account, deps) => new InstagramChannel(account, deps);
export { InstagramChannel };
