//! The ESME session against a scripted SMSC on a virtual clock: bind, the window, throttling
//! with backoff, keep-alive, malformed PDUs answered with generic_nack while the session goes
//! on, receipts matched to their message even when they come first, and resending what was
//! not answered after a lost connection.

use smpp_proto::pdu::{BindResp, Command, Pdu, Sm, SmResp, Status, Tlv, tag};
use smpp_proto::receipt::{self, DeliveryState};
use smpp_proto::session::{Event, MessageHandle, Outgoing, Session, SessionConfig};

fn config() -> SessionConfig {
    SessionConfig {
        system_id: "hotline".into(),
        password: "secret".into(),
        window: 2,
        ..SessionConfig::default()
    }
}

/// What the session sent, decoded.
fn sent(s: &mut Session) -> Vec<Pdu> {
    let mut out = Vec::new();
    while let Some(bytes) = s.poll_transmit() {
        out.push(Pdu::decode(&bytes).expect("the session sends valid PDUs"));
    }
    out
}

fn events(s: &mut Session) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn feed(s: &mut Session, pdu: Pdu, now: u64) {
    s.handle_bytes(&pdu.encode().unwrap(), now);
}

fn bound(now: u64) -> Session {
    let mut s = Session::new(config());
    s.connected(now);
    let bind = sent(&mut s).remove(0);
    assert!(matches!(bind.command, Command::BindTransceiver(ref b) if b.system_id == "hotline"));
    feed(
        &mut s,
        Pdu {
            command: Command::BindTransceiverResp(BindResp {
                system_id: "smsc".into(),
                tlvs: vec![],
            }),
            status: Status::OK,
            sequence: bind.sequence,
        },
        now,
    );
    assert_eq!(
        events(&mut s),
        [Event::Bound {
            system_id: "smsc".into()
        }]
    );
    s
}

fn message(text: &str) -> Outgoing {
    Outgoing {
        from: "+4930123456".into(),
        to: "+4915112345678".into(),
        text: text.into(),
        receipt: true,
    }
}

fn accept(s: &mut Session, sequence: u32, id: &str, now: u64) {
    feed(
        s,
        Pdu {
            command: Command::SubmitSmResp(SmResp {
                message_id: id.into(),
            }),
            status: Status::OK,
            sequence,
        },
        now,
    );
}

#[test]
fn a_refused_bind_is_reported() {
    let mut s = Session::new(config());
    s.connected(0);
    let bind = sent(&mut s).remove(0);
    feed(
        &mut s,
        Pdu {
            command: Command::BindTransceiverResp(BindResp::default()),
            status: Status::INVALID_PASSWORD,
            sequence: bind.sequence,
        },
        5,
    );
    assert_eq!(
        events(&mut s),
        [Event::BindRefused {
            status: Status::INVALID_PASSWORD
        }]
    );
    assert!(!s.is_bound());
}

#[test]
fn the_window_bounds_outstanding_submits_and_parts_make_one_acceptance() {
    let mut s = bound(0);
    // Three parts, a window of two.
    let long = s.send(&message(&"x".repeat(400)), 0).unwrap();
    let first = sent(&mut s);
    assert_eq!(first.len(), 2, "the window holds two");
    assert!(first.iter().all(|p| matches!(&p.command, Command::SubmitSm(sm) if sm.registered_delivery == 1 && sm.esm_class == 0x40)));
    accept(&mut s, first[0].sequence, "m1", 10);
    let third = sent(&mut s);
    assert_eq!(third.len(), 1, "an answer frees a slot");
    accept(&mut s, first[1].sequence, "m2", 11);
    assert!(events(&mut s).is_empty(), "not all parts accepted yet");
    accept(&mut s, third[0].sequence, "m3", 12);
    assert_eq!(
        events(&mut s),
        [Event::Accepted {
            handle: long,
            message_ids: vec!["m1".into(), "m2".into(), "m3".into()]
        }]
    );
}

#[test]
fn throttling_pauses_with_growing_backoff_and_the_part_is_sent_again() {
    let mut s = bound(0);
    let h = s.send(&message("Hallo"), 0).unwrap();
    let p = sent(&mut s).remove(0);
    feed(
        &mut s,
        Pdu {
            command: Command::SubmitSmResp(SmResp::default()),
            status: Status::THROTTLED,
            sequence: p.sequence,
        },
        100,
    );
    assert_eq!(events(&mut s), [Event::Throttled { until: 1100 }]);
    assert!(sent(&mut s).is_empty(), "paused");
    assert_eq!(s.poll_timeout(), Some(1100));
    s.handle_timeout(1100);
    let again = sent(&mut s).remove(0);
    feed(
        &mut s,
        Pdu {
            command: Command::SubmitSmResp(SmResp::default()),
            status: Status::MESSAGE_QUEUE_FULL,
            sequence: again.sequence,
        },
        1200,
    );
    assert_eq!(
        events(&mut s),
        [Event::Throttled { until: 3200 }],
        "twice as long"
    );
    s.handle_timeout(3200);
    let third = sent(&mut s).remove(0);
    accept(&mut s, third.sequence, "ok", 3300);
    assert_eq!(
        events(&mut s),
        [Event::Accepted {
            handle: h,
            message_ids: vec!["ok".into()]
        }]
    );
}

#[test]
fn a_permanent_refusal_fails_the_message() {
    let mut s = bound(0);
    let h = s.send(&message("Hallo"), 0).unwrap();
    let p = sent(&mut s).remove(0);
    feed(
        &mut s,
        Pdu {
            command: Command::SubmitSmResp(SmResp::default()),
            status: Status::INVALID_DESTINATION_ADDRESS,
            sequence: p.sequence,
        },
        5,
    );
    assert_eq!(
        events(&mut s),
        [Event::Failed {
            handle: h,
            status: Status::INVALID_DESTINATION_ADDRESS
        }]
    );
}

fn receipt_pdu(id: &str, sequence: u32) -> Pdu {
    Pdu::request(
        Command::DeliverSm(Sm {
            esm_class: 0x04,
            short_message: receipt::text(id, DeliveryState::Delivered, "000").into_bytes(),
            tlvs: vec![Tlv::c_string(tag::RECEIPTED_MESSAGE_ID, id)],
            ..Sm::default()
        }),
        sequence,
    )
}

#[test]
fn a_receipt_is_matched_to_its_message_even_when_it_arrives_before_the_answer() {
    let mut s = bound(0);
    let h = s.send(&message("Hallo"), 0).unwrap();
    let p = sent(&mut s).remove(0);
    feed(&mut s, receipt_pdu("abc", 900), 5);
    let answered = sent(&mut s);
    assert!(
        matches!(
            answered[..],
            [Pdu {
                command: Command::DeliverSmResp(_),
                sequence: 900,
                ..
            }]
        ),
        "every deliver_sm is answered"
    );
    assert!(events(&mut s).is_empty(), "held until its message is known");
    accept(&mut s, p.sequence, "abc", 6);
    assert_eq!(
        events(&mut s),
        [
            Event::Accepted {
                handle: h,
                message_ids: vec!["abc".into()]
            },
            Event::Receipt {
                handle: Some(h),
                message_id: "abc".into(),
                state: DeliveryState::Delivered,
                error: Some("000".into()),
            }
        ]
    );
    // A receipt for an id never sent is reported after the wait, without a message.
    feed(&mut s, receipt_pdu("stranger", 901), 10);
    sent(&mut s);
    s.handle_timeout(10 + 60_000);
    assert!(matches!(
        &events(&mut s)[..],
        [Event::Receipt { handle: None, message_id, .. }] if message_id == "stranger"
    ));
}

#[test]
fn incoming_messages_are_answered_and_joined() {
    let mut s = bound(0);
    let parts =
        smpp_proto::concat::split(&"Grüß Gott ".repeat(20), smpp_proto::concat::Method::Udh, 3)
            .unwrap();
    for (i, p) in parts.iter().enumerate().rev() {
        let sm = Sm {
            source: smpp_proto::pdu::Address::international("+4915112345678"),
            dest: smpp_proto::pdu::Address::international("+4930123456"),
            esm_class: p.esm_class,
            data_coding: p.data_coding,
            short_message: p.short_message.clone(),
            ..Sm::default()
        };
        feed(
            &mut s,
            Pdu::request(Command::DeliverSm(sm), 50 + i as u32),
            1,
        );
    }
    // Every part but the one that completes the message is answered at once; that one waits
    // until the shell has stored the message.
    let early = sent(&mut s);
    assert_eq!(early.len(), parts.len() - 1, "{early:?}");
    assert!(early.iter().all(|p| p.status == Status::OK));
    let ack = match &events(&mut s)[..] {
        [Event::Received { message, ack }] => {
            assert_eq!(message.text, "Grüß Gott ".repeat(20));
            assert_eq!(message.source, "+4915112345678");
            ack.expect("the last part waits for the shell")
        }
        other => panic!("{other:?}"),
    };
    assert!(sent(&mut s).is_empty());
    s.acknowledge(ack, Status::OK);
    let last = sent(&mut s);
    assert_eq!(last.len(), 1);
    assert!(matches!(last[0].command, Command::DeliverSmResp(_)));
    // The parts came last to first: the completing one is the first part (sequence 50).
    assert_eq!((last[0].status, last[0].sequence), (Status::OK, 50));
}

#[test]
fn a_message_the_shell_could_not_store_is_refused_for_now() {
    let mut s = bound(0);
    let sm = Sm {
        source: smpp_proto::pdu::Address::international("+4915112345678"),
        dest: smpp_proto::pdu::Address::international("+4930123456"),
        short_message: b"Hallo".to_vec(),
        ..Sm::default()
    };
    feed(&mut s, Pdu::request(Command::DeliverSm(sm), 60), 1);
    assert!(sent(&mut s).is_empty(), "not answered before it is stored");
    let Some(Event::Received { ack: Some(ack), .. }) = s.poll_event() else {
        panic!("a message");
    };
    s.acknowledge(ack, Status::TEMPORARY_APP_ERROR);
    let out = sent(&mut s);
    // ESME_RX_T_APPN: the SMSC keeps the message and delivers it again.
    assert_eq!((out[0].status, out[0].sequence), (Status(0x64), 60));
    // The session goes on.
    feed(&mut s, Pdu::request(Command::EnquireLink, 61), 2);
    assert_eq!(sent(&mut s)[0].command, Command::EnquireLinkResp);
}

#[test]
fn a_malformed_pdu_gets_a_generic_nack_and_the_session_goes_on() {
    let mut s = bound(0);
    // An unknown command id, then an enquire_link.
    let mut bad = Pdu::request(Command::EnquireLink, 77).encode().unwrap();
    bad[4..8].copy_from_slice(&0x0000_0099u32.to_be_bytes());
    s.handle_bytes(&bad, 1);
    feed(&mut s, Pdu::request(Command::EnquireLink, 78), 2);
    let out = sent(&mut s);
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].command, Command::GenericNack);
    assert_eq!(
        (out[0].status, out[0].sequence),
        (Status::INVALID_COMMAND_ID, 77)
    );
    assert_eq!(
        (out[1].command.clone(), out[1].sequence),
        (Command::EnquireLinkResp, 78)
    );
    assert!(s.is_bound());
}

#[test]
fn an_idle_link_is_checked_and_a_silent_smsc_loses_the_connection() {
    let mut s = bound(0);
    assert_eq!(s.poll_timeout(), Some(30_000));
    s.handle_timeout(30_000);
    let probe = sent(&mut s).remove(0);
    assert_eq!(probe.command, Command::EnquireLink);
    s.handle_timeout(60_000);
    assert_eq!(
        events(&mut s),
        [Event::ConnectionLost {
            reason: "the SMSC did not answer enquire_link"
        }]
    );
}

#[test]
fn parts_not_answered_before_a_lost_connection_are_sent_again_after_the_next_bind() {
    let mut s = bound(0);
    let h: MessageHandle = s.send(&message("Hallo"), 0).unwrap();
    let first = sent(&mut s).remove(0);
    s.disconnected();
    s.connected(100);
    let bind = sent(&mut s).remove(0);
    feed(
        &mut s,
        Pdu {
            command: Command::BindTransceiverResp(BindResp::default()),
            status: Status::OK,
            sequence: bind.sequence,
        },
        101,
    );
    let again = sent(&mut s).remove(0);
    assert_eq!(again.command, first.command, "the same part again");
    accept(&mut s, again.sequence, "x", 102);
    assert!(events(&mut s).contains(&Event::Accepted {
        handle: h,
        message_ids: vec!["x".into()]
    }));
}

#[test]
fn the_rate_limit_spreads_parts_over_seconds() {
    let mut s = Session::new(SessionConfig {
        max_per_second: Some(2),
        window: 10,
        ..config()
    });
    s.connected(0);
    let bind = sent(&mut s).remove(0);
    feed(
        &mut s,
        Pdu {
            command: Command::BindTransceiverResp(BindResp::default()),
            status: Status::OK,
            sequence: bind.sequence,
        },
        0,
    );
    for _ in 0..5 {
        s.send(&message("Hallo"), 0).unwrap();
    }
    assert_eq!(sent(&mut s).len(), 2);
    assert_eq!(s.poll_timeout(), Some(1000));
    s.handle_timeout(1000);
    assert_eq!(sent(&mut s).len(), 2);
    s.handle_timeout(2000);
    assert_eq!(sent(&mut s).len(), 1);
}
