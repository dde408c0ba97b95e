import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appPathOf, sentenceOf } from '../src/pages/notifications/targets.js';
import { account, apiAs, axeViolations, launchBrowser, openApp, screenshot, signIn, startApp, type RunningApp } from './browser.js';

const badge = (page: Page): Promise<string> => page.getByTestId('bell').innerText();
// The test's tsconfig has no DOM types: the page's document is reached as axeViolations does.
const focusedId = (page: Page): Promise<string> => page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id ?? '');
const postIdOf = (page: Page): string => /\/forum\/posts\/([^?#/]+)/.exec(page.url())?.[1] ?? '';

describe('web app: forum and notifications (browser)', { timeout: 120_000 }, () => {
  const admin = account('Root Admin');
  let app: RunningApp;
  let browser: Browser;
  let asAdmin: Awaited<ReturnType<typeof apiAs>>;

  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp({ admins: [admin] }), launchBrowser()]);
    asAdmin = await apiAs(app, admin);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it("a comment raises the author's badge live; the inbox opens the post at the comment; replies, mentions and search", async () => {
    const ada = account('Ada Lovelace');
    const bob = account('Bob Builder');
    await Promise.all([app.register(ada), app.register(bob)]);
    const biology = await asAdmin<{ id: string }>('POST', '/forum/categories', { name: 'Biology', description: 'Life and what it does' });

    const a = await openApp(browser, app);
    const b = await openApp(browser, app, { width: 390, height: 844 });
    await Promise.all([signIn(a.page, ada), signIn(b.page, bob)]);

    await a.page.goto('/#/forum');
    await a.page.getByRole('link', { name: 'Biology' }).click();
    await a.page.getByRole('heading', { name: 'Biology' }).waitFor();
    expect(await axeViolations(a.page)).toEqual([]);
    await a.page.getByText('New post').click();
    await a.page.getByRole('textbox', { name: 'Title' }).fill('Zebrafish regrow their hearts');
    await a.page.getByRole('textbox', { name: 'Post', exact: true }).fill('First line\nSecond line');
    await a.page.getByRole('button', { name: 'Publish' }).click();
    await a.page.getByRole('heading', { name: 'Zebrafish regrow their hearts' }).waitFor();
    const postId = postIdOf(a.page);
    // Plain text keeps its line breaks (CSS white-space), never turned into markup.
    expect(await a.page.locator('.post .body').innerText()).toBe('First line\nSecond line');
    expect(await badge(a.page)).not.toMatch(/\d/);

    // Bob, on his phone, comments: Ada's bell counts it without a reload.
    await b.page.goto(`/#/forum/categories/${biology.id}`);
    await b.page.getByRole('link', { name: 'Zebrafish regrow their hearts' }).waitFor();
    await screenshot(b.page, 'forum-category-phone');
    await b.page.getByRole('link', { name: 'Zebrafish regrow their hearts' }).click();
    await b.page.getByRole('textbox', { name: 'Your comment' }).fill('Nice post!\n<b>not bold</b>');
    await b.page.getByRole('button', { name: 'Comment', exact: true }).click();
    await b.page.getByText('<b>not bold</b>').waitFor();
    await expect.poll(() => badge(a.page)).toBe('1');
    await screenshot(b.page, 'forum-post-phone');

    await a.page.getByTestId('bell').click();
    await a.page.getByRole('heading', { name: 'Notifications' }).waitFor();
    const item = a.page.getByRole('link', { name: 'Unread: Bob Builder commented on your post' });
    await item.waitFor();
    expect(await axeViolations(a.page)).toEqual([]);
    await screenshot(a.page, 'forum-inbox');
    await item.click();
    await expect.poll(() => focusedId(a.page)).toMatch(/^comment-/);
    expect(postIdOf(a.page)).toBe(postId);
    expect(await a.page.locator(`#${await focusedId(a.page)} .body`).innerText()).toBe('Nice post!\n<b>not bold</b>');
    // Opening it read it: the badge follows the server's unread count.
    await expect.poll(() => badge(a.page)).not.toMatch(/\d/);

    // Bob keeps his inbox open: what Ada does next arrives in it live.
    await b.page.getByTestId('bell').click();
    const inbox = b.page.getByRole('list', { name: 'Notifications' });
    await b.page.getByRole('heading', { name: 'Notifications' }).waitFor();
    await expect.poll(() => b.page.getByText('Loading notifications').count()).toBe(0);

    // Ada replies to Bob (forum.reply) and mentions him in a comment of her own (forum.mention).
    await a.page.getByRole('button', { name: 'Reply to Bob Builder' }).click();
    await a.page.getByRole('textbox', { name: 'Reply to Bob Builder' }).fill('Thank you, Bob.');
    await a.page.getByRole('button', { name: 'Reply', exact: true }).click();
    await a.page.getByRole('list', { name: 'Replies to Bob Builder' }).getByText('Thank you, Bob.').waitFor();
    await a.page.getByRole('textbox', { name: 'Your comment' }).fill('@Bob Builder have a look at the second figure');
    await a.page.getByRole('button', { name: 'Comment', exact: true }).click();
    await a.page.getByText('have a look at the second figure').waitFor();
    expect(await axeViolations(a.page)).toEqual([]);
    await screenshot(a.page, 'forum-post');

    await expect.poll(() => badge(b.page)).toBe('2');
    await inbox.getByRole('link', { name: 'Unread: Ada Lovelace replied to your comment' }).waitFor();
    await inbox.getByRole('link', { name: 'Unread: Ada Lovelace mentioned you' }).waitFor();
    await screenshot(b.page, 'forum-inbox-phone');
    await inbox.getByRole('link', { name: 'Unread: Ada Lovelace mentioned you' }).click();
    await expect.poll(() => focusedId(b.page)).toMatch(/^comment-/);
    expect(await b.page.locator(`#${await focusedId(b.page)}`).innerText()).toContain('have a look at the second figure');
    // The reply hangs under Bob's comment.
    expect(await b.page.getByRole('list', { name: 'Replies to Bob Builder' }).innerText()).toContain('Thank you, Bob.');
    await b.page.getByTestId('bell').click();
    await b.page.getByRole('button', { name: 'Mark all read' }).click();
    await expect.poll(() => badge(b.page)).not.toMatch(/\d/);
    expect(await inbox.getByRole('link', { name: /^Unread/ }).count()).toBe(0);

    // Search finds the post by a word of its title and opens it.
    await a.page.goto('/#/forum');
    await a.page.getByRole('heading', { name: 'Forum' }).waitFor();
    expect(await axeViolations(a.page)).toEqual([]);
    await a.page.getByRole('searchbox', { name: 'Search the forum' }).fill('zebrafish');
    await a.page.keyboard.press('Enter');
    const results = a.page.getByRole('list', { name: 'Search results' });
    await results.getByRole('link', { name: 'Zebrafish regrow their hearts' }).first().waitFor();
    expect(await axeViolations(a.page)).toEqual([]);
    await screenshot(a.page, 'forum-search');
    await results.getByRole('link', { name: 'Zebrafish regrow their hearts' }).first().click();
    await a.page.getByRole('heading', { name: 'Zebrafish regrow their hearts' }).waitFor();
    // A comment's hit opens the post at that comment.
    await a.page.goto('/#/forum/search?q=figure');
    await results.getByRole('listitem').filter({ hasText: 'Comment' }).getByRole('link').click();
    await expect.poll(() => focusedId(a.page)).toMatch(/^comment-/);
    expect(await a.page.locator(`#${await focusedId(a.page)} .body`).innerText()).toContain('the second figure');

    expect([...a.problems, ...b.problems]).toEqual([]);
    await Promise.all([a.context.close(), b.context.close()]);
  });

  it('an ADMIN manages categories, pins, locks and deletes; a STUDENT sees none of these controls', async () => {
    const student = account('Sam Student');
    await app.register(student);
    const asStudent = await apiAs(app, student);

    const root = await openApp(browser, app);
    await signIn(root.page, admin);
    await root.page.goto('/#/forum');
    await root.page.getByText('New category (admin)').click();
    for (const name of ['Announcements', 'Scratch']) {
      await root.page.getByRole('textbox', { name: 'Category name' }).fill(name);
      await root.page.getByRole('button', { name: 'Create category' }).click();
      await root.page.getByRole('link', { name }).waitFor();
    }
    // A refused name is said, in an alert.
    await root.page.getByRole('textbox', { name: 'Category name' }).fill('scratch');
    await root.page.getByRole('button', { name: 'Create category' }).click();
    await expect.poll(() => root.page.getByRole('alert').innerText()).toContain('The category exists');
    await root.page.getByRole('button', { name: 'Rename Announcements' }).click();
    await root.page.getByRole('textbox', { name: 'Name', exact: true }).fill('News');
    await root.page.getByRole('button', { name: 'Save' }).click();
    await root.page.getByRole('link', { name: 'News' }).waitFor();
    await root.page.getByRole('button', { name: 'Delete Scratch' }).click();
    await root.page.getByRole('button', { name: 'Delete category' }).click();
    await expect.poll(() => root.page.getByRole('link', { name: 'Scratch' }).count()).toBe(0);
    expect(await axeViolations(root.page)).toEqual([]);
    await screenshot(root.page, 'forum-admin-categories');

    const categories = await asStudent<{ items: Array<{ id: string; name: string }> }>('GET', '/forum/categories');
    const news = categories.items.find((c) => c.name === 'News');
    expect(news).toBeDefined();
    const older = await asStudent<{ id: string }>('POST', '/forum/posts', { categoryId: news?.id, title: 'Older topic', body: 'Pin me' });
    const newer = await asStudent<{ id: string }>('POST', '/forum/posts', { categoryId: news?.id, title: 'Newer topic', body: 'Lock me' });
    await asStudent('POST', `/forum/posts/${newer.id}/comments`, { body: 'My own comment' });
    await asAdmin('POST', `/forum/posts/${newer.id}/comments`, { body: 'The admin was here' });

    // The student: no admin control anywhere, but edits and deletes what is their own.
    const sam = await openApp(browser, app);
    await signIn(sam.page, student);
    await sam.page.goto('/#/forum');
    await sam.page.getByRole('link', { name: 'News' }).waitFor();
    expect(await sam.page.getByText('New category (admin)').count()).toBe(0);
    expect(await sam.page.getByRole('button', { name: /^(Rename|Delete) / }).count()).toBe(0);
    await sam.page.goto(`/#/forum/posts/${newer.id}`);
    await sam.page.getByText('The admin was here').waitFor();
    expect(await sam.page.getByRole('button', { name: /^(Lock|Unlock|Pin|Unpin)$/ }).count()).toBe(0);
    expect(await sam.page.getByRole('button', { name: 'Delete comment' }).count()).toBe(1);
    expect(await sam.page.getByRole('button', { name: 'Edit', exact: true }).count()).toBe(1);
    await sam.page.getByRole('button', { name: 'Edit', exact: true }).click();
    await sam.page.getByRole('textbox', { name: 'Edit comment' }).fill('My own comment, edited');
    await sam.page.getByRole('form', { name: 'Edit comment' }).getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => sam.page.getByRole('form', { name: 'Edit comment' }).count()).toBe(0);
    await sam.page.locator('.comment .body', { hasText: 'My own comment, edited' }).waitFor();
    await sam.page.getByRole('button', { name: 'Edit post' }).click();
    await sam.page.getByRole('textbox', { name: 'Title' }).fill('Newer topic, retitled');
    await sam.page.getByRole('form', { name: 'Edit post' }).getByRole('button', { name: 'Save' }).click();
    await sam.page.getByRole('heading', { name: 'Newer topic, retitled' }).waitFor();
    expect(await sam.page.getByRole('navigation', { name: 'Breadcrumb' }).innerText()).toContain('News');

    // The admin pins the older post (it goes first), locks the newer one and deletes a comment and a post.
    await root.page.goto(`/#/forum/posts/${older.id}`);
    await root.page.getByRole('button', { name: 'Pin', exact: true }).click();
    await root.page.getByRole('button', { name: 'Unpin' }).waitFor();
    await root.page.goto(`/#/forum/categories/${news?.id}`);
    await root.page.getByRole('heading', { name: 'News' }).waitFor();
    await expect.poll(() => root.page.locator('.post-row').first().innerText()).toMatch(/^Older topic\s*Pinned/);
    expect(await axeViolations(root.page)).toEqual([]);
    await screenshot(root.page, 'forum-category');

    await root.page.getByRole('link', { name: 'Newer topic, retitled' }).click();
    await root.page.getByRole('button', { name: 'Lock', exact: true }).click();
    await root.page.getByText('This post is locked').waitFor();
    expect(await root.page.getByRole('textbox', { name: 'Your comment' }).count()).toBe(0);
    // Found by its id: once deleted, its text is gone.
    const samsId = await root.page.locator('.comment-box', { hasText: 'My own comment, edited' }).getAttribute('id');
    const samsComment = root.page.locator(`#${samsId}`);
    await samsComment.getByRole('button', { name: 'Delete comment' }).click();
    await samsComment.getByRole('button', { name: 'Delete this comment' }).click();
    await samsComment.getByText('This comment was deleted.').waitFor();
    expect(await axeViolations(root.page)).toEqual([]);
    await screenshot(root.page, 'forum-admin-post');

    await sam.page.reload();
    await sam.page.getByText('This post is locked').waitFor();
    // The comments load after the post: the counts below mean something once they are shown.
    await sam.page.getByText('The admin was here').waitFor();
    expect(await sam.page.getByRole('textbox', { name: 'Your comment' }).count()).toBe(0);
    expect(await sam.page.getByRole('button', { name: /^Reply/ }).count()).toBe(0);
    expect(await sam.page.getByText('This comment was deleted.').count()).toBe(1);

    await root.page.getByRole('button', { name: 'Delete post' }).click();
    await root.page.getByRole('button', { name: 'Delete this post' }).click();
    await root.page.getByRole('heading', { name: 'News' }).waitFor();
    await expect.poll(() => root.page.locator('.post-row').count()).toBe(1);
    expect(await root.page.getByRole('link', { name: /^Newer topic/ }).count()).toBe(0);

    expect([...root.problems, ...sam.problems]).toEqual([]);
    await Promise.all([root.context.close(), sam.context.close()]);
  });

  it('posts and comments load by scrolling; a notification opens a comment on a later page', async () => {
    const cleo = account('Cleo Poster');
    const dan = account('Dan Commenter');
    await Promise.all([app.register(cleo), app.register(dan)]);
    const [asCleo, asDan] = await Promise.all([apiAs(app, cleo), apiAs(app, dan)]);
    const category = await asAdmin<{ id: string }>('POST', '/forum/categories', { name: 'Long threads' });
    let post = { id: '' };
    for (let i = 1; i <= 22; i += 1) post = await asCleo<{ id: string }>('POST', '/forum/posts', { categoryId: category.id, title: `Topic ${i}`, body: `Body ${i}` });
    for (let i = 1; i <= 34; i += 1) await asDan('POST', `/forum/posts/${post.id}/comments`, { body: `Comment ${i}` });

    const c = await openApp(browser, app);
    await signIn(c.page, cleo);
    await c.page.goto(`/#/forum/categories/${category.id}`);
    const rows = c.page.locator('.post-row');
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(20);
    await rows.last().scrollIntoViewIfNeeded();
    await c.page.getByRole('button', { name: 'More posts' }).scrollIntoViewIfNeeded().catch(() => undefined);
    await expect.poll(() => rows.count()).toBe(22);

    // Comment 34 is on the second page (30 a page): the inbox link loads it, then scrolls to it.
    await c.page.getByTestId('bell').click();
    const items = c.page.getByRole('list', { name: 'Notifications' }).getByRole('listitem');
    // Newest first (the sign-in from a new device aside).
    await expect.poll(() => items.filter({ hasText: 'Dan Commenter commented on your post' }).first().innerText()).toContain('Comment 34');
    await items.filter({ hasText: 'Comment 34' }).getByRole('link').click();
    await expect.poll(() => focusedId(c.page)).toMatch(/^comment-/);
    expect(await c.page.locator(`#${await focusedId(c.page)} .body`).innerText()).toBe('Comment 34');
    expect(await c.page.locator('.comment').count()).toBe(34);
    // Comments stay oldest first across pages.
    expect(await c.page.locator('.comment .body').first().innerText()).toBe('Comment 1');

    // Muting a type is kept by the server.
    await c.page.getByTestId('bell').click();
    await c.page.getByText('Preferences').click();
    await c.page.getByRole('checkbox', { name: 'Comments on my posts' }).check();
    await c.page.getByText('Saved.').waitFor();
    expect((await asCleo<{ muted: string[] }>('GET', '/notifications/preferences')).muted).toEqual(['forum.comment']);

    expect(c.problems).toEqual([]);
    await c.context.close();
  });
});

describe('notification targets and sentences', () => {
  it("map each service's target to the app's hash route", () => {
    expect(appPathOf('/forum/posts/p1#comment-c2')).toBe('/forum/posts/p1?comment=c2');
    expect(appPathOf('/forum/posts/p1')).toBe('/forum/posts/p1');
    expect(appPathOf('/chat/conversations/k9')).toBe('/chat/k9');
    expect(appPathOf('/chat/friends/requests#r1')).toBe('/chat/friends');
    expect(appPathOf('/chat/friends/u7')).toBe('/chat/friends');
    expect(appPathOf('/auth/sessions/s1')).toBe('/account/devices');
    expect(appPathOf('/somewhere/new')).toBe('/notifications');
  });
  it('say who did what, and how many times for collapsed chat messages', () => {
    expect(sentenceOf({ type: 'forum.reply', actor: { displayName: 'Ada' }, count: 1 })).toBe('Ada replied to your comment');
    expect(sentenceOf({ type: 'chat.message', actor: { displayName: 'Bob' }, count: 3 })).toBe('3 new messages from Bob');
    expect(sentenceOf({ type: 'forum.mention', actor: null, count: 1 })).toBe('Someone mentioned you');
  });
});
