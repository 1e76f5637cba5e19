//! The shape of an audit log entry. Hashing and verification of the chain live in
//! `security::audit`; storage in `store`. Entries hold ids only, never personal data other
//! than the source IP address that the audit duty requires.

use serde::{Deserialize, Serialize};

use crate::text_enum::text_enum;
use crate::{AuditEntryId, RequestId, TenantId, Timestamp};

text_enum!(
    /// Who acted.
    ActorKind {
        /// A staff member signed in to the UI or API.
        User => "user",
        /// An API key.
        ApiKey => "api_key",
        /// Hotline itself (first start, background jobs, the CLI).
        System => "system",
    }
);

text_enum!(
    /// How the actor proved who they are.
    AuthMethod {
        /// Nothing yet (for example a failed login).
        None => "none",
        /// Password only (first factor).
        Password => "password",
        /// Password and a TOTP code.
        Totp => "totp",
        /// Password and a backup code.
        BackupCode => "backup_code",
        /// An established session cookie.
        Session => "session",
        /// An API key.
        ApiKey => "api_key",
        /// Local access to the command line and the data directory.
        Cli => "cli",
    }
);

text_enum!(
    /// How the action ended.
    Outcome {
        /// It happened.
        Success => "success",
        /// It was tried and failed (wrong password, invalid code).
        Failure => "failure",
        /// It was refused for lack of permission or by a rate limit.
        Denied => "denied",
    }
);

text_enum!(
    /// What was done: the action names written to the audit log. The log stores the text (see
    /// [`AuditEvent::action`]); writers name it through this enum so that a typo cannot invent
    /// a new action.
    AuditAction {
        /// A login attempt (password step).
        AuthLogin => "auth.login",
        /// The start of TOTP enrolment.
        AuthTotpEnrolStart => "auth.totp_enrol_start",
        /// TOTP enrolment confirmed with a code.
        AuthTotpEnrol => "auth.totp_enrol",
        /// The second factor of a login (TOTP or backup code).
        AuthSecondFactor => "auth.second_factor",
        /// A session ended by its user.
        AuthLogout => "auth.logout",
        /// Every session of the user ended by the user.
        AuthLogoutAll => "auth.logout_all",
        /// A tenant was created.
        TenantCreate => "tenant.create",
        /// A tenant was disabled (its staff, keys, widgets and numbers stop working).
        TenantDisable => "tenant.disable",
        /// A disabled tenant was enabled again.
        TenantEnable => "tenant.enable",
        /// A tenant's key was rotated (its data keys re-wrapped under a new version).
        TenantKeyRotate => "tenant.rotate_key",
        /// A user was created.
        UserCreate => "user.create",
        /// A user's profile changed.
        UserUpdate => "user.update",
        /// A user account was deleted.
        UserDelete => "user.delete",
        /// A user's role changed.
        UserRoleChange => "user.role_change",
        /// A user's password changed.
        UserPasswordChange => "user.password_change",
        /// Every session of a user ended by an admin.
        UserSessionsEnd => "user.sessions_end",
        /// A user's second factor and backup codes cleared by an admin (a lost phone): they
        /// enrol again at their next sign-in.
        UserSecondFactorReset => "user.second_factor_reset",
        /// A user replaced their backup codes with new ones.
        AuthBackupCodesRenew => "auth.backup_codes_renew",
        /// An API key was created.
        ApiKeyCreate => "api_key.create",
        /// An API key was revoked.
        ApiKeyRevoke => "api_key.revoke",
        /// A flow was created.
        FlowCreate => "flow.create",
        /// A flow's draft changed.
        FlowUpdate => "flow.update",
        /// A flow version was published.
        FlowPublish => "flow.publish",
        /// An earlier flow version was made live again.
        FlowActivate => "flow.activate",
        /// A recorded prompt was uploaded (new or replaced).
        PromptPut => "prompt.put",
        /// A recorded prompt was deleted.
        PromptDelete => "prompt.delete",
        /// A chat widget was created.
        WidgetCreate => "widget.create",
        /// A chat widget's settings changed.
        WidgetUpdate => "widget.update",
        /// A phone number was bound to a flow (created or changed).
        PhoneNumberPut => "phone_number.put",
        /// A phone number was removed.
        PhoneNumberDelete => "phone_number.delete",
        /// A conversation's transcript was opened (by an agent or a supervisor).
        TranscriptRead => "conversation.transcript_read",
        /// A queue was created or changed.
        QueuePut => "queue.put",
        /// A queue was removed.
        QueueDelete => "queue.delete",
        /// An agent's profile (skills, languages, capacity) was changed.
        AgentUpdate => "user.agent_profile",
        /// An agent's SIP account (the phone's username and password) was set or replaced.
        AgentSipAccountSet => "user.sip_account_set",
        /// An agent's SIP account was removed.
        AgentSipAccountRemove => "user.sip_account_remove",
        /// A supervisor moved a task to another queue or agent.
        TaskMove => "task.move",
        /// The contact-centre settings (crisis text, crisis terms) were changed.
        ContactCentreSettings => "tenant.contact_centre_settings",
        /// A destination (`host:port`) was opened for the tenant's flows to reach private
        /// addresses.
        HttpDestinationAllow => "http_destination.allow",
        /// A destination was closed again.
        HttpDestinationRevoke => "http_destination.revoke",
        /// A signed-in caller was refused a route their role does not allow (at most one
        /// entry per caller and minute; the object is the route).
        RouteDenied => "route.denied",
        /// A signed-in caller's state change was refused by the CSRF check (at most one entry
        /// per caller and minute).
        RouteCsrfRefused => "route.csrf_refused",
        /// The tenant's privacy settings (retention, audit source addresses) were changed.
        PrivacySettingsPut => "tenant.privacy_settings",
        /// Expired personal data was deleted (the retention job; the object is the tenant).
        DataExpire => "tenant.data_expire",
        /// Everything about one contact was exported (a data-subject access request; the
        /// object is the contact's pseudonym or the conversation).
        ContactExport => "contact.export",
        /// Everything about one contact was erased (a data-subject erasure request).
        ContactErase => "contact.erase",
        /// A contact's channel address (phone number, WhatsApp id) was read in clear (the
        /// object is the conversation).
        ContactAddressRead => "contact.address_read",
        /// A proxy session was opened between a contact and an operator's phone (the object
        /// is the session).
        ProxySessionOpen => "proxy_session.open",
        /// A proxy session was closed before its time ran out.
        ProxySessionClose => "proxy_session.close",
    }
);

impl AuditAction {
    /// The kind of object the action acts on, as [`AuditEvent::object_type`] records it: the
    /// user for `auth.*`, otherwise the part before the dot.
    pub const fn object_type(self) -> &'static str {
        use AuditAction as A;
        match self {
            A::AuthLogin
            | A::AuthTotpEnrolStart
            | A::AuthTotpEnrol
            | A::AuthSecondFactor
            | A::AuthLogout
            | A::AuthLogoutAll
            | A::UserCreate
            | A::UserUpdate
            | A::UserDelete
            | A::UserRoleChange
            | A::UserPasswordChange
            | A::UserSessionsEnd
            | A::UserSecondFactorReset
            | A::AuthBackupCodesRenew => "user",
            A::TenantCreate | A::TenantDisable | A::TenantEnable | A::TenantKeyRotate => "tenant",
            A::ApiKeyCreate | A::ApiKeyRevoke => "api_key",
            A::FlowCreate | A::FlowUpdate | A::FlowPublish | A::FlowActivate => "flow",
            A::PromptPut | A::PromptDelete => "prompt",
            A::WidgetCreate | A::WidgetUpdate => "widget",
            A::PhoneNumberPut | A::PhoneNumberDelete => "phone_number",
            A::TranscriptRead => "conversation",
            A::QueuePut | A::QueueDelete => "queue",
            A::AgentUpdate | A::AgentSipAccountSet | A::AgentSipAccountRemove => "user",
            A::TaskMove => "task",
            A::ContactCentreSettings | A::PrivacySettingsPut | A::DataExpire => "tenant",
            A::ContactExport | A::ContactErase | A::ContactAddressRead => "contact",
            A::HttpDestinationAllow | A::HttpDestinationRevoke => "http_destination",
            A::RouteDenied | A::RouteCsrfRefused => "route",
            A::ProxySessionOpen | A::ProxySessionClose => "proxy_session",
        }
    }
}

/// What the caller supplies when writing an entry; the store adds sequence, time and hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Who acted.
    pub actor_kind: ActorKind,
    /// The user or API key id; `None` for the system or an unknown user.
    pub actor_id: Option<String>,
    /// How the actor authenticated.
    pub auth_method: AuthMethod,
    /// The source IP address of the request, if any.
    pub source_ip: Option<String>,
    /// The request that caused the entry, if any.
    pub request_id: Option<RequestId>,
    /// A dotted action name such as `auth.login` or `user.create`: an [`AuditAction`]'s text
    /// when written by this version. It stays text here because the chain must verify, and
    /// report, whatever a row holds, including a value no [`AuditAction`] names.
    pub action: String,
    /// The kind of object acted on, such as `user` or `api_key`.
    pub object_type: Option<String>,
    /// The id of the object acted on.
    pub object_id: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
}

/// A stored audit entry: position `seq` (1, 2, 3, … per tenant) in the tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// The tenant whose chain this entry belongs to.
    pub tenant_id: TenantId,
    /// Position in the chain, starting at 1 with no gaps.
    pub seq: i64,
    /// The entry's id.
    pub id: AuditEntryId,
    /// When it was written (UTC).
    pub at: Timestamp,
    /// What happened.
    pub event: AuditEvent,
    /// Hex SHA-256 of the previous entry (64 zeros for the first).
    pub prev_hash: String,
    /// Hex SHA-256 over `prev_hash` and this entry's canonical form.
    pub hash: String,
}

#[cfg(test)]
mod tests {
    use super::AuditAction;

    /// The object type an entry records is the one the action's text names, except that a
    /// login step and an agent's settings act on the user and the contact-centre settings on the
    /// tenant: the same texts the log held before actions were an enum.
    #[test]
    fn an_action_acts_on_the_object_its_text_names() {
        for &action in AuditAction::ALL {
            let (prefix, _) = action.as_str().split_once('.').unwrap();
            // A login step acts on the user, and so does a change to an agent (an agent is a
            // user who handles conversations); the contact-centre settings are the tenant's.
            let expected = match prefix {
                "auth" | "agent" => "user",
                "contact_centre" => "tenant",
                other => other,
            };
            assert_eq!(action.object_type(), expected, "{action}");
        }
    }
}
