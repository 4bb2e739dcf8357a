/** Facebook Pages connector entry point, discovered by the channel registry (src/channels/registry.ts). */
import type { ChannelFactory } from '../types.js';
import { FacebookChannel } from './channel.js';

export const createChannel: ChannelFactory = (account, deps) => new FacebookChannel(account, deps);
export { FacebookChannel };
