import type { LiveChannel } from '@realchat/bus';
import { LiveHub, type LocalSocket as HubSocket } from '@realchat/live-socket';
import type { Logger } from '@realchat/logging';
import type { LiveFrame } from '../domain/types.js';

/** A chat socket of this instance, as the hub hands it frames. */
export type LocalSocket = HubSocket<LiveFrame>;

/** Chat's fan-out between instances, on one subject of the live channel. */
export class Hub extends LiveHub<LiveFrame> {
  constructor(channel: LiveChannel, logger: Logger) {
    super(channel, logger, 'chat.frames');
  }
}
