//! Routing rules on a virtual clock: a filter picks the rule, its targets escalate with time
//! without losing the task's place, a target's priority bump, named agents, the fall-back to
//! the queue's own skills after the last target, and the typed refusal of bad rules.

use crate::helpers::{Sim, a, agent, pair, q, queue, t, task};
use routing::rules::{RuleDiagnostic, check_rules};
use routing::{
    AttributeTest, Channel, Event, LevelRange, QueueSpec, RoutingError, RoutingRule, RuleProblem,
    RuleStage, RuleTarget, TaskCondition, TaskSpec,
};
use std::collections::BTreeSet;

fn target(skills: &[(&str, u8, u8)], timeout_ms: Option<u64>) -> RuleTarget {
    RuleTarget {
        skills: skills
            .iter()
            .map(|(s, min, max)| {
                (
                    s.to_string(),
                    LevelRange {
                        min: *min,
                        max: *max,
                    },
                )
            })
            .collect(),
        agents: None,
        timeout_ms,
        priority_bump: 0,
    }
}

fn vip_filter() -> Vec<TaskCondition> {
    vec![TaskCondition::Attribute {
        name: "segment".into(),
        test: AttributeTest::Equals("vip".into()),
    }]
}

fn vip(id: &str, queue: &str) -> TaskSpec {
    let mut spec = task(id, queue, Channel::Voice, 0);
    spec.attributes.insert("segment".into(), "vip".into());
    spec
}

/// Queue `q` (no skills of its own) with one rule: VIP callers go to experts (crisis 8–10)
/// for 20 s, then to anyone with crisis ≥ 3 for 30 s, then to the queue's own skills.
fn vip_queue() -> QueueSpec {
    let mut spec = queue("q", &[]);
    spec.rules = vec![RoutingRule {
        name: "vip".into(),
        filter: vip_filter(),
        targets: vec![
            target(&[("crisis", 8, 10)], Some(20_000)),
            target(&[("crisis", 3, 10)], Some(30_000)),
        ],
    }];
    spec
}

#[test]
fn a_matching_task_waits_for_the_first_target_then_escalates() {
    let mut sim = Sim::new();
    sim.add_queue(vip_queue());
    sim.add_agent(agent("novice", &[("crisis", 4)], &[]));
    sim.enqueue(vip("t1", "q"));
    // The novice is free but not an expert: the task waits for target 0.
    assert!(sim.offers().is_empty());
    assert_eq!(
        sim.router.rule_stage(&t("t1")),
        Some(RuleStage {
            rule: 0,
            name: "vip".into(),
            target: Some(0)
        })
    );
    assert_eq!(sim.router.poll_timeout(), Some(20_000));
    sim.advance_to(19_999);
    assert!(sim.events().is_empty());
    sim.advance_to(20_000);
    assert_eq!(
        sim.events(),
        vec![
            Event::TaskEscalated {
                task: t("t1"),
                queue: q("q"),
                rule: "vip".into(),
                target: Some(1)
            },
            Event::OfferMade {
                task: t("t1"),
                agent: a("novice"),
                expires_at_ms: 30_000
            },
        ]
    );
}

#[test]
fn a_task_matching_no_rule_uses_the_queues_own_skills() {
    let mut sim = Sim::new();
    let mut spec = vip_queue();
    spec.required_skills.insert("billing".into(), 2);
    sim.add_queue(spec);
    sim.add_agent(agent("expert", &[("crisis", 9)], &[]));
    sim.add_agent(agent("biller", &[("billing", 2)], &[]));
    sim.enqueue(task("plain", "q", Channel::Voice, 0));
    sim.enqueue(vip("gold", "q"));
    assert_eq!(
        sim.offers(),
        vec![pair("plain", "biller"), pair("gold", "expert")]
    );
    assert_eq!(sim.router.rule_stage(&t("plain")), None);
}

#[test]
fn escalation_keeps_the_tasks_place_by_age() {
    let mut sim = Sim::new();
    sim.add_queue(vip_queue());
    // t1 (VIP) waits for an expert from 0; t2 (plain) comes at 5 s.
    sim.enqueue(vip("t1", "q"));
    sim.now = 5_000;
    sim.enqueue(task("t2", "q", Channel::Voice, 0));
    assert_eq!(sim.router.position(&t("t1")), Some(1));
    assert_eq!(sim.router.position(&t("t2")), Some(2));
    sim.advance_to(20_000);
    assert!(matches!(
        sim.events().as_slice(),
        [Event::TaskEscalated { .. }]
    ));
    // An agent with crisis 3 arrives at 25 s: both tasks are theirs to take; the older goes
    // first although it waited in a narrower target until 20 s.
    sim.advance_to(25_000);
    sim.add_agent(agent("general", &[("crisis", 3)], &[]));
    assert_eq!(sim.offers(), vec![pair("t1", "general")]);
    assert_eq!(sim.router.position(&t("t2")), Some(2));
}

#[test]
fn a_priority_bump_puts_the_task_ahead_while_its_target_is_in_force() {
    let mut sim = Sim::new();
    let mut spec = queue("q", &[]);
    let mut first = target(&[], Some(10_000));
    first.priority_bump = 5;
    spec.rules = vec![RoutingRule {
        name: "vip".into(),
        filter: vip_filter(),
        targets: vec![first, target(&[], None)],
    }];
    sim.add_queue(spec);
    sim.enqueue(task("old", "q", Channel::Voice, 0));
    sim.now = 1_000;
    sim.enqueue(vip("bumped", "q"));
    assert_eq!(sim.router.position(&t("bumped")), Some(1));
    assert_eq!(sim.router.position(&t("old")), Some(2));
    // At 11 s the second target (no bump) is in force: age decides again.
    sim.advance_to(11_000);
    assert_eq!(sim.router.position(&t("old")), Some(1));
    assert_eq!(sim.router.position(&t("bumped")), Some(2));
    sim.add_agent(agent("a1", &[], &[]));
    assert_eq!(sim.offers(), vec![pair("old", "a1")]);
}

#[test]
fn a_named_agent_list_and_the_fall_back_after_the_last_target() {
    let mut sim = Sim::new();
    let mut spec = queue("q", &[("crisis", 1)]);
    let mut named = target(&[], Some(15_000));
    named.agents = Some(BTreeSet::from([a("own-counsellor")]));
    spec.rules = vec![RoutingRule {
        name: "returning caller".into(),
        filter: vec![TaskCondition::Attribute {
            name: "counsellor".into(),
            test: AttributeTest::Exists,
        }],
        targets: vec![named],
    }];
    sim.add_queue(spec);
    sim.add_agent(agent("other", &[("crisis", 5)], &[]));
    sim.add_agent(agent("own-counsellor", &[], &[]));
    sim.router
        .handle_presence(&a("own-counsellor"), routing::Presence::Busy, 0)
        .expect("busy");
    sim.events();
    let mut spec = task("t1", "q", Channel::Voice, 0);
    spec.attributes
        .insert("counsellor".into(), "own-counsellor".into());
    sim.enqueue(spec);
    // Only the named counsellor may take it for 15 s, and they are busy.
    assert!(sim.offers().is_empty());
    sim.advance_to(15_000);
    assert_eq!(
        sim.events(),
        vec![
            Event::TaskEscalated {
                task: t("t1"),
                queue: q("q"),
                rule: "returning caller".into(),
                target: None
            },
            Event::OfferMade {
                task: t("t1"),
                agent: a("other"),
                expires_at_ms: 25_000
            },
        ]
    );
}

#[test]
fn a_late_timeout_goes_straight_to_the_target_in_force() {
    let mut sim = Sim::new();
    sim.add_queue(vip_queue());
    sim.enqueue(vip("t1", "q"));
    // Nobody called handle_timeout at 20 s; at 55 s both targets have passed.
    sim.now = 55_000;
    sim.router.handle_timeout(sim.now);
    assert_eq!(
        sim.events(),
        vec![Event::TaskEscalated {
            task: t("t1"),
            queue: q("q"),
            rule: "vip".into(),
            target: None
        }]
    );
    assert_eq!(sim.router.poll_timeout(), None);
}

#[test]
fn conditions_on_attributes_channel_language_and_priority() {
    let mut spec = task("t", "q", Channel::Chat, 3);
    spec.language = Some("de".into());
    spec.attributes.insert("topic".into(), "debt".into());
    let one_of =
        |values: &[&str]| AttributeTest::OneOf(values.iter().map(|v| v.to_string()).collect());
    let attr = |name: &str, test| TaskCondition::Attribute {
        name: name.into(),
        test,
    };
    let cases = [
        (attr("topic", AttributeTest::Equals("debt".into())), true),
        (attr("topic", AttributeTest::Equals("Debt".into())), false),
        (attr("topic", one_of(&["rent", "debt"])), true),
        (attr("topic", one_of(&["rent"])), false),
        (attr("topic", AttributeTest::Exists), true),
        (attr("missing", AttributeTest::Exists), false),
        (attr("missing", AttributeTest::Absent), true),
        (attr("missing", one_of(&["x"])), false),
        (
            TaskCondition::Channel(BTreeSet::from([Channel::Chat, Channel::Sms])),
            true,
        ),
        (
            TaskCondition::Channel(BTreeSet::from([Channel::Voice])),
            false,
        ),
        (
            TaskCondition::Language(BTreeSet::from(["de".to_string()])),
            true,
        ),
        (
            TaskCondition::Language(BTreeSet::from(["en".to_string()])),
            false,
        ),
        (
            TaskCondition::Priority {
                min: Some(3),
                max: None,
            },
            true,
        ),
        (
            TaskCondition::Priority {
                min: None,
                max: Some(2),
            },
            false,
        ),
        (
            TaskCondition::Priority {
                min: Some(1),
                max: Some(3),
            },
            true,
        ),
    ];
    for (condition, holds) in cases {
        assert_eq!(condition.holds(&spec), holds, "{condition:?}");
    }
    let mut no_language = spec.clone();
    no_language.language = None;
    assert!(!TaskCondition::Language(BTreeSet::from(["de".to_string()])).holds(&no_language));
}

#[test]
fn the_first_matching_rule_wins_and_an_empty_filter_matches_everything() {
    let mut sim = Sim::new();
    let mut spec = queue("q", &[]);
    spec.rules = vec![
        RoutingRule {
            name: "vip".into(),
            filter: vip_filter(),
            targets: vec![target(&[("crisis", 8, 10)], None)],
        },
        RoutingRule {
            name: "everyone else".into(),
            filter: vec![],
            targets: vec![target(&[("crisis", 1, 10)], None)],
        },
    ];
    sim.add_queue(spec);
    sim.enqueue(vip("gold", "q"));
    sim.enqueue(task("plain", "q", Channel::Voice, 0));
    let stage = |id: &str| sim.router.rule_stage(&t(id)).map(|s| (s.rule, s.target));
    assert_eq!(stage("gold"), Some((0, Some(0))));
    assert_eq!(stage("plain"), Some((1, Some(0))));
}

#[test]
fn bad_rules_are_refused_with_every_problem_named() {
    let mut bad = target(&[("crisis", 7, 11)], Some(0));
    bad.agents = Some(BTreeSet::new());
    let rules = vec![
        RoutingRule {
            name: "a".into(),
            filter: vec![
                TaskCondition::Channel(BTreeSet::new()),
                TaskCondition::Priority {
                    min: Some(5),
                    max: Some(1),
                },
            ],
            targets: vec![],
        },
        RoutingRule {
            name: "a".into(),
            filter: vec![],
            targets: vec![target(&[("crisis", 5, 3)], None), bad, target(&[], None)],
        },
    ];
    let diagnostic = |rule, problem| RuleDiagnostic { rule, problem };
    assert_eq!(
        check_rules(&rules),
        vec![
            diagnostic(0, RuleProblem::EmptyChoice { condition: 0 }),
            diagnostic(
                0,
                RuleProblem::EmptyPriorityRange {
                    condition: 1,
                    min: 5,
                    max: 1
                }
            ),
            diagnostic(0, RuleProblem::NoTargets),
            diagnostic(1, RuleProblem::DuplicateName("a".into())),
            diagnostic(
                1,
                RuleProblem::InvalidLevelRange {
                    target: 0,
                    skill: "crisis".into(),
                    min: 5,
                    max: 3
                }
            ),
            diagnostic(1, RuleProblem::NoTimeoutBeforeLast { target: 0 }),
            diagnostic(
                1,
                RuleProblem::InvalidLevelRange {
                    target: 1,
                    skill: "crisis".into(),
                    min: 7,
                    max: 11
                }
            ),
            diagnostic(1, RuleProblem::EmptyAgentList { target: 1 }),
            diagnostic(1, RuleProblem::ZeroTimeout { target: 1 }),
        ]
    );
    // The router names the first; a queue with one bad rule is not added.
    let mut sim = Sim::new();
    let mut spec = queue("q", &[]);
    spec.rules = rules;
    assert_eq!(
        sim.router.handle_add_queue(spec, true, 0),
        Err(RoutingError::InvalidRule {
            queue: q("q"),
            rule: 0,
            problem: RuleProblem::EmptyChoice { condition: 0 }
        })
    );
    assert!(sim.router.queue(&q("q")).is_none());
    assert!(sim.events().is_empty());
}

#[test]
fn updating_a_queues_rules_rematches_its_waiting_tasks() {
    let mut sim = Sim::new();
    sim.add_queue(queue("q", &[]));
    sim.enqueue(vip("t1", "q"));
    // No agent yet; the VIP task is routed by the queue's own (empty) skills.
    assert_eq!(sim.router.rule_stage(&t("t1")), None);
    sim.now = 12_000;
    sim.router
        .handle_update_queue(vip_queue(), sim.now)
        .expect("update");
    // Targets count from when the task entered the queue: 12 s in, target 0 is in force
    // until 20 s.
    assert_eq!(
        sim.router.rule_stage(&t("t1")).map(|s| s.target),
        Some(Some(0))
    );
    assert_eq!(sim.router.poll_timeout(), Some(20_000));
    sim.add_agent(agent("novice", &[("crisis", 4)], &[]));
    assert!(sim.offers().is_empty());
    // An agent update that makes them an expert offers them the task at once.
    sim.router
        .handle_update_agent(agent("novice", &[("crisis", 8)], &[]), 13_000)
        .expect("update agent");
    assert_eq!(sim.offers(), vec![pair("t1", "novice")]);
}
