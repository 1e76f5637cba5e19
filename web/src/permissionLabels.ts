// What each permission lets a person do, in the UI's language. Typed against the server's list (api.gen.ts), so a
// new permission without words fails the type check.

import type { Permission } from "./api.gen";
import { lang } from "./i18n";

const EN: Record<Permission, string> = {
  users_read: "See the staff accounts",
  users_manage: "Create, change and disable staff accounts",
  sessions_manage: "End other people's sessions",
  api_keys_read: "See the API keys (never their secrets)",
  api_keys_manage: "Create and revoke API keys",
  audit_read: "Read the audit log",
  audit_verify: "Verify the audit log's chain",
  tenant_read: "See the hotline's settings",
  config_manage: "Change channels, retention and other settings",
  flows_read: "See the flows",
  flows_manage: "Edit and publish flows",
  conversations_handle: "Take and answer conversations",
  conversations_read: "Read the conversation history",
  queues_supervise: "Watch queues and agents, and step in",
  transcripts_read: "Read transcripts",
  recordings_read: "Listen to recordings",
  contact_addresses_read: "See a caller's number (recorded in the audit log)",
};

const DE: Record<Permission, string> = {
  users_read: "Benutzerkonten sehen",
  users_manage: "Benutzerkonten anlegen, ändern und sperren",
  sessions_manage: "Sitzungen anderer beenden",
  api_keys_read: "API-Schlüssel sehen (nie ihre Geheimnisse)",
  api_keys_manage: "API-Schlüssel anlegen und widerrufen",
  audit_read: "Das Audit-Protokoll lesen",
  audit_verify: "Die Kette des Audit-Protokolls prüfen",
  tenant_read: "Die Einstellungen der Hotline sehen",
  config_manage: "Kanäle, Aufbewahrung und andere Einstellungen ändern",
  flows_read: "Die Abläufe sehen",
  flows_manage: "Abläufe bearbeiten und veröffentlichen",
  conversations_handle: "Gespräche annehmen und beantworten",
  conversations_read: "Den Gesprächsverlauf lesen",
  queues_supervise: "Warteschlangen und Fachkräfte beobachten und eingreifen",
  transcripts_read: "Gesprächsprotokolle lesen",
  recordings_read: "Aufnahmen anhören",
  contact_addresses_read: "Nummer einer anrufenden Person sehen (im Audit-Log vermerkt)",
};

export function permissionLabel(p: Permission): string {
  return (lang === "de" ? DE : EN)[p];
}
