// Signing a user in through the admin app's login page, as a person would: the first sign-in with a one-time
// password (forced password change, TOTP enrolment, backup codes), and later sign-ins with password and TOTP.

import { totp, totpParams } from "./totp.mjs";

/**
 * The first sign-in of a user whose password was set for them. Ends on the page the app lands on; returns the TOTP
 * secret and its parameters for later sign-ins.
 */
export async function firstSignIn(page, baseUrl, { username, password, newPassword }) {
  await page.goto(`${baseUrl}/login`);
  await page.getByTestId("login-username").fill(username);
  await page.getByTestId("login-password").fill(password);
  await page.getByTestId("login-submit").click();

  await page.getByTestId("login-step-change_password").waitFor();
  await page.getByTestId("new-password").fill(newPassword);
  await page.getByTestId("new-password-repeat").fill(newPassword);
  await page.getByTestId("new-password-submit").click();

  await page.getByTestId("login-step-enrol_totp").waitFor();
  const secret = await page.getByTestId("totp-secret").getAttribute("data-secret");
  const options = totpParams(await page.getByTestId("totp-uri").getAttribute("href"));
  await page.getByTestId("totp-code").fill(totp(secret, Date.now() / 1000, options));
  await page.getByTestId("totp-confirm").click();

  await page.getByTestId("backup-codes").locator("li").first().waitFor();
  await page.getByTestId("backup-codes-done").click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
  return { secret, options };
}
