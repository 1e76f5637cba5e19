//! UAC ↔ UAS simulations over the lossy virtual network: retransmissions, timers, CANCEL races
//! and in-dialog requests, all on a virtual clock.

use sip_proto::Method;
use sip_proto::call::{CallState, HangupReason, UaEvent};

use crate::sim::{Fate, Filter, Packet, Pair, drop_first, media};

/// INVITE sent, delivered, Incoming seen at the UAS.
fn invited(filter: Option<Filter>) -> (Pair, sip_proto::call::CallId) {
    let mut p = Pair::new();
    if let Some(f) = filter {
        p.filter = f;
    }
    p.uac.invite(0);
    assert!(
        p.run_until(5_000, |p| p.incoming().is_some()),
        "INVITE never arrived"
    );
    let call = p.incoming().expect("incoming call");
    (p, call)
}

fn established(p: &Pair) -> bool {
    p.has_event(|e| matches!(e, UaEvent::Established { .. }))
}

#[test]
fn basic_call_with_100_trying_ringing_answer_and_ack() {
    let (mut p, call) = invited(None);
    let now = p.now;
    p.uas.ring(call, now).unwrap();
    let answer = p
        .uas
        .answer(call, media(), now)
        .unwrap()
        .expect("an SDP answer");
    assert_eq!(answer.payload_type, 8, "first offered codec we support");
    assert_eq!(answer.telephone_event, Some(101));
    p.run(1_000);
    assert!(established(&p));
    assert_eq!(p.uas.call_state(call), Some(CallState::Confirmed));
    assert_eq!(p.uac.count(100, &Method::Invite), 1);
    assert_eq!(p.uac.count(180, &Method::Invite), 1);
    assert_eq!(p.uac.count(200, &Method::Invite), 1);
    assert_eq!(p.uac.acks_sent, 1);
    // No 2xx retransmission after the ACK.
    p.run(40_000);
    assert_eq!(p.count_sent(|x| x.is_response(200, &Method::Invite)), 1);
}

#[test]
fn lost_invite_is_retransmitted_by_timer_a() {
    let (mut p, call) = invited(Some(drop_first(1, |x| x.is_request(&Method::Invite))));
    assert_eq!(
        p.now,
        500 + 10,
        "the retransmission at T1 arrives after the latency"
    );
    let now = p.now;
    p.uas.answer(call, media(), now).unwrap();
    p.run(1_000);
    assert!(established(&p));
    let incoming = p
        .uas_events
        .iter()
        .filter(|e| matches!(e, UaEvent::Incoming(_)))
        .count();
    assert_eq!(incoming, 1);
}

#[test]
fn lost_200_is_retransmitted_until_ack() {
    let (mut p, call) = invited(Some(drop_first(2, |x| x.is_response(200, &Method::Invite))));
    let now = p.now;
    p.uas.answer(call, media(), now).unwrap();
    p.run(5_000);
    assert!(established(&p));
    assert_eq!(
        p.count_sent(|x| x.is_response(200, &Method::Invite)),
        3,
        "sent at 0, T1, 3·T1"
    );
    assert_eq!(p.uac.acks_sent, 1);
}

#[test]
fn lost_ack_makes_the_uas_retransmit_and_the_uac_ack_again() {
    let (mut p, call) = invited(Some(drop_first(1, |x| x.is_request(&Method::Ack))));
    let now = p.now;
    p.uas.answer(call, media(), now).unwrap();
    p.run(5_000);
    assert!(established(&p));
    assert_eq!(p.uac.acks_sent, 2);
    assert_eq!(p.count_sent(|x| x.is_response(200, &Method::Invite)), 2);
}

#[test]
fn ack_never_arrives_so_the_uas_hangs_up_after_64_t1() {
    let (mut p, call) = invited(Some(Box::new(|x: &Packet| {
        if x.is_request(&Method::Ack) {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    })));
    let now = p.now;
    p.uas.answer(call, media(), now).unwrap();
    p.run(40_000);
    assert!(p.has_event(|e| matches!(
        e,
        UaEvent::Hangup {
            reason: HangupReason::AckTimeout,
            ..
        }
    )));
    assert!(p.uac.requests.contains(&Method::Bye));
    // 200 at 0, .5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5 s.
    assert_eq!(p.count_sent(|x| x.is_response(200, &Method::Invite)), 11);
}

#[test]
fn cancel_before_answer_gets_487() {
    let (mut p, call) = invited(None);
    let now = p.now;
    p.uas.ring(call, now).unwrap();
    p.uac.cancel(now);
    p.run(1_000);
    assert!(p.has_event(|e| matches!(e, UaEvent::Cancelled { .. })));
    assert_eq!(p.uac.count(200, &Method::Cancel), 1);
    assert_eq!(p.uac.count(487, &Method::Invite), 1);
    assert_eq!(
        p.count_sent(|x| x.is_request(&Method::Ack)),
        1,
        "the transaction layer ACKs the 487"
    );
    assert_eq!(p.uas.call_state(call), None);
    // The INVITE transaction saw its ACK, so the 487 is not retransmitted.
    p.run(40_000);
    assert_eq!(p.count_sent(|x| x.is_response(487, &Method::Invite)), 1);
}

#[test]
fn cancel_racing_the_200_leaves_an_established_call() {
    let (mut p, call) = invited(None);
    let now = p.now;
    p.uas.answer(call, media(), now).unwrap();
    p.uac.cancel(now);
    p.run(2_000);
    assert!(established(&p));
    assert!(!p.has_event(|e| matches!(e, UaEvent::Cancelled { .. })));
    assert_eq!(p.uac.count(487, &Method::Invite), 0);
    assert_eq!(p.uac.count(200, &Method::Cancel), 1);
    // The UAC, having cancelled, hangs up the answered call.
    let now = p.now;
    p.uac.in_dialog(Method::Bye, None, now);
    p.run(1_000);
    assert!(p.has_event(|e| matches!(
        e,
        UaEvent::Hangup {
            reason: HangupReason::RemoteBye,
            ..
        }
    )));
}

#[test]
fn bye_from_the_caller() {
    let (mut p, call) = invited(None);
    let now = p.now;
    p.uas.answer(call, media(), now).unwrap();
    p.run(1_000);
    let now = p.now;
    p.uac.in_dialog(Method::Bye, None, now);
    p.run(1_000);
    assert_eq!(p.uac.count(200, &Method::Bye), 1);
    assert!(p.has_event(|e| matches!(
        e,
        UaEvent::Hangup {
            reason: HangupReason::RemoteBye,
            ..
        }
    )));
    assert_eq!(p.uas.call_state(call), None);
}

#[test]
fn bye_from_the_server_with_a_lost_response() {
    let (mut p, call) = invited(Some(drop_first(1, |x| x.is_response(200, &Method::Bye))));
    let now = p.now;
    p.uas.answer(call, media(), now).unwrap();
    p.run(1_000);
    let now = p.now;
    p.uas.hangup(call, now).unwrap();
    assert_eq!(p.uas.call_state(call), Some(CallState::Terminating));
    p.run(5_000);
    assert!(p.has_event(|e| matches!(
        e,
        UaEvent::Hangup {
            reason: HangupReason::LocalBye,
            ..
        }
    )));
    assert_eq!(
        p.count_sent(|x| x.is_request(&Method::Bye)),
        2,
        "timer E retransmitted the BYE"
    );
    assert_eq!(
        p.uac.requests.iter().filter(|m| **m == Method::Bye).count(),
        1,
        "retransmission absorbed"
    );
}

#[test]
fn hangup_before_ack_waits_for_the_ack() {
    let (mut p, call) = invited(Some(drop_first(1, |x| x.is_request(&Method::Ack))));
    let now = p.now;
    p.uas.answer(call, media(), now).unwrap();
    p.uas.hangup(call, now).unwrap();
    p.run(5_000);
    assert!(established(&p));
    assert!(p.uac.requests.contains(&Method::Bye));
    assert!(p.has_event(|e| matches!(
        e,
        UaEvent::Hangup {
            reason: HangupReason::LocalBye,
            ..
        }
    )));
}

#[test]
fn rejected_call_gets_its_final_response_retransmitted_until_ack() {
    let (mut p, call) = invited(Some(drop_first(1, |x| x.is_response(486, &Method::Invite))));
    let now = p.now;
    p.uas.reject(call, 486, now).unwrap();
    p.run(40_000);
    assert_eq!(p.uac.count(486, &Method::Invite), 1);
    assert_eq!(
        p.count_sent(|x| x.is_response(486, &Method::Invite)),
        2,
        "timer G"
    );
}

#[test]
fn random_loss_duplication_and_reordering_still_complete_calls() {
    for seed in 1..=30u64 {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let filter = Box::new(move |_: &Packet| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            match state % 10 {
                0 => Fate::Drop,
                1 => Fate::Duplicate,
                2 => Fate::Delay(300),
                _ => Fate::Deliver,
            }
        });
        let mut p = Pair::new();
        p.filter = filter;
        p.uac.invite(0);
        assert!(
            p.run_until(40_000, |p| p.incoming().is_some()),
            "seed {seed}: INVITE lost"
        );
        let call = p.incoming().expect("incoming");
        let now = p.now;
        p.uas.answer(call, media(), now).unwrap();
        assert!(
            p.run_until(40_000, established),
            "seed {seed}: never established"
        );
        let now = p.now;
        p.uac.in_dialog(Method::Bye, None, now);
        let hung_up = |p: &Pair| p.has_event(|e| matches!(e, UaEvent::Hangup { .. }));
        assert!(p.run_until(40_000, hung_up), "seed {seed}: BYE lost");
        let incoming = p
            .uas_events
            .iter()
            .filter(|e| matches!(e, UaEvent::Incoming(_)))
            .count();
        assert_eq!(incoming, 1, "seed {seed}: duplicates must not create calls");
    }
}
