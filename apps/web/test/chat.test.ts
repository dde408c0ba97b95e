import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { account, apiAs, axeViolations, launchBrowser, openApp, screenshot, signIn, startApp, type RunningApp } from './browser.js';

/** The messages of the open conversation, as a person reads them. */
const messages = (page: Page) => page.getByRole('list', { name: 'Messages' });
const message = (page: Page, text: string) => messages(page).getByRole('listitem').filter({ hasText: text });

type Api = Awaited<ReturnType<typeof apiAs>>;

async function befriend(asA: Api, asB: Api): Promise<void> {
  const request = await asA('POST', '/chat/friends/requests', { userId: (await asB('GET', '/auth/me')).id });
  await asB('POST', `/chat/friends/requests/${request.id}/accept`);
}

describe('web app: chat (browser)', { timeout: 120_000 }, () => {
  let app: RunningApp;
  let browser: Browser;

  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('two people become friends through the UI and chat live: unread counts, typing, delivered and read marks, edit, delete, reactions; axe-clean; phone layout', async () => {
    const ada = account('Ada Lovelace');
    const bob = account('Bob Babbage');
    await Promise.all([app.register(ada), app.register(bob)]);
    const a = await openApp(browser, app);
    const b = await openApp(browser, app);
    await Promise.all([signIn(a.page, ada), signIn(b.page, bob)]);

    // Ada asks Bob by email; Bob accepts.
    await a.page.goto('/#/chat/friends');
    await a.page.getByRole('heading', { name: 'Friends', level: 1 }).waitFor();
    await a.page.getByLabel("Friend's email").fill(bob.email);
    await a.page.getByRole('button', { name: 'Send request' }).click();
    await a.page.getByRole('list', { name: 'Requests you sent' }).getByText(bob.displayName).waitFor();

    await b.page.goto('/#/chat/friends');
    await b.page.getByRole('list', { name: 'Requests for you' }).getByText(ada.displayName).waitFor();
    expect(await axeViolations(b.page)).toEqual([]);
    await screenshot(b.page, 'chat-friends-request');
    await b.page.getByRole('button', { name: `Accept ${ada.displayName}` }).click();
    await b.page.getByRole('list', { name: 'Your friends' }).getByText(ada.displayName).waitFor();
    // Ada's page hears of it (the notification) without a reload.
    await a.page.getByRole('list', { name: 'Your friends' }).getByText(bob.displayName).waitFor();
    // Both online as they became friends: each shows the other online at once, no reload (issue 14).
    const friendRow = (page: Page, name: string) => page.getByRole('list', { name: 'Your friends' }).getByRole('listitem').filter({ hasText: name });
    await expect.poll(() => friendRow(a.page, bob.displayName).textContent()).toContain('Online');
    await expect.poll(() => friendRow(b.page, ada.displayName).textContent()).toContain('Online');
    expect(await axeViolations(a.page)).toEqual([]);
    await screenshot(a.page, 'chat-friends');

    // Ada waits on her (empty) conversation list; Bob opens the direct conversation: it shows up on hers live.
    await a.page.getByRole('link', { name: 'Conversations', exact: true }).click();
    await a.page.getByText('No conversations yet.').waitFor();
    await b.page.getByRole('button', { name: `Message ${ada.displayName}` }).click();
    await b.page.getByRole('heading', { name: ada.displayName, level: 2 }).waitFor();
    const adaList = a.page.getByRole('list', { name: 'Conversations' });
    await adaList.getByRole('link', { name: new RegExp(bob.displayName) }).waitFor();

    // Bob types: Ada sees it in the list (last message, unread count) without opening it.
    await b.page.getByLabel('Message', { exact: true }).fill('Hello Ada, how are the engines?');
    await b.page.getByLabel('Message', { exact: true }).press('Enter');
    await expect.poll(() => adaList.getByRole('link', { name: new RegExp(bob.displayName) }).textContent()).toContain('Hello Ada, how are the engines?');
    await expect.poll(() => adaList.getByRole('link', { name: new RegExp(bob.displayName) }).textContent()).toContain('1 unread');
    expect(await axeViolations(a.page)).toEqual([]);
    await screenshot(a.page, 'chat-conversation-list');
    // Ada's tab has it (delivered) but she has not viewed it (not read).
    await expect.poll(() => message(b.page, 'Hello Ada').textContent()).toContain('Delivered');

    await adaList.getByRole('link', { name: new RegExp(bob.displayName) }).click();
    await message(a.page, 'Hello Ada, how are the engines?').waitFor();
    await expect.poll(() => message(b.page, 'Hello Ada').textContent()).toContain('Read');
    await expect.poll(() => adaList.getByRole('link', { name: new RegExp(bob.displayName) }).textContent()).not.toContain('unread');
    // After a reload the mark is still there: it comes from the conversation (issue 14), not from a frame missed.
    await b.page.reload();
    await expect.poll(() => message(b.page, 'Hello Ada').textContent()).toContain('Read');

    // Typing shows on the other side; the reply arrives live.
    await a.page.getByLabel('Message', { exact: true }).pressSequentially('Splen');
    await b.page.getByText(`${ada.displayName} is typing…`).waitFor();
    await a.page.getByLabel('Message', { exact: true }).pressSequentially('did, Bob');
    await a.page.getByRole('button', { name: 'Send', exact: true }).click();
    await message(b.page, 'Splendid, Bob').waitFor();
    await expect.poll(() => b.page.getByText(`${ada.displayName} is typing…`).count()).toBe(0);
    await expect.poll(() => message(a.page, 'Splendid, Bob').textContent()).toContain('Read');

    // Bob edits his message; Ada sees the new text marked edited.
    await message(b.page, 'Hello Ada').getByRole('button', { name: 'Edit' }).click();
    await b.page.getByLabel('Edit message').fill('Hello Ada, how is the Analytical Engine?');
    await b.page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => message(a.page, 'Analytical Engine').textContent()).toContain('edited');

    // Ada reacts to it; Bob sees the count.
    await message(a.page, 'Analytical Engine').getByRole('button', { name: 'React' }).click();
    await a.page.getByRole('button', { name: 'React with 🎉' }).click();
    await message(b.page, 'Analytical Engine').getByRole('button', { name: '🎉 1' }).waitFor();
    await expect.poll(() => message(a.page, 'Analytical Engine').getByRole('button', { name: '🎉 1' }).getAttribute('aria-pressed')).toBe('true');
    expect(await axeViolations(a.page)).toEqual([]);
    await screenshot(a.page, 'chat-conversation');
    // Ada takes it back.
    await message(a.page, 'Analytical Engine').getByRole('button', { name: '🎉 1' }).click();
    await expect.poll(() => message(b.page, 'Analytical Engine').getByRole('button', { name: '🎉 1' }).count()).toBe(0);

    // Bob deletes it: both see "message deleted".
    await message(b.page, 'Analytical Engine').getByRole('button', { name: 'Delete' }).click();
    await message(a.page, 'message deleted').waitFor();
    await message(b.page, 'message deleted').waitFor();

    // Away from chat (on the forum), Ada's tab still marks what reaches it delivered (not read).
    await a.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Forum' }).click();
    await expect.poll(() => a.page.url()).toContain('#/forum');
    await b.page.getByLabel('Message', { exact: true }).fill('Off to the forum?');
    await b.page.getByLabel('Message', { exact: true }).press('Enter');
    await expect.poll(() => message(b.page, 'Off to the forum?').textContent()).toContain('Delivered');
    expect(await message(b.page, 'Off to the forum?').textContent()).not.toContain('Read');
    await a.page.goBack();
    await message(a.page, 'Off to the forum?').waitFor();
    await expect.poll(() => message(b.page, 'Off to the forum?').textContent()).toContain('Read');

    // At phone size the conversation fills the screen, with a way back to the list.
    await a.page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => adaList.isVisible()).toBe(false);
    expect(await axeViolations(a.page)).toEqual([]);
    await screenshot(a.page, 'chat-conversation-phone');
    await a.page.getByRole('link', { name: '← Back to conversations' }).click();
    await adaList.waitFor();
    await screenshot(a.page, 'chat-conversation-list-phone');
    await a.page.getByRole('link', { name: 'Friends', exact: true }).click();
    await a.page.getByRole('list', { name: 'Your friends' }).waitFor();
    await screenshot(a.page, 'chat-friends-phone');

    expect([...a.problems, ...b.problems]).toEqual([]);
    await Promise.all([a.context.close(), b.context.close()]);
  });

  it('history loads upward; search; groups; decline, cancel and remove; a send refused (blocked) shows a failed state and Retry after the unblock sends it once', async () => {
    const cleo = account('Cleo Codd');
    const dan = account('Dan Dijkstra');
    const eve = account('Eve Engelbart');
    await Promise.all([app.register(cleo), app.register(dan), app.register(eve)]);
    const [asCleo, asDan, asEve] = await Promise.all([apiAs(app, cleo), apiAs(app, dan), apiAs(app, eve)]);
    await befriend(asCleo, asEve);
    await befriend(asCleo, asDan);
    // 45 messages of history, sent over the API.
    const { id } = await asCleo('POST', '/chat/conversations', { type: 'direct', userId: (await asDan('GET', '/auth/me')).id });
    for (let i = 1; i <= 45; i += 1) await asCleo('POST', `/chat/conversations/${id}/messages`, { body: `History line ${i}.`, clientMsgId: `seed-${i}` });
    // A request for Dan to decline.
    await asEve('POST', '/chat/friends/requests', { userId: (await asDan('GET', '/auth/me')).id });
    const c = await openApp(browser, app);
    const d = await openApp(browser, app);
    // What Cleo's page writes on its chat socket: a retry must reuse the failed send's clientMsgId.
    const sends: Array<{ clientMsgId: string; body: string }> = [];
    c.page.on('websocket', (socket) =>
      socket.on('framesent', ({ payload }) => {
        const frame = JSON.parse(payload.toString()) as { type?: string; clientMsgId?: string; body?: string };
        if (frame.type === 'message.send') sends.push({ clientMsgId: frame.clientMsgId ?? '', body: frame.body ?? '' });
      }),
    );
    await Promise.all([signIn(c.page, cleo), signIn(d.page, dan)]);

    // Upward history: the newest page first, older ones as the top scrolls into view.
    await c.page.goto(`/#/chat/${id}`);
    await message(c.page, 'History line 45.').waitFor();
    // Dan is signed in: his presence shows beside his name.
    await expect.poll(() => c.page.getByRole('heading', { level: 2 }).textContent()).toBe(`Online${dan.displayName}`);
    expect(await message(c.page, 'History line 1.').count()).toBe(0);
    await c.page.getByRole('button', { name: 'Load earlier messages' }).scrollIntoViewIfNeeded();
    await message(c.page, 'History line 1.').waitFor();
    await c.page.getByText('The start of the conversation.').waitFor();
    await expect.poll(() => messages(c.page).getByRole('listitem').count()).toBe(45);

    // Search within the conversation.
    await c.page.getByRole('link', { name: 'Search', exact: true }).last().click();
    await c.page.getByLabel('Words to find').fill('line 7');
    await c.page.getByRole('button', { name: 'Search', exact: true }).click();
    await c.page.getByRole('list', { name: 'Results' }).getByText('History line 7.').waitFor();
    expect(await axeViolations(c.page)).toEqual([]);

    // A group of friends: create, Dan sees it live; rename; add Eve; remove Eve; Dan leaves.
    await c.page.goto('/#/chat');
    await c.page.getByRole('button', { name: 'New group' }).click();
    await c.page.getByLabel('Group name').fill('Compilers');
    await c.page.getByRole('checkbox', { name: dan.displayName }).check();
    await c.page.getByRole('button', { name: 'Create group' }).click();
    await c.page.getByRole('heading', { name: 'Compilers', level: 2 }).waitFor();
    await c.page.getByLabel('Message', { exact: true }).fill('Welcome to the group');
    await c.page.getByLabel('Message', { exact: true }).press('Enter');
    await d.page.goto('/#/chat');
    await d.page.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: /Compilers/ }).click();
    await message(d.page, 'Welcome to the group').waitFor();
    await c.page.getByRole('button', { name: 'Group details' }).click();
    await c.page.getByRole('textbox', { name: 'Group name' }).fill('Compilers club');
    await c.page.getByRole('button', { name: 'Rename' }).click();
    await d.page.getByRole('heading', { name: 'Compilers club', level: 2 }).waitFor();
    await c.page.getByLabel('Add a friend').selectOption({ label: eve.displayName });
    await c.page.getByRole('button', { name: 'Add', exact: true }).click();
    await c.page.getByRole('list', { name: 'Members' }).getByText(eve.displayName).waitFor();
    // Read means read by every other member: Dan has the group open, Eve (just added, not signed in) has not read this.
    await c.page.getByLabel('Message', { exact: true }).fill('Eve joins us');
    await c.page.getByLabel('Message', { exact: true }).press('Enter');
    await message(d.page, 'Eve joins us').waitFor();
    await expect.poll(() => message(c.page, 'Eve joins us').textContent()).toContain('Read by 1 of 2');
    expect(await axeViolations(c.page)).toEqual([]);
    await screenshot(c.page, 'chat-group-details');
    await c.page.getByRole('button', { name: `Remove ${eve.displayName}` }).click();
    await expect.poll(() => c.page.getByRole('list', { name: 'Members' }).getByText(eve.displayName).count()).toBe(0);
    await d.page.getByRole('button', { name: 'Group details' }).click();
    await d.page.getByRole('button', { name: 'Leave group' }).click();
    await expect.poll(() => d.page.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: /Compilers/ }).count()).toBe(0);
    await expect.poll(() => c.page.getByRole('list', { name: 'Members' }).getByText(dan.displayName).count()).toBe(0);

    // Dan declines Eve's request, sends one to her by email and takes it back.
    await d.page.goto('/#/chat/friends');
    await d.page.getByRole('button', { name: `Decline ${eve.displayName}` }).click();
    await d.page.getByText('No requests waiting.').waitFor();
    await d.page.getByLabel("Friend's email").fill(eve.email);
    await d.page.getByRole('button', { name: 'Send request' }).click();
    await d.page.getByRole('button', { name: `Cancel request to ${eve.displayName}` }).click();
    await expect.poll(() => d.page.getByRole('list', { name: 'Requests you sent' }).count()).toBe(0);

    // Dan blocks Cleo (which ends their friendship): her message fails clearly; after the unblock, Retry sends it (once).
    await c.page.goto(`/#/chat/${id}`);
    await d.page.getByRole('button', { name: `Block ${cleo.displayName}` }).click();
    await d.page.getByRole('list', { name: 'Blocked people' }).getByText(cleo.displayName).waitFor();
    await c.page.getByLabel('Message', { exact: true }).fill('Are you there, Dan?');
    await c.page.getByRole('button', { name: 'Send', exact: true }).click();
    const failed = message(c.page, 'Are you there, Dan?');
    await expect.poll(() => failed.getByRole('alert').textContent()).toMatch(/Not sent: one of you has blocked the other/);
    await screenshot(c.page, 'chat-send-failed');
    await d.page.getByRole('button', { name: `Unblock ${cleo.displayName}` }).click();
    await expect.poll(() => d.page.getByRole('list', { name: 'Blocked people' }).count()).toBe(0);
    await expect.poll(() => d.page.getByRole('list', { name: 'Your friends' }).getByText(cleo.displayName).count()).toBe(0);
    await failed.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => failed.getByRole('alert').count()).toBe(0);
    await expect.poll(() => failed.textContent()).toMatch(/ · (Sent|Delivered|Read)/);
    await d.page.goto(`/#/chat/${id}`);
    await message(d.page, 'Are you there, Dan?').waitFor();
    expect(await message(d.page, 'Are you there, Dan?').count()).toBe(1);
    const tries = sends.filter((f) => f.body === 'Are you there, Dan?');
    expect(tries.length).toBe(2);
    expect(tries[1]?.clientMsgId).toBe(tries[0]?.clientMsgId);

    // Cleo removes Eve from her friends.
    await c.page.goto('/#/chat/friends');
    await c.page.getByRole('button', { name: `Remove ${eve.displayName}` }).click();
    await expect.poll(() => c.page.getByRole('list', { name: 'Your friends' }).getByText(eve.displayName).count()).toBe(0);

    expect([...c.problems, ...d.problems]).toEqual([]);
    await Promise.all([c.context.close(), d.context.close()]);
  });
});
