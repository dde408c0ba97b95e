/** Exponential backoff: `base`, `2·base`, `4·base`... capped at `max`, for the attempt numbered from 1. */
export function backoffDelay(attempt: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.max(0, attempt - 1));
}
