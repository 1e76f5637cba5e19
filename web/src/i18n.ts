// Every text the UI shows, in English and German, chosen once from navigator.language (de* → German). The German
// table is typed against the English one, so a missing or misspelt key fails the type check.

import type { Role } from "./api";

const en = {
  "app.name": "Hotline",

  "common.loading": "Loading…",
  "common.working": "Please wait…",
  "common.retry": "Try again",
  "common.done": "Done",
  "common.copy": "Copy",
  "common.copied": "Copied to the clipboard.",
  "common.copyManually": "Copying is not possible here; select the text and copy it by hand.",
  "common.yes": "Yes",
  "common.no": "No",
  "common.actions": "Actions",
  "common.notAllowed": "You do not have permission to open this page.",

  "error.network": "The server could not be reached. Check your connection and try again.",
  "error.badResponse": "The server sent an answer this page does not understand.",
  "error.http": "The request failed (HTTP {status}).",
  "error.unexpected": "Something unexpected went wrong.",
  "error.retryAfter": "Please try again in {seconds} seconds.",
  "error.retryAfterMinutes": "Please try again in {minutes} minutes.",
  "error.requestId": "Request ID: {id}",

  "nav.label": "Main",
  "nav.skip": "Skip to content",
  "nav.users": "Users",
  "nav.apiKeys": "API keys",
  "nav.audit": "Audit log",
  "nav.account": "My account",

  "login.title": "Sign in",
  "login.username": "User name",
  "login.password": "Password",
  "login.submit": "Sign in",
  "login.startOver": "Cancel and sign in as someone else",
  "login.sessionEnded": "Your session has ended. Please sign in again.",

  "password.forcedTitle": "Choose a new password",
  "password.forcedIntro": "Your password was set by an administrator. Choose your own before you continue.",
  "password.new": "New password",
  "password.repeat": "Repeat new password",
  "password.rules": "12 to 128 characters; not a common password and not your user name. A few words make a good one.",
  "password.mismatch": "The two passwords are not the same.",
  "password.submit": "Change password",

  "totp.enrolTitle": "Set up two-step sign-in",
  "totp.enrolIntro": "Scan this code with an authenticator app, then enter the six-digit code it shows.",
  "totp.qrAlt": "QR code for your authenticator app",
  "totp.manual": "Cannot scan? Enter this key in the app instead:",
  "totp.openApp": "Open in an authenticator app on this device",
  "totp.code": "Code from the app",
  "totp.confirm": "Confirm",
  "totp.title": "Two-step sign-in",
  "totp.intro": "Enter the six-digit code from your authenticator app.",
  "totp.backupIntro": "Enter one of your backup codes. Each code works only once.",
  "totp.backupCode": "Backup code",
  "totp.submit": "Continue",
  "totp.useBackup": "Use a backup code instead",
  "totp.useApp": "Use the authenticator app instead",

  "backup.title": "Your backup codes",
  "backup.intro":
    "If you lose your authenticator, each of these codes lets you sign in once. Store them somewhere safe now: they are not shown again.",
  "backup.copyAll": "Copy all codes",
  "backup.stored": "I have stored these codes",

  "users.caption": "{count} users",
  "users.captionOne": "1 user",
  "users.username": "User name",
  "users.displayName": "Display name",
  "users.role": "Role",
  "users.roleFor": "Role of {name}",
  "users.state": "State",
  "users.active": "Active",
  "users.disabled": "Disabled",
  "users.mustChange": "must change password",
  "users.totp": "Two-step sign-in",
  "users.created": "Created",
  "users.enable": "Enable",
  "users.disable": "Disable",
  "users.endSessions": "End sessions",
  "users.createTitle": "Create a user",
  "users.create": "Create user",
  "users.createdTitle": "{name} was created",
  "users.createdExplanation":
    "Give this one-time password to the user by a safe route. It is shown only now; it must be changed at the first sign-in.",
  "users.roleChanged": "{name} now has the role {role}.",
  "users.disabledDone": "{name} was disabled.",
  "users.enabledDone": "{name} was enabled.",
  "users.sessionsEnded": "All sessions of {name} were ended.",

  "apiKeys.caption": "{count} API keys",
  "apiKeys.captionOne": "1 API key",
  "apiKeys.name": "Name",
  "apiKeys.lastUsed": "Last used",
  "apiKeys.never": "never",
  "apiKeys.none": "There are no API keys yet.",
  "apiKeys.revoke": "Revoke",
  "apiKeys.revokeConfirm": "Revoke the API key “{name}”? Integrations using it stop working at once.",
  "apiKeys.revoked": "The API key “{name}” was revoked.",
  "apiKeys.revokedAt": "revoked {at}",
  "apiKeys.createTitle": "Create an API key",
  "apiKeys.create": "Create key",
  "apiKeys.createdTitle": "API key “{name}” was created",
  "apiKeys.createdExplanation": "Copy this token into the integration now. It is shown only once.",

  "audit.caption": "Audit entries, newest first",
  "audit.paging": "Pages",
  "audit.newest": "Newest",
  "audit.newer": "Newer",
  "audit.older": "Older",
  "audit.reload": "Reload",
  "audit.empty": "No audit entries.",
  "audit.seq": "No.",
  "audit.at": "Time",
  "audit.actor": "Actor",
  "audit.action": "Action",
  "audit.object": "Object",
  "audit.outcome": "Outcome",
  "audit.source": "Source IP",
  "audit.requestId": "Request ID",
  "audit.hash": "Hash",
  "audit.verifyTitle": "Integrity",
  "audit.verify": "Verify chain",
  "audit.verifyOk": "The chain is intact: {count} entries checked, newest is no. {head}.",
  "audit.verifyBad": "The chain is broken after {count} entries: {error}",

  "account.profile": "Profile",
  "account.tenant": "Organisation",
  "account.changePassword": "Change password",
  "account.currentPassword": "Current password",
  "account.passwordChanged": "Your password was changed.",
  "account.sessions": "Sessions",
  "account.logout": "Log out",
  "account.logoutAll": "Log out everywhere",
  "account.logoutAllHint": "Ends your sessions on every device, including this one.",

  "role.admin": "Administrator",
  "role.supervisor": "Supervisor",
  "role.agent": "Agent",
  "role.auditor": "Auditor",
  "role.integrator": "Integrator",
};

export type MessageKey = keyof typeof en;

const de: Record<MessageKey, string> = {
  "app.name": "Hotline",

  "common.loading": "Wird geladen …",
  "common.working": "Bitte warten …",
  "common.retry": "Erneut versuchen",
  "common.done": "Fertig",
  "common.copy": "Kopieren",
  "common.copied": "In die Zwischenablage kopiert.",
  "common.copyManually": "Kopieren ist hier nicht möglich; bitte den Text markieren und von Hand kopieren.",
  "common.yes": "Ja",
  "common.no": "Nein",
  "common.actions": "Aktionen",
  "common.notAllowed": "Sie haben keine Berechtigung für diese Seite.",

  "error.network": "Der Server ist nicht erreichbar. Bitte Verbindung prüfen und erneut versuchen.",
  "error.badResponse": "Der Server hat eine Antwort geschickt, die diese Seite nicht versteht.",
  "error.http": "Die Anfrage ist fehlgeschlagen (HTTP {status}).",
  "error.unexpected": "Etwas Unerwartetes ist schiefgegangen.",
  "error.retryAfter": "Bitte in {seconds} Sekunden erneut versuchen.",
  "error.retryAfterMinutes": "Bitte in {minutes} Minuten erneut versuchen.",
  "error.requestId": "Anfrage-ID: {id}",

  "nav.label": "Hauptnavigation",
  "nav.skip": "Zum Inhalt springen",
  "nav.users": "Benutzer",
  "nav.apiKeys": "API-Schlüssel",
  "nav.audit": "Audit-Protokoll",
  "nav.account": "Mein Konto",

  "login.title": "Anmelden",
  "login.username": "Benutzername",
  "login.password": "Passwort",
  "login.submit": "Anmelden",
  "login.startOver": "Abbrechen und als jemand anderes anmelden",
  "login.sessionEnded": "Ihre Sitzung ist beendet. Bitte melden Sie sich erneut an.",

  "password.forcedTitle": "Neues Passwort wählen",
  "password.forcedIntro":
    "Ihr Passwort wurde von einer Administratorin oder einem Administrator gesetzt. Wählen Sie ein eigenes, bevor es weitergeht.",
  "password.new": "Neues Passwort",
  "password.repeat": "Neues Passwort wiederholen",
  "password.rules":
    "12 bis 128 Zeichen; kein gängiges Passwort und nicht Ihr Benutzername. Einige Wörter hintereinander sind eine gute Wahl.",
  "password.mismatch": "Die beiden Passwörter stimmen nicht überein.",
  "password.submit": "Passwort ändern",

  "totp.enrolTitle": "Zwei-Faktor-Anmeldung einrichten",
  "totp.enrolIntro": "Scannen Sie diesen Code mit einer Authenticator-App und geben Sie dann den sechsstelligen Code ein.",
  "totp.qrAlt": "QR-Code für Ihre Authenticator-App",
  "totp.manual": "Scannen nicht möglich? Geben Sie stattdessen diesen Schlüssel in der App ein:",
  "totp.openApp": "In einer Authenticator-App auf diesem Gerät öffnen",
  "totp.code": "Code aus der App",
  "totp.confirm": "Bestätigen",
  "totp.title": "Zwei-Faktor-Anmeldung",
  "totp.intro": "Geben Sie den sechsstelligen Code aus Ihrer Authenticator-App ein.",
  "totp.backupIntro": "Geben Sie einen Ihrer Backup-Codes ein. Jeder Code gilt nur einmal.",
  "totp.backupCode": "Backup-Code",
  "totp.submit": "Weiter",
  "totp.useBackup": "Stattdessen einen Backup-Code verwenden",
  "totp.useApp": "Stattdessen die Authenticator-App verwenden",

  "backup.title": "Ihre Backup-Codes",
  "backup.intro":
    "Falls Sie Ihren Authenticator verlieren, können Sie sich mit jedem dieser Codes einmal anmelden. Bewahren Sie sie jetzt sicher auf: Sie werden nicht noch einmal angezeigt.",
  "backup.copyAll": "Alle Codes kopieren",
  "backup.stored": "Ich habe diese Codes gespeichert",

  "users.caption": "{count} Benutzer",
  "users.captionOne": "1 Benutzer",
  "users.username": "Benutzername",
  "users.displayName": "Anzeigename",
  "users.role": "Rolle",
  "users.roleFor": "Rolle von {name}",
  "users.state": "Status",
  "users.active": "Aktiv",
  "users.disabled": "Gesperrt",
  "users.mustChange": "muss Passwort ändern",
  "users.totp": "Zwei-Faktor",
  "users.created": "Angelegt",
  "users.enable": "Entsperren",
  "users.disable": "Sperren",
  "users.endSessions": "Sitzungen beenden",
  "users.createTitle": "Benutzer anlegen",
  "users.create": "Benutzer anlegen",
  "users.createdTitle": "{name} wurde angelegt",
  "users.createdExplanation":
    "Geben Sie dieses Einmalpasswort auf sicherem Weg weiter. Es wird nur jetzt angezeigt und muss bei der ersten Anmeldung geändert werden.",
  "users.roleChanged": "{name} hat jetzt die Rolle {role}.",
  "users.disabledDone": "{name} wurde gesperrt.",
  "users.enabledDone": "{name} wurde entsperrt.",
  "users.sessionsEnded": "Alle Sitzungen von {name} wurden beendet.",

  "apiKeys.caption": "{count} API-Schlüssel",
  "apiKeys.captionOne": "1 API-Schlüssel",
  "apiKeys.name": "Name",
  "apiKeys.lastUsed": "Zuletzt verwendet",
  "apiKeys.never": "nie",
  "apiKeys.none": "Es gibt noch keine API-Schlüssel.",
  "apiKeys.revoke": "Widerrufen",
  "apiKeys.revokeConfirm": "Den API-Schlüssel „{name}“ widerrufen? Integrationen, die ihn nutzen, funktionieren sofort nicht mehr.",
  "apiKeys.revoked": "Der API-Schlüssel „{name}“ wurde widerrufen.",
  "apiKeys.revokedAt": "widerrufen am {at}",
  "apiKeys.createTitle": "API-Schlüssel anlegen",
  "apiKeys.create": "Schlüssel anlegen",
  "apiKeys.createdTitle": "API-Schlüssel „{name}“ wurde angelegt",
  "apiKeys.createdExplanation": "Kopieren Sie dieses Token jetzt in die Integration. Es wird nur einmal angezeigt.",

  "audit.caption": "Audit-Einträge, neueste zuerst",
  "audit.paging": "Seiten",
  "audit.newest": "Neueste",
  "audit.newer": "Neuere",
  "audit.older": "Ältere",
  "audit.reload": "Neu laden",
  "audit.empty": "Keine Audit-Einträge.",
  "audit.seq": "Nr.",
  "audit.at": "Zeit",
  "audit.actor": "Akteur",
  "audit.action": "Aktion",
  "audit.object": "Objekt",
  "audit.outcome": "Ergebnis",
  "audit.source": "Quell-IP",
  "audit.requestId": "Anfrage-ID",
  "audit.hash": "Hash",
  "audit.verifyTitle": "Integrität",
  "audit.verify": "Kette prüfen",
  "audit.verifyOk": "Die Kette ist intakt: {count} Einträge geprüft, neuester ist Nr. {head}.",
  "audit.verifyBad": "Die Kette ist nach {count} Einträgen unterbrochen: {error}",

  "account.profile": "Profil",
  "account.tenant": "Organisation",
  "account.changePassword": "Passwort ändern",
  "account.currentPassword": "Aktuelles Passwort",
  "account.passwordChanged": "Ihr Passwort wurde geändert.",
  "account.sessions": "Sitzungen",
  "account.logout": "Abmelden",
  "account.logoutAll": "Überall abmelden",
  "account.logoutAllHint": "Beendet Ihre Sitzungen auf allen Geräten, auch auf diesem.",

  "role.admin": "Administration",
  "role.supervisor": "Supervision",
  "role.agent": "Beratung",
  "role.auditor": "Prüfung",
  "role.integrator": "Integration",
};

export type Lang = "en" | "de";

export const lang: Lang = (navigator.language || "en").toLowerCase().startsWith("de") ? "de" : "en";
document.documentElement.lang = lang;

const table: Record<MessageKey, string> = lang === "de" ? de : en;

/** The text for `key`, with `{name}` placeholders filled from `vars`. */
export function t(key: MessageKey, vars?: Record<string, string>): string {
  const text = table[key];
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

/** A count in words: `one` for exactly one (true for English and German), `other` with `{count}` otherwise. */
export function plural(count: number, one: MessageKey, other: MessageKey): string {
  return count === 1 ? t(one) : t(other, { count: String(count) });
}

/** How long to wait after a 429, in seconds for short waits and whole minutes for long ones. */
export function retryAfterText(seconds: number): string {
  return seconds < 120
    ? t("error.retryAfter", { seconds: String(seconds) })
    : t("error.retryAfterMinutes", { minutes: String(Math.ceil(seconds / 60)) });
}

export function roleLabel(role: Role | string): string {
  const key = `role.${role}`;
  return key in table ? table[key as MessageKey] : role;
}

const dateTime = new Intl.DateTimeFormat(lang === "de" ? "de-DE" : undefined, {
  dateStyle: "medium",
  timeStyle: "medium",
});

/** An RFC 3339 timestamp in the reader's language and time zone; unparseable input is shown as it came. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}
