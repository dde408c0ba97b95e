import { defineErrors } from '@realchat/errors';

/** The auth service's own error codes (the generic ones are `@realchat/errors`'). */
export const AuthErrors = defineErrors('auth', {
  WEAK_PASSWORD: { status: 400, title: 'The password is too weak', description: 'The password is too short, too long for bcrypt (72 bytes), too common or contains the email.' },
  INVALID_CREDENTIALS: { status: 401, title: 'Invalid email or password', description: 'The same answer for an unknown email and a wrong password.' },
  CURRENT_PASSWORD_INCORRECT: {
    status: 403,
    title: 'The current password is wrong',
    description: 'A password change needs the current password; the access token is still valid, so this is not a 401.',
  },
  EMAIL_TAKEN: { status: 409, title: 'The email is already registered', description: 'Another account uses this email.' },
});
