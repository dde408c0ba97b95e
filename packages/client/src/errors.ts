/** An RFC 9457 problem as the services answer (ARCHITECTURE.md §8), or the SDK's own failure. */
export class RealChatError extends Error {
  override readonly name = 'RealChatError';
  /** The stable upper-snake code (`INVALID_CREDENTIALS`, `NOT_A_MEMBER`, `SIGNED_OUT`, ...). */
  readonly code: string;
  /** The HTTP status, when the error came from a response. */
  readonly status: number | undefined;

  constructor(code: string, message: string, options: { readonly status?: number; readonly cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
  }
}

/** The error a failed response stands for: its problem's code when it has one. */
export async function errorOf(response: Response): Promise<RealChatError> {
  let problem: { code?: unknown; detail?: unknown; error?: unknown } = {};
  try {
    problem = (await response.clone().json()) as typeof problem;
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  const code = typeof problem.code === 'string' ? problem.code : typeof problem.error === 'string' ? problem.error.toUpperCase() : `HTTP_${response.status}`;
  const detail = typeof problem.detail === 'string' ? problem.detail : response.statusText;
  return new RealChatError(code, detail, { status: response.status });
}
