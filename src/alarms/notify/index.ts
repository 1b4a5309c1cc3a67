export { AlarmNotifier, type AlarmNotifierOptions, type AlarmNotifierStats, type EpisodeView } from './alarm-notifier.js';
export { NOTIFY_MIGRATIONS } from './migrations.js';
export { NotifyStore } from './notify-store.js';
export type { FloodEvent, FloodSiteState } from './flood-detector.js';
export type { OnCallEntry } from './on-call.js';
export type { AlarmInfo } from './types.js';
export { createChannels, type ConfiguredChannel } from '../../notify/channel-factory.js';
