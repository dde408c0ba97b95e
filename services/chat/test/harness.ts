import { connect as connectTo, openSocket as openSocketTo, startTestSystem, type TestSocket, type TestSystem, type TestUser, type Variant } from '@realchat/testkit';
import type { LiveChannel } from '@realchat/bus';
import type { GatewayConfig } from '@realchat/gateway';
import type { ServiceHost } from '@realchat/runtime';
import { chatService, type ChatModule } from '../src/index.js';

export { call, eventually, PASSWORD, signUp, uniqueEmail, variants, type TestSocket, type TestUser, type Variant } from '@realchat/testkit';

export interface ChatHarness extends Omit<TestSystem, 'addInstance'> {
  /** The gateway's `/chat/ws`. */
  readonly wsUrl: string;
  readonly chat: ChatModule;
  /**
   * Another chat instance (chat alone, behind its own gateway) on the same database, bus and
   * store: a second process of distributed mode. `live` replaces its live channel (the caller
   * closes it); closed by `close()` at the latest.
   */
  addInstance(options?: { readonly live?: LiveChannel }): Promise<ChatInstance>;
}

/** A second chat instance of a harness. */
export interface ChatInstance {
  readonly wsUrl: string;
  readonly host: ServiceHost;
  readonly chat: ChatModule;
  close(): Promise<void>;
}

export interface ChatHarnessOptions {
  /** Chat's variables (CHAT_*), as strings, as the environment would give them. */
  readonly env?: Readonly<Record<string, string>>;
  readonly configure?: (config: GatewayConfig) => GatewayConfig;
}

/** Auth and chat hosted in one gateway process, as `npm start` runs them, on the engines of `variant`. */
export async function startChat(variant: Variant, options: ChatHarnessOptions = {}): Promise<ChatHarness> {
  const system = await startTestSystem(variant, {
    name: 'chat',
    services: [chatService],
    ...options,
    eventTypes: ['user.created', 'user.updated', 'session.revoked', 'chat.message.created', 'chat.friend_request.created', 'chat.friend_request.accepted'],
  });
  return {
    ...system,
    wsUrl: `ws://127.0.0.1:${system.port}/chat/ws`,
    chat: system.module<ChatModule>('chat'),
    async addInstance(extra = {}) {
      const instance = await system.addInstance(chatService, { ...extra, relayPollIntervalMs: 20 });
      return { wsUrl: `ws://127.0.0.1:${instance.port}/chat/ws`, host: instance.host, chat: instance.module<ChatModule>('chat'), close: () => instance.close() };
    },
  };
}

/** A socket on the harness's (or an instance's) `/chat/ws`, before `auth`. */
export const openSocket = (h: Pick<ChatHarness, 'wsUrl'>, headers: Record<string, string> = {}): Promise<TestSocket> => openSocketTo(h.wsUrl, headers);

/** A socket that has sent `auth` and received `ready`. */
export const connect = (h: Pick<ChatHarness, 'wsUrl'>, user: Pick<TestUser, 'token'>): Promise<TestSocket> => connectTo(h.wsUrl, user);
