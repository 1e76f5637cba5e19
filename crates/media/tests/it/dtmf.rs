//! The ITU-T Q.24 battery for the in-band detector, after spandsp's `dtmf_rx_tests`. Every signal passes through
//! a µ-law and an A-law round trip before detection.

use media::tone::{DIGITS, DigitTone, ToneGenerator};

use crate::util::{LAWS, Rng, add_noise, detect, detect_events};

const ALL: &str = "123A456B789C*0#D";

fn digits(tone: &DigitTone, gap_ms: u32) -> Vec<i16> {
    let mut g = ToneGenerator::new();
    g.silence(gap_ms);
    // ALL holds only DTMF digits, so this cannot fail.
    g.digits(ALL, tone, gap_ms)
        .map(|g| g.take())
        .unwrap_or_default()
}

fn single(digit: char, tone: &DigitTone) -> Vec<i16> {
    let mut g = ToneGenerator::new();
    g.silence(60);
    let Ok(g) = g.digit(digit, tone) else {
        return Vec::new();
    };
    g.silence(60).take()
}

#[test]
fn all_sixteen_digits_are_detected_in_order() {
    for law in LAWS {
        assert_eq!(
            detect(&digits(&DigitTone::new(50), 50), law),
            ALL,
            "{law:?}"
        );
    }
}

#[test]
fn events_carry_onset_and_end_positions() {
    let mut g = ToneGenerator::new();
    g.silence(100).digit('5', &DigitTone::new(100)).ok();
    g.silence(100);
    let events = detect_events(g.samples(), media::g711::Law::Alaw);
    assert_eq!(events.len(), 2, "{events:?}");
    let (onset, end) = (events[0], events[1]);
    assert_eq!((onset.digit, onset.end_sample), ('5', None));
    assert_eq!(end.digit, '5');
    assert_eq!(end.start_sample, onset.start_sample);
    // The tone runs from sample 800 to 1600; blocks are 102 samples, so positions are within a block of that.
    assert!(onset.start_sample.abs_diff(800) <= 102, "{onset:?}");
    assert!(
        end.end_sample.is_some_and(|e| e.abs_diff(1600) <= 102),
        "{end:?}"
    );
}

/// Q.24: accept ±1.5 % on either tone or both, reject ±3.5 %.
#[test]
fn frequency_deviation_within_1_5_percent_is_accepted_and_beyond_3_5_rejected() {
    let cases: [(f64, f64, bool); 16] = [
        (0.015, 0.0, true),
        (-0.015, 0.0, true),
        (0.0, 0.015, true),
        (0.0, -0.015, true),
        (0.015, 0.015, true),
        (-0.015, -0.015, true),
        (0.015, -0.015, true),
        (-0.015, 0.015, true),
        (0.035, 0.0, false),
        (-0.035, 0.0, false),
        (0.0, 0.035, false),
        (0.0, -0.035, false),
        (0.035, 0.035, false),
        (-0.035, -0.035, false),
        (0.035, -0.035, false),
        (-0.035, 0.035, false),
    ];
    for law in LAWS {
        for (low, high, accept) in cases {
            for level in [-3.0, -15.0, -26.0] {
                let tone = DigitTone {
                    low_deviation: low,
                    high_deviation: high,
                    ..DigitTone::new(60).level(level)
                };
                let got = detect(&digits(&tone, 60), law);
                let want = if accept { ALL } else { "" };
                assert_eq!(got, want, "{law:?} low {low} high {high} at {level} dBm0");
            }
        }
    }
}

/// Q.24: accept 40 ms, reject 23 ms, each with 40 ms pauses, at every alignment to the detector's blocks.
#[test]
fn duration_40_ms_is_accepted_and_23_ms_rejected_at_every_alignment() {
    for law in LAWS {
        for shift in (0..102).step_by(7) {
            for (ms, want) in [(40, ALL), (23, "")] {
                let mut g = ToneGenerator::new();
                g.silence_samples(shift);
                let Ok(g) = g.digits(ALL, &DigitTone::new(ms).level(-10.0), 40) else {
                    unreachable!()
                };
                assert_eq!(
                    detect(g.samples(), law),
                    want,
                    "{law:?} {ms} ms shifted by {shift}"
                );
            }
        }
    }
}

/// Q.24: accept normal twist (low group louder) up to 8 dB and reverse twist up to 4 dB; reject beyond the
/// detector's limits (9 and 5 dB) with a margin of one more dB.
#[test]
fn twist_limits() {
    let cases: [(f64, bool); 8] = [
        (0.0, true),
        (4.0, true),
        (8.0, true),
        (-4.0, true),
        (-2.0, true),
        (10.5, false),
        (-6.5, false),
        (14.0, false),
    ];
    for law in LAWS {
        for (twist, accept) in cases {
            for louder in [-4.0, -12.0, -20.0] {
                for deviation in [0.0, 0.015, -0.015] {
                    // The louder tone sits at `louder`; the other one is `twist` dB weaker.
                    let tone = if twist >= 0.0 {
                        DigitTone::new(60).level(louder).twist(twist)
                    } else {
                        DigitTone {
                            low_dbm0: louder + twist,
                            high_dbm0: louder,
                            ..DigitTone::new(60)
                        }
                    }
                    .deviation(deviation);
                    let want = if accept { ALL } else { "" };
                    assert_eq!(
                        detect(&digits(&tone, 60), law),
                        want,
                        "{law:?} twist {twist} dB, louder tone at {louder} dBm0, deviation {deviation}"
                    );
                }
            }
        }
    }
}

/// At least 26 dB of dynamic range: every digit from −3 to −29 dBm0 per tone; nothing far below the floor.
#[test]
fn dynamic_range_covers_26_db() {
    for law in LAWS {
        for level in (3..=29).map(|l| -f64::from(l)) {
            assert_eq!(
                detect(&digits(&DigitTone::new(60).level(level), 60), law),
                ALL,
                "{law:?} {level} dBm0"
            );
        }
        assert_eq!(
            detect(&digits(&DigitTone::new(60).level(-45.0), 60), law),
            "",
            "{law:?} -45 dBm0"
        );
    }
}

/// Two identical digits separated by 40 ms of silence are two digits; a held digit is one.
#[test]
fn repeated_digit_after_40_ms_pause_is_two_digits() {
    for law in LAWS {
        for d in DIGITS {
            let mut g = ToneGenerator::new();
            let tone = DigitTone::new(45);
            g.silence(30);
            let Ok(g) = g.digit(d, &tone) else {
                unreachable!()
            };
            g.silence(40);
            let Ok(g) = g.digit(d, &tone) else {
                unreachable!()
            };
            g.silence(60);
            assert_eq!(detect(g.samples(), law), format!("{d}{d}"), "{law:?}");
            assert_eq!(
                detect(&single(d, &DigitTone::new(2000)), law),
                d.to_string(),
                "{law:?} held"
            );
        }
    }
}

/// Detection survives white noise: digits at −20 dBm0 per tone (−17 dBm0 together) against noise at −35 to
/// −29 dBm0 (SNR 18 to 12 dB).
#[test]
fn digits_are_detected_in_white_noise() {
    let mut rng = Rng::new(0x5EED_0001);
    for law in LAWS {
        for noise in [-35.0, -32.0, -29.0] {
            for round in 0..3 {
                let mut s = digits(&DigitTone::new(50).level(-20.0), 50);
                add_noise(&mut s, noise, &mut rng);
                assert_eq!(
                    detect(&s, law),
                    ALL,
                    "{law:?} noise {noise} dBm0 round {round}"
                );
            }
        }
    }
}

/// Noise alone, loud or quiet, is never a digit.
#[test]
fn noise_alone_is_not_a_digit() {
    let mut rng = Rng::new(0x5EED_0002);
    for law in LAWS {
        for level in [-40.0, -20.0, -6.0] {
            let mut s = vec![0i16; 8000 * 10];
            add_noise(&mut s, level, &mut rng);
            assert_eq!(detect(&s, law), "", "{law:?} {level} dBm0");
        }
    }
}

/// A single DTMF frequency, or a pair from the same group, is not a digit.
#[test]
fn single_tones_and_same_group_pairs_are_rejected() {
    let cases: [&[(f64, f64)]; 5] = [
        &[(697.0, -10.0)],
        &[(1336.0, -10.0)],
        &[(697.0, -10.0), (770.0, -10.0)],
        &[(1209.0, -10.0), (1477.0, -10.0)],
        &[(697.0, -10.0), (1209.0, -10.0), (1336.0, -10.0)],
    ];
    for law in LAWS {
        for components in cases {
            let mut g = ToneGenerator::new();
            g.tone(components, 500);
            assert_eq!(detect(g.samples(), law), "", "{law:?} {components:?}");
        }
    }
}

/// Measures the accept/reject edges of the detector and prints them (run with `--nocapture` to see them); the
/// assertions keep each edge inside the band Q.24 leaves open.
#[test]
fn measured_margins_lie_inside_the_q24_bands() {
    let law = media::g711::Law::Ulaw;
    // Frequency: the largest deviation (in 0.1 % steps) at which every digit is still detected.
    let mut freq_edge = [0.0f64; 2];
    for (i, sign) in [1.0, -1.0].into_iter().enumerate() {
        freq_edge[i] = (0..=50)
            .map(|t| f64::from(t) / 1000.0)
            .take_while(|&d| {
                detect(&digits(&DigitTone::new(60).deviation(sign * d), 60), law) == ALL
            })
            .last()
            .unwrap_or(0.0);
    }
    // Duration: the shortest tone (in 1 ms steps) accepted at every alignment and the longest rejected at all.
    let accepted_at_all = |ms: u32| {
        (0..102).step_by(3).all(|shift| {
            let mut g = ToneGenerator::new();
            g.silence_samples(shift);
            g.digits("5", &DigitTone::new(ms), 40)
                .is_ok_and(|g| detect(g.samples(), law) == "5")
        })
    };
    let rejected_at_all = |ms: u32| {
        (0..102).step_by(3).all(|shift| {
            let mut g = ToneGenerator::new();
            g.silence_samples(shift);
            g.digits("5", &DigitTone::new(ms), 40)
                .is_ok_and(|g| detect(g.samples(), law).is_empty())
        })
    };
    let shortest_accepted = (20..=45).find(|&ms| accepted_at_all(ms)).unwrap_or(99);
    let longest_rejected = (15..=45)
        .take_while(|&ms| rejected_at_all(ms))
        .last()
        .unwrap_or(0);
    // Level: the quietest level (1 dB steps) at which every digit is detected.
    let quietest = (3..=50)
        .take_while(|&l| detect(&digits(&DigitTone::new(60).level(-f64::from(l)), 60), law) == ALL)
        .last();
    #[allow(clippy::print_stderr)] // The point of this test is also to report the margins.
    {
        eprintln!(
            "Q.24 margins (µ-law): frequency accepted to +{:.1} % / -{:.1} %; shortest tone accepted at all \
             alignments {shortest_accepted} ms, longest rejected at all {longest_rejected} ms; quietest level \
             -{} dBm0 per tone",
            freq_edge[0] * 100.0,
            freq_edge[1] * 100.0,
            quietest.unwrap_or(0)
        );
    }
    for edge in freq_edge {
        assert!((0.015..0.035).contains(&edge), "frequency edge {edge}");
    }
    assert!(shortest_accepted <= 40 && longest_rejected >= 23);
    assert!(quietest.is_some_and(|q| q >= 29));
}
