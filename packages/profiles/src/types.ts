/** A user as other users see them. */
export interface UserSummary {
  readonly id: string;
  readonly displayName: string;
}
