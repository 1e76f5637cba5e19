//! The jitter buffer on hand-made arrival patterns.

use std::time::Duration;

use media::jitter::{Concealment, JitterBuffer, JitterConfig, Playout, PushOutcome};

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

/// Pushes frame `n` (seq 1000 + n, timestamp 160 n, payload [n]) arriving at `at` ms.
fn push(jb: &mut JitterBuffer, n: u16, at: u64) -> PushOutcome {
    jb.push(1000 + n, 160 * u32::from(n), &[n as u8], ms(at))
}

fn tag(p: &Playout) -> String {
    match p {
        Playout::Frame { payload, .. } => format!("{}", payload[0]),
        Playout::Conceal {
            concealment: Concealment::Repeat(p),
            ..
        } => format!("r{}", p[0]),
        Playout::Conceal {
            concealment: Concealment::Silence,
            ..
        } => "s".into(),
        Playout::Waiting => "w".into(),
    }
}

#[test]
fn reorders_drops_duplicates_and_conceals() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    // Frames 0..8 at 20 ms spacing, with 2 and 3 swapped, 1 duplicated, and 5, 6, 7 lost.
    let arrivals = [
        (0, 0),
        (1, 20),
        (1, 21),
        (3, 40),
        (2, 45),
        (4, 80),
        (8, 160),
        (9, 180),
    ];
    let outcomes: Vec<PushOutcome> = arrivals
        .iter()
        .map(|&(n, at)| push(&mut jb, n, at))
        .collect();
    assert_eq!(outcomes[2], PushOutcome::Duplicate);
    // Playout every 20 ms from t = 0.
    let played: Vec<String> = (0..12).map(|i| tag(&jb.pop(ms(i * 20)))).collect();
    assert_eq!(
        played,
        vec![
            "w", "0", "1", "2", "3", "4", "r4", "r4", "s", "8", "9", "r9"
        ]
    );
    assert_eq!(jb.stats().duplicates, 1);
    assert_eq!(jb.stats().concealed, 4);
}

#[test]
fn packets_after_their_slot_are_too_late() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    push(&mut jb, 0, 0);
    push(&mut jb, 2, 40);
    let played: Vec<String> = (1..=3).map(|i| tag(&jb.pop(ms(i * 20)))).collect();
    assert_eq!(played, vec!["0", "r0", "2"]);
    assert_eq!(push(&mut jb, 1, 70), PushOutcome::TooLate);
    assert_eq!(jb.stats().late, 1);
}

#[test]
fn target_delay_follows_jitter_within_bounds() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    for n in 0..50u16 {
        push(&mut jb, n, u64::from(n) * 20);
    }
    assert_eq!(jb.target_delay(), ms(20));
    let mut jb = JitterBuffer::new(JitterConfig::default());
    for n in 0..200u16 {
        // ±15 ms alternating: heavy jitter.
        push(
            &mut jb,
            n,
            u64::from(n) * 20 + if n % 2 == 0 { 0 } else { 30 },
        );
    }
    assert!(
        jb.target_delay() > ms(80) && jb.target_delay() <= ms(200),
        "{:?}",
        jb.target_delay()
    );
    let mut jb = JitterBuffer::new(JitterConfig::default());
    for n in 0..200u16 {
        push(
            &mut jb,
            n,
            u64::from(n) * 20 + if n % 2 == 0 { 0 } else { 400 },
        );
    }
    assert_eq!(jb.target_delay(), ms(200));
}

#[test]
fn a_restarted_stream_resynchronises() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    push(&mut jb, 0, 0);
    assert_eq!(tag(&jb.pop(ms(20))), "0");
    // A new timestamp base about ten minutes away.
    assert_eq!(
        jb.push(5000, 8000 * 600, &[42], ms(40)),
        PushOutcome::Resynchronised
    );
    assert_eq!(tag(&jb.pop(ms(60))), "42");
}
