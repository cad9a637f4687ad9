import { checkEmail } from '../auth/local/account-fields.js';

/** What is wrong with an email typed into a form, in words for the person, or undefined when it looks right. */
export function emailProblem(email: string): string | undefined {
  if (email === '') return 'Enter your email address.';
  try {
    checkEmail(email);
    return undefined;
  } catch {
    return 'Enter an email address like name@example.com.';
  }
}
