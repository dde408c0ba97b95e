import type { Logger } from '@realchat/logging';
import type { EventConsumer } from '@realchat/runtime';
import type { Draft, OnlineUsers } from '../domain/types.js';
import type { Inbox } from '../inbox/inbox.service.js';
import { InvalidPayloadError, type Source } from './source.js';

/**
 * The durable consumer of one source: each event once (the host's `handleOnce`), its drafts
 * written in that transaction and pushed live after the commit. An event the source cannot read
 * (its payload breaks the contract, or a version it does not know) is parked as a dead letter
 * with an error log line, and the stream goes on.
 */
export function sourceConsumer(source: Source, deps: { readonly inbox: Inbox; readonly online: OnlineUsers; readonly logger: Logger }): EventConsumer {
  const { inbox, online, logger } = deps;
  const reactions = new Map(source.reactions.map((r) => [`${r.type}@${r.version}`, r] as const));
  const consumer = `notifications-${source.name}`;
  return {
    name: source.name,
    types: [...new Set(source.reactions.map((r) => r.type))],
    async handle(event, tx) {
      const reaction = reactions.get(`${event.type}@${event.version}`);
      let drafts: readonly Draft[];
      try {
        if (reaction === undefined) throw new InvalidPayloadError(`no reaction to ${event.type} v${event.version}`);
        drafts = await reaction.drafts(event.data, { online });
      } catch (err) {
        if (!(err instanceof InvalidPayloadError)) throw err;
        await inbox.park(tx, consumer, event, err.message);
        logger.error({ eventId: event.id, type: event.type, version: event.version, consumer, reason: err.message }, 'event parked as a dead letter');
        return;
      }
      const deliveries = await inbox.deliver(tx, event, drafts);
      return () => void inbox.announce(deliveries);
    },
  };
}
