//! How a flow's reply reads on a messaging channel, and what a contact's message means to the
//! engine (pure). On SMS a menu's options are written out under the text, one per line, each
//! with what to send for it; WhatsApp shows them as buttons or a list (its shell decides), so
//! the text stays as it is. A contact answers with the option's digit or its words.

use flow::{Choice, Input};

/// The text to send for a reply with `choices` on `channel`.
pub(crate) fn outbound_text(channel: domain::Channel, text: &str, choices: &[Choice]) -> String {
    if channel != domain::Channel::Sms {
        return text.to_owned();
    }
    options_as_lines(text, choices)
}

/// A menu as text: its options under the text, one per line, each with what to send for it
/// (`1: Impftermin`, or `• Ja` for an option answered by its words); the text alone when it
/// already names every option. SMS menus, and WhatsApp menus too long for buttons or a list.
pub fn options_as_lines(text: &str, choices: &[Choice]) -> String {
    if choices.is_empty() || lists_all(text, choices) {
        return text.to_owned();
    }
    let mut out = text.trim_end().to_owned();
    for choice in choices {
        if !out.is_empty() {
            out.push('\n');
        }
        if choice.value != choice.label && !choice.value.is_empty() {
            out.push_str(&choice.value);
            out.push_str(": ");
        } else {
            out.push_str("• ");
        }
        out.push_str(&choice.label);
    }
    out
}

/// Whether the text already names every option (a flow's own SMS wording), so listing them
/// again would repeat it.
fn lists_all(text: &str, choices: &[Choice]) -> bool {
    let lower = text.to_lowercase();
    choices
        .iter()
        .all(|c| lower.contains(&c.label.to_lowercase()))
}

/// The engine's input for a contact's message: keys (digits, `*`, `#`) as digits, anything
/// else as text.
pub(crate) fn input_of(text: &str) -> Input {
    let trimmed = text.trim();
    if !trimmed.is_empty()
        && trimmed.len() <= 32
        && trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
    {
        Input::Digits {
            digits: trimmed.to_owned(),
        }
    } else {
        Input::Text {
            text: trimmed.to_owned(),
        }
    }
}

/// A contact's address as the pseudonym is taken of: WhatsApp ids that are phone numbers
/// (digits without `+`) in international form, so the same person is one contact on SMS and
/// WhatsApp; business-scoped ids as they are.
pub(crate) fn address_key(channel: domain::Channel, address: &str) -> String {
    if channel == domain::Channel::Whatsapp
        && !address.is_empty()
        && address.chars().all(|c| c.is_ascii_digit())
    {
        format!("+{address}")
    } else {
        address.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Channel;

    fn choice(label: &str, value: &str) -> Choice {
        Choice {
            label: label.to_owned(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn an_sms_menu_lists_its_options_with_what_to_send() {
        let choices = [choice("Beratung", "1"), choice("Termine", "2")];
        assert_eq!(
            outbound_text(Channel::Sms, "Worum geht es?", &choices),
            "Worum geht es?\n1: Beratung\n2: Termine"
        );
        // Options without a digit are answered with their words.
        let words = [choice("Ja", "Ja"), choice("Nein", "Nein")];
        assert_eq!(
            outbound_text(Channel::Sms, "Passt das?", &words),
            "Passt das?\n• Ja\n• Nein"
        );
    }

    #[test]
    fn a_text_that_lists_its_options_is_sent_as_it_is() {
        let choices = [choice("Beratung", "1"), choice("Termine", "2")];
        let own = "Schreiben Sie 1 für Beratung oder 2 für Termine.";
        assert_eq!(outbound_text(Channel::Sms, own, &choices), own);
        // WhatsApp shows buttons: its text stays.
        assert_eq!(
            outbound_text(Channel::Whatsapp, "Worum geht es?", &choices),
            "Worum geht es?"
        );
    }

    #[test]
    fn keys_are_digits_and_everything_else_is_text() {
        assert_eq!(
            input_of(" 2 "),
            Input::Digits {
                digits: "2".to_owned()
            }
        );
        assert_eq!(
            input_of("2 bitte"),
            Input::Text {
                text: "2 bitte".to_owned()
            }
        );
        assert_eq!(
            input_of(""),
            Input::Text {
                text: String::new()
            }
        );
    }

    #[test]
    fn whatsapp_phone_ids_are_one_contact_with_the_sms_number() {
        assert_eq!(
            address_key(Channel::Whatsapp, "4915112345678"),
            "+4915112345678"
        );
        assert_eq!(address_key(Channel::Whatsapp, "DE.1234abcd"), "DE.1234abcd");
        assert_eq!(
            address_key(Channel::Sms, "+4915112345678"),
            "+4915112345678"
        );
    }
}
