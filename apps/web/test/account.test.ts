import type { Browser, WebSocket as PageSocket } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { account, axeViolations, launchBrowser, openApp, screenshot, signIn, signUp, startApp, type RunningApp } from './browser.js';

describe('web app: accounts, devices and sign-out (browser)', { timeout: 90_000 }, () => {
  let app: RunningApp;
  let browser: Browser;

  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('serves the app at / under a CSP without inline script, and runs under it', async () => {
    const res = await fetch(`${app.url}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const script = await fetch(`${app.url}${asset}`);
    expect([script.status, script.headers.get('cache-control'), (await script.text()).length > 1000]).toEqual([200, 'public, max-age=31536000, immutable', true]);
    // The API keeps its own paths and rules: no page is served in their place.
    const me = await fetch(`${app.url}/auth/me`);
    expect([me.status, ((await me.json()) as { code?: string }).code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('signs up, signs out, signs in and edits the profile, with no CSP refusal or error and no serious axe violation', async () => {
    const ada = account('Ada Lovelace');
    const { context, page, problems } = await openApp(browser, app);
    await page.getByRole('heading', { name: 'Sign in to RealChat' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'account-sign-in');

    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    // A refused password is explained, and nothing is created.
    await page.getByLabel('Display name').fill(ada.displayName);
    await page.getByLabel('Email').fill(ada.email);
    await page.getByLabel('Password').fill('password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/password/i);
    await screenshot(page, 'account-sign-up-refused');

    await signUp(page, ada);
    await page.getByRole('button', { name: ada.displayName }).click();
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { name: 'Sign in to RealChat' }).waitFor();

    // A wrong password is refused without saying whether the account exists.
    await page.getByLabel('Email').fill(ada.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/invalid/i);
    await signIn(page, ada);

    // A reload restores the session from the refresh cookie: no second sign-in.
    await page.reload();
    await page.getByRole('button', { name: ada.displayName }).waitFor();

    await page.goto('/#/account/profile');
    await page.getByRole('heading', { name: 'Profile', exact: true }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('textbox', { name: 'Display name' }).fill('Countess Ada');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'Countess Ada' }).waitFor();
    await screenshot(page, 'account-profile');

    expect(problems).toEqual([]);
    await context.close();
  });

  it('signing out one device, a password change and "sign out everywhere" each close the other device\'s live socket and send it to sign-in', async () => {
    const grace = account('Grace Hopper');
    await app.register(grace);
    const laptop = await openApp(browser, app);
    const phone = await openApp(browser, app, { width: 390, height: 844 });
    await signIn(laptop.page, grace);
    const sockets: PageSocket[] = [];
    phone.page.on('websocket', (socket) => sockets.push(socket));
    await signIn(phone.page, grace);
    const signedOutElsewhere = async (): Promise<void> => {
      await phone.page.getByRole('heading', { name: 'Sign in to RealChat' }).waitFor({ timeout: 10_000 });
      await expect.poll(() => phone.page.getByText('Your session has ended').count()).toBe(1);
    };

    // The laptop signs the phone out from the devices page.
    await laptop.page.goto('/#/account/devices');
    await laptop.page.getByRole('heading', { name: 'Devices' }).waitFor();
    const devices = laptop.page.getByRole('list', { name: 'Signed-in devices' }).getByRole('listitem');
    await expect.poll(() => devices.count()).toBe(2);
    expect(await axeViolations(laptop.page)).toEqual([]);
    await screenshot(laptop.page, 'account-devices');
    await laptop.page.getByRole('button', { name: 'Sign out Chrome on Linux', exact: true }).click();
    await expect.poll(() => devices.count()).toBe(1);
    await signedOutElsewhere();

    // A password change signs the other devices out, and the new password is the one that works.
    await signIn(phone.page, grace);
    await laptop.page.goto('/#/account/profile');
    await laptop.page.getByLabel('Current password').fill(grace.password);
    await laptop.page.getByLabel('New password').fill('a brand new passphrase');
    await laptop.page.getByRole('button', { name: 'Change password' }).click();
    await laptop.page.getByText('Password changed. Your other devices are signed out.').waitFor();
    await signedOutElsewhere();
    const regrace = { ...grace, password: 'a brand new passphrase' };
    await signIn(phone.page, regrace);

    // "Sign out everywhere" on the laptop closes the phone's live socket.
    const openChat = (): PageSocket | undefined => sockets.find((s) => s.url().endsWith('/chat/ws') && !s.isClosed());
    await expect.poll(() => openChat() !== undefined).toBe(true);
    const chatSocket = openChat();
    const closed = new Promise<void>((resolve) => chatSocket?.on('close', () => resolve()));
    await laptop.page.goto('/#/account/devices');
    await laptop.page.getByRole('button', { name: 'Sign out everywhere' }).last().click();
    await laptop.page.getByRole('heading', { name: 'Sign in to RealChat' }).waitFor();
    await closed;
    await signedOutElsewhere();
    await screenshot(phone.page, 'account-signed-out-elsewhere-phone');
    // And it stays signed out across a reload: the refresh cookie was revoked with the session.
    await phone.page.reload();
    await phone.page.getByRole('heading', { name: 'Sign in to RealChat' }).waitFor();
    expect([...laptop.problems, ...phone.problems]).toEqual([]);
    await Promise.all([laptop.context.close(), phone.context.close()]);
  });
});
