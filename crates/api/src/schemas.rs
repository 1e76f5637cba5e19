//! OpenAPI schemas for values whose Rust types live outside this crate: roles, permissions,
//! the login step and flow diagnostics. Each enumerates its values from the type itself
//! (`Role::ALL`, `Permission::ALL`, …), so the document, and the TypeScript types the web UI
//! generates from it, can never list a value the server does not have.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

fn string_enum<'a>(description: &str, values: impl IntoIterator<Item = &'a str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(values.into_iter().map(str::to_owned)))
        .into()
}

/// A role (`admin`, `supervisor`, `agent`, `auditor`, `integrator`).
pub(crate) struct RoleName;

impl PartialSchema for RoleName {
    fn schema() -> RefOr<Schema> {
        string_enum(
            "A role within the tenant.",
            domain::Role::ALL.iter().map(|r| r.as_str()),
        )
    }
}

impl ToSchema for RoleName {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Role")
    }
}

/// A permission a role grants (`users_read`, `flows_manage`, …).
pub(crate) struct PermissionName;

impl PartialSchema for PermissionName {
    fn schema() -> RefOr<Schema> {
        string_enum(
            "Something a role may do; the server checks it on every call.",
            security::rbac::Permission::ALL.iter().map(|p| p.as_str()),
        )
    }
}

impl ToSchema for PermissionName {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Permission")
    }
}

/// What a login still needs.
pub(crate) struct NextStepName;

impl PartialSchema for NextStepName {
    fn schema() -> RefOr<Schema> {
        use app::NextStep;
        string_enum(
            "What the login still needs before the session is complete.",
            [
                NextStep::ChangePassword,
                NextStep::EnrolTotp,
                NextStep::Totp,
                NextStep::Done,
            ]
            .map(NextStep::as_str),
        )
    }
}

impl ToSchema for NextStepName {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("NextStep")
    }
}

/// Declares a schema-only type: a string enum named `$schema_name` with the given values.
macro_rules! names_schema {
    ($(#[$doc:meta])* $ty:ident, $schema_name:literal, $description:literal, $values:expr) => {
        $(#[$doc])*
        pub(crate) struct $ty;

        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                string_enum($description, $values)
            }
        }

        impl ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($schema_name)
            }
        }
    };
}

names_schema!(
    /// A task's state.
    TaskStateName,
    "TaskState",
    "Where a task is: waiting (`pending`, `offered`), with an agent (`assigned`, `wrap_up`) or final.",
    app::TASK_STATE_NAMES
);
names_schema!(
    /// An agent's presence, `wrap_up` included.
    PresenceName,
    "Presence",
    "An agent's presence; `wrap_up` is set by the server after a conversation.",
    app::PRESENCE_NAMES
);
names_schema!(
    /// A presence an agent may choose.
    SettablePresenceName,
    "SettablePresence",
    "A presence an agent may choose.",
    app::PRESENCE_NAMES.into_iter().filter(|p| *p != "wrap_up")
);
names_schema!(
    /// Why a task exists.
    HandOverReasonName,
    "HandOverReason",
    "Why the conversation went to a person.",
    app::HAND_OVER_REASON_NAMES
);
names_schema!(
    /// A conversation's channel.
    ChannelName,
    "Channel",
    "The channel a conversation runs on.",
    domain::Channel::ALL.iter().map(|c| c.as_str())
);
names_schema!(
    /// Who wrote a transcript message.
    SenderName,
    "Sender",
    "Who wrote a message: the caller (`user`), the bot, an agent or the system.",
    domain::Sender::ALL.iter().map(|c| c.as_str())
);
names_schema!(
    /// A conversation's status.
    ConversationStatusName,
    "ConversationStatus",
    "Where a conversation is.",
    domain::ConversationStatus::ALL.iter().map(|c| c.as_str())
);
names_schema!(
    /// Where a sent message stands.
    DeliveryStateName,
    "DeliveryState",
    "Where a message sent on SMS or WhatsApp stands: `queued` (not yet taken by a provider), `sent`, `delivered`, `read` or `failed`.",
    domain::DeliveryState::ALL.iter().map(|c| c.as_str())
);
names_schema!(
    /// How a conversation ended.
    ConversationOutcomeName,
    "ConversationOutcome",
    "How a conversation ended: `open` (still running), `bot` (the bot answered), `agent` (a person took it), `abandoned` (left waiting for a person), `transferred`, `left` (left while the bot talked) or `failed`.",
    app::ConversationOutcome::ALL.iter().map(|o| o.as_str())
);

names_schema!(
    /// An action the audit log records.
    AuditActionName,
    "AuditAction",
    "An action the audit log records.",
    domain::AuditAction::ALL.iter().map(|a| a.as_str())
);
names_schema!(
    /// How an audited action ended.
    OutcomeName,
    "Outcome",
    "How an audited action ended.",
    domain::Outcome::ALL.iter().map(|o| o.as_str())
);

/// A finding of the flow validator or linter (`flow::Diagnostic` as JSON).
pub(crate) struct DiagnosticSchema;

impl PartialSchema for DiagnosticSchema {
    fn schema() -> RefOr<Schema> {
        let text = |description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(description))
                .build()
        };
        ObjectBuilder::new()
            .description(Some(
                "A finding of the flow validator or the IVR-design linter.",
            ))
            .property(
                "severity",
                string_enum(
                    "An error stops publishing; a warning is design advice.",
                    ["error", "warning"],
                ),
            )
            .property(
                "code",
                string_enum(
                    "A stable kebab-case code (docs/flow-format.md lists them).",
                    flow::diagnostic::codes::ERRORS
                        .iter()
                        .chain(flow::diagnostic::codes::WARNINGS)
                        .copied(),
                ),
            )
            .property("message", text("What is wrong, in one sentence."))
            .property(
                "node",
                ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                        Type::String,
                        Type::Null,
                    ]))
                    .description(Some("The id of the node the finding belongs to.")),
            )
            .property(
                "path",
                text("Where in the document (`nodes[4].options[1].next`); empty for the whole."),
            )
            .required("severity")
            .required("code")
            .required("message")
            .required("path")
            .into()
    }
}

impl ToSchema for DiagnosticSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Diagnostic")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enum_values(schema: RefOr<Schema>) -> Vec<String> {
        let json = serde_json::to_value(schema).unwrap();
        json["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn roles_and_permissions_are_listed_from_their_types() {
        assert_eq!(
            enum_values(RoleName::schema()),
            ["admin", "supervisor", "agent", "auditor", "integrator"]
        );
        let permissions = enum_values(PermissionName::schema());
        assert_eq!(permissions.len(), security::rbac::Permission::ALL.len());
        assert!(permissions.contains(&"flows_manage".to_owned()));
        assert_eq!(
            enum_values(NextStepName::schema()),
            ["change_password", "enrol_totp", "totp", "done"]
        );
    }

    #[test]
    fn the_diagnostic_schema_has_every_field_a_diagnostic_serialises() {
        let d = flow::Diagnostic::warning("menu-too-long", "nodes[0]", "Too long").with_node("m");
        let sent = serde_json::to_value(&d).unwrap();
        let schema = serde_json::to_value(DiagnosticSchema::schema()).unwrap();
        let mut sent_keys: Vec<_> = sent.as_object().unwrap().keys().cloned().collect();
        let mut schema_keys: Vec<_> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        sent_keys.sort();
        schema_keys.sort();
        assert_eq!(sent_keys, schema_keys);
        let codes = schema["properties"]["code"]["enum"].as_array().unwrap();
        assert!(codes.contains(&sent["code"]));
        assert_eq!(
            codes.len(),
            flow::diagnostic::codes::ERRORS.len() + flow::diagnostic::codes::WARNINGS.len()
        );
        let severities = schema["properties"]["severity"]["enum"].as_array().unwrap();
        assert!(severities.contains(&sent["severity"]));
        let error = flow::Diagnostic::error("x", "", "y");
        assert!(severities.contains(&serde_json::to_value(&error).unwrap()["severity"]));
    }
}
