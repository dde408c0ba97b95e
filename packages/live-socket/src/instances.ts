/** What an instance says on its service's instances subject when it starts (`up`) and stops. */
export interface InstanceNews {
  readonly instanceId: string;
  readonly up: boolean;
}

export const instanceNews = (news: InstanceNews): string => JSON.stringify(news);

/**
 * Applies another instance's news to `others` (the instances this one knows to be up). Payloads
 * come from the live channel: anything malformed, and this instance's own news, are ignored.
 */
export function applyInstanceNews(payload: string, selfId: string, others: Set<string>): void {
  let said: unknown;
  try {
    said = JSON.parse(payload);
  } catch {
    return;
  }
  if (typeof said !== 'object' || said === null) return;
  const { instanceId, up } = said as Record<string, unknown>;
  if (typeof instanceId !== 'string' || instanceId === selfId || typeof up !== 'boolean') return;
  if (up) others.add(instanceId);
  else others.delete(instanceId);
}
