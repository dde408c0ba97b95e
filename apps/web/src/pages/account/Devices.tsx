import { useCallback, useEffect, useState, type ReactNode } from 'react';
import type { api } from '@realchat/client';
import { useSession } from '../../app/session.js';
import { messageOf, rc, unwrap } from '../../lib/api.js';

type Device = api.paths['/auth/sessions']['get']['responses'][200]['content']['application/json']['items'][number];

const when = (iso: string): string => new Date(iso).toLocaleString();

/** A browser's name from its user agent, in words a person recognises. */
function deviceName(userAgent: string | null): string {
  if (userAgent === null || userAgent === '') return 'Unknown device';
  const browser = /Edg\//.test(userAgent) ? 'Edge' : /Firefox\//.test(userAgent) ? 'Firefox' : /Chrom(e|ium)\//.test(userAgent) ? 'Chrome' : /Safari\//.test(userAgent) ? 'Safari' : 'Browser';
  const os = /Android/.test(userAgent) ? 'Android' : /iPhone|iPad/.test(userAgent) ? 'iOS' : /Windows/.test(userAgent) ? 'Windows' : /Mac OS X/.test(userAgent) ? 'macOS' : /Linux/.test(userAgent) ? 'Linux' : '';
  return os === '' ? browser : `${browser} on ${os}`;
}

export function Devices(): ReactNode {
  const { signOutEverywhere } = useSession();
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async (): Promise<void> => {
    const all: Device[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Device[]; nextCursor: string | null } = await unwrap(rc.api.GET('/auth/sessions', { params: { query: { limit: 100, ...(cursor === null ? {} : { cursor }) } } }));
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    setDevices(all);
  }, []);
  useEffect(() => {
    load().catch((err: unknown) => setError(messageOf(err)));
  }, [load]);
  const revoke = async (device: Device): Promise<void> => {
    setError(null);
    try {
      await unwrap(rc.api.DELETE('/auth/sessions/{id}', { params: { path: { id: device.id } } }));
      // Revoking this device's own session signs this tab out (the session's events take it to sign-in).
      if (!device.current) await load();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <div className="page narrow">
      <h1>Devices</h1>
      <p className="muted">Where your account is signed in. Signing a device out ends its session at once.</p>
      {error !== null && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {devices === null ? (
        <p aria-busy="true">Loading devices…</p>
      ) : (
        <ul className="list devices" aria-label="Signed-in devices">
          {devices.map((device) => (
            <li key={device.id} className="list-row">
              <div>
                <p className="strong">
                  {deviceName(device.userAgent)} {device.current && <span className="tag">This device</span>}
                </p>
                <p className="muted small">
                  Signed in {when(device.createdAt)} · last active {when(device.lastUsedAt)}
                </p>
              </div>
              <button type="button" className="secondary" onClick={() => void revoke(device)} aria-label={`Sign out ${deviceName(device.userAgent)}${device.current ? ' (this device)' : ''}`}>
                Sign out
              </button>
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="danger" onClick={() => void signOutEverywhere().catch((err: unknown) => setError(messageOf(err)))}>
        Sign out everywhere
      </button>
    </div>
  );
}
