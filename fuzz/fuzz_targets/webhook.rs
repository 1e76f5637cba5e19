//! Providers' webhooks before their signature is checked: any URL, form fields and signature
//! header for `X-Twilio-Signature` (with its port variants and the JSON `bodySHA256` form), and
//! any body and header for `X-Hub-Signature-256`. Nothing may panic, and a signature made for
//! the input must verify.

#![no_main]

use libfuzzer_sys::fuzz_target;
use security::webhook;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut pieces = text.split('\u{0}');
    let url = pieces.next().unwrap_or_default().to_owned();
    let header = pieces.next().unwrap_or_default().to_owned();
    let params: Vec<(String, String)> = pieces
        .collect::<Vec<_>>()
        .chunks(2)
        .map(|c| {
            (
                c[0].to_owned(),
                c.get(1).copied().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let _ = webhook::verify_twilio(b"token", &url, &params, &header);
    let _ = webhook::verify_twilio_json(b"token", &url, data, &header);
    let _ = webhook::verify_hub_signature(b"secret", data, &header);
    let good = webhook::twilio_signature(b"token", &url, &params);
    assert!(webhook::verify_twilio(b"token", &url, &params, &good));
    let hub = webhook::hub_signature(b"secret", data);
    assert!(webhook::verify_hub_signature(b"secret", data, &hub));
});
