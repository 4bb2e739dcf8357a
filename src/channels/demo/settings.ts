/** The demo network reads no settings or credentials of its own (it replays in-process). */
import type { ChannelSettingsSpec } from '../settingFields.js';

export const settingsSpec: ChannelSettingsSpec = { settings: {}, credentials: [] };
