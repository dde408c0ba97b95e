import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, type Notification, type NotificationsLive, type RealChat } from '../src/index.js';
import { client, eventually, signUp, startSystem, type TestSystem } from './harness.js';

describe('live: NotificationsLive against /notifications/ws', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(async () => {
    await system?.close();
  });

  // Backoff and heartbeat on real time (the server's clock is the manual one).
  const realTimeClient = (): RealChat => client(system, { clock: systemClock, random: () => 0.2 });

  it('a comment on a post arrives to its author as notification.new, with the unread count', async () => {
    const [ada, bob] = [realTimeClient(), realTimeClient()];
    await signUp(ada, 'Ada');
    await signUp(bob, 'Bob');
    const live: NotificationsLive = ada.notificationsLive();
    const received: Notification[] = [];
    const unread: number[] = [];
    live.on('notification.new', ({ notification }) => received.push(notification));
    live.on('unread', ({ count }) => unread.push(count));
    try {
      await eventually(() => live.state === 'open');
      const categories = await ada.api.GET('/forum/categories');
      const categoryId = categories.data?.items[0]?.id ?? '';
      const post = await ada.api.POST('/forum/posts', { body: { categoryId, title: 'Tides', body: 'Why two a day?' } });
      const postId = post.data?.id ?? '';
      const comment = await bob.api.POST('/forum/posts/{id}/comments', { params: { path: { id: postId } }, body: { body: 'The moon, mostly.' } });
      expect([post.response.status, comment.response.status]).toEqual([201, 201]);

      await eventually(() => received.length > 0 && unread.includes(1));
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({
        type: 'forum.comment',
        actor: { displayName: 'Bob' },
        target: `/forum/posts/${postId}#comment-${comment.data?.id ?? ''}`,
        preview: 'The moon, mostly.',
        read: false,
        count: 1,
      });
      // The socket's notification is the inbox's.
      const inbox = await ada.api.GET('/notifications');
      expect(inbox.data?.items).toEqual(received);
    } finally {
      live.close();
    }
  });
});
