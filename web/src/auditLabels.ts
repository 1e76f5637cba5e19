// What the audit log's action codes and outcomes mean, in the UI's language. Typed against the server's list of
// actions (api.gen.ts), so a new action without words fails the type check.

import type { AuditAction, Outcome } from "./api.gen";
import { lang } from "./i18n";

const EN: Record<AuditAction, string> = {
  "auth.login": "Signed in (password)",
  "auth.totp_enrol_start": "Began setting up the second factor",
  "auth.totp_enrol": "Set up the second factor",
  "auth.second_factor": "Confirmed the second factor",
  "auth.logout": "Signed out",
  "auth.logout_all": "Signed out everywhere",
  "tenant.create": "Created the hotline",
  "tenant.disable": "Disabled the hotline",
  "tenant.enable": "Enabled the hotline",
  "tenant.rotate_key": "Rotated the data key",
  "user.create": "Created a user",
  "user.delete": "Deleted a user",
  "user.update": "Changed a user",
  "user.role_change": "Changed a user's role",
  "user.password_change": "Changed a password",
  "user.sessions_end": "Ended a user's sessions",
  "user.second_factor_reset": "Reset a user's second factor",
  "auth.backup_codes_renew": "Made new backup codes",
  "api_key.create": "Created an API key",
  "api_key.revoke": "Revoked an API key",
  "flow.create": "Created a flow",
  "flow.update": "Saved a flow's draft",
  "flow.publish": "Published a flow",
  "flow.activate": "Made a flow version live",
  "prompt.put": "Uploaded a recorded prompt",
  "prompt.delete": "Deleted a recorded prompt",
  "widget.create": "Created a chat widget",
  "widget.update": "Changed a chat widget",
  "phone_number.put": "Set a phone number's flow",
  "phone_number.delete": "Removed a phone number",
  "conversation.transcript_read": "Read a transcript",
  "queue.put": "Set up a queue",
  "queue.delete": "Deleted a queue",
  "user.agent_profile": "Changed an agent's skills and capacity",
  "user.sip_account_set": "Set an agent's phone account",
  "user.sip_account_remove": "Removed an agent's phone account",
  "task.move": "Moved a waiting contact",
  "tenant.contact_centre_settings": "Changed the contact-centre settings",
  "http_destination.allow": "Allowed a private HTTP destination",
  "http_destination.revoke": "Revoked a private HTTP destination",
  "route.denied": "Was refused (no permission)",
  "route.csrf_refused": "Was refused (cross-site request)",
  "tenant.privacy_settings": "Changed the privacy settings",
  "tenant.data_expire": "Deleted expired data",
  "contact.export": "Exported a caller's data",
  "contact.erase": "Erased a caller's data",
  "contact.address_read": "Read a caller's number",
  "proxy_session.open": "Opened a proxy session (follow-up SMS)",
  "proxy_session.close": "Closed a proxy session",
};

const DE: Record<AuditAction, string> = {
  "auth.login": "Angemeldet (Passwort)",
  "auth.totp_enrol_start": "Einrichtung des zweiten Faktors begonnen",
  "auth.totp_enrol": "Zweiten Faktor eingerichtet",
  "auth.second_factor": "Zweiten Faktor bestätigt",
  "auth.logout": "Abgemeldet",
  "auth.logout_all": "Überall abgemeldet",
  "tenant.create": "Hotline angelegt",
  "tenant.disable": "Hotline gesperrt",
  "tenant.enable": "Hotline entsperrt",
  "tenant.rotate_key": "Datenschlüssel erneuert",
  "user.create": "Benutzer angelegt",
  "user.delete": "Benutzer gelöscht",
  "user.update": "Benutzer geändert",
  "user.role_change": "Rolle eines Benutzers geändert",
  "user.password_change": "Passwort geändert",
  "user.sessions_end": "Sitzungen eines Benutzers beendet",
  "user.second_factor_reset": "Zweiten Faktor eines Benutzers zurückgesetzt",
  "auth.backup_codes_renew": "Neue Backup-Codes erstellt",
  "api_key.create": "API-Schlüssel angelegt",
  "api_key.revoke": "API-Schlüssel widerrufen",
  "flow.create": "Ablauf angelegt",
  "flow.update": "Entwurf eines Ablaufs gespeichert",
  "flow.publish": "Ablauf veröffentlicht",
  "flow.activate": "Ablaufversion aktiv geschaltet",
  "prompt.put": "Aufgenommene Ansage hochgeladen",
  "prompt.delete": "Aufgenommene Ansage gelöscht",
  "widget.create": "Chat-Widget angelegt",
  "widget.update": "Chat-Widget geändert",
  "phone_number.put": "Ablauf einer Rufnummer festgelegt",
  "phone_number.delete": "Rufnummer entfernt",
  "conversation.transcript_read": "Gesprächsverlauf gelesen",
  "queue.put": "Warteschlange eingerichtet",
  "queue.delete": "Warteschlange gelöscht",
  "user.agent_profile": "Fähigkeiten und Kapazität einer Fachkraft geändert",
  "user.sip_account_set": "Telefonkonto einer Fachkraft festgelegt",
  "user.sip_account_remove": "Telefonkonto einer Fachkraft entfernt",
  "task.move": "Wartenden Kontakt verschoben",
  "tenant.contact_centre_settings": "Einstellungen des Kontaktcenters geändert",
  "http_destination.allow": "Privates HTTP-Ziel erlaubt",
  "http_destination.revoke": "Privates HTTP-Ziel widerrufen",
  "route.denied": "Abgewiesen (keine Berechtigung)",
  "route.csrf_refused": "Abgewiesen (seitenfremde Anfrage)",
  "tenant.privacy_settings": "Datenschutzeinstellungen geändert",
  "tenant.data_expire": "Abgelaufene Daten gelöscht",
  "contact.export": "Daten einer anrufenden Person exportiert",
  "contact.erase": "Daten einer anrufenden Person gelöscht",
  "contact.address_read": "Nummer einer anrufenden Person gelesen",
  "proxy_session.open": "Proxy-Sitzung geöffnet (Nachfass-SMS)",
  "proxy_session.close": "Proxy-Sitzung geschlossen",
};

const OUTCOMES: Record<"en" | "de", Record<Outcome, string>> = {
  en: { success: "success", failure: "failed", denied: "refused" },
  de: { success: "erfolgreich", failure: "fehlgeschlagen", denied: "abgewiesen" },
};

/** The action's meaning; an action this UI does not know yet is shown as its code. */
export function actionLabel(code: string): string {
  const table = lang === "de" ? DE : EN;
  return table[code as AuditAction] ?? code;
}

export function outcomeLabel(outcome: string): string {
  return OUTCOMES[lang][outcome as Outcome] ?? outcome;
}
