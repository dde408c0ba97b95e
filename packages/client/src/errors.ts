/** An RFC 9457 problem as the services answer (ARCHITECTURE.md §8), or the SDK's own failure. */
export class RealChatError extends Error {
  override readonly name = 'RealChatError';
  /** The stable upper-snake code (`INVALID_CREDENTIALS`, `NOT_A_MEMBER`, `SIGNED_OUT`, ...). */
  readonly code: string;
  /** The HTTP status, when the error came from a response. */
  readonly status: number | undefined;
  /** The problem's title, a sentence for people (`The password is too weak`), when it had one. */
  readonly title: string | undefined;

  constructor(code: string, message: string, options: { readonly status?: number; readonly title?: string; readonly cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.title = options.title;
  }
}

interface ProblemFields {
  readonly code?: unknown;
  readonly title?: unknown;
  readonly detail?: unknown;
  readonly error?: unknown;
}

/**
 * The error a failed response stands for: its problem's code when it has one. `body` is the
 * problem openapi-fetch already parsed (its `error`): the response's own body is spent by then.
 */
export async function errorOf(response: Response, body?: unknown): Promise<RealChatError> {
  let problem: ProblemFields = typeof body === 'object' && body !== null ? (body as ProblemFields) : {};
  if (body === undefined && !response.bodyUsed) {
    try {
      problem = (await response.clone().json()) as ProblemFields;
    } catch {
      // Not JSON (a proxy's page): the status says enough.
    }
  }
  const code = typeof problem.code === 'string' ? problem.code : typeof problem.error === 'string' ? problem.error.toUpperCase() : `HTTP_${response.status}`;
  const detail = typeof problem.detail === 'string' ? problem.detail : response.statusText;
  return new RealChatError(code, detail, { status: response.status, ...(typeof problem.title === 'string' ? { title: problem.title } : {}) });
}
