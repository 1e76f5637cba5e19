//! What a queue's routing rules mean: which rule a task falls under (the first whose filter it
//! meets), which of the rule's targets is in force how long after the task entered the queue,
//! which agents a target admits, and the checks a rule must pass before the router takes it.
//!
//! Escalation is a function of time alone: target `i` is in force from the sum of the
//! timeouts of targets `0..i` after the task entered the queue until that sum plus its own
//! timeout. Computing it from the entry instant, rather than from when the router last
//! looked, makes the instants exact however late `handle_timeout` is called, and lets
//! `Router::restore` rebuild a task's stage from its stored entry time.

use crate::{
    AgentSpec, AttributeTest, RoutingRule, RuleProblem, RuleTarget, TaskCondition, TaskSpec,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One problem of one rule, with the rule's index in the queue's `rules`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDiagnostic {
    pub rule: usize,
    pub problem: RuleProblem,
}

/// Every problem of a queue's rules (all of them, not just the first, so an editor can show
/// them at once). The router refuses a queue whose rules have any.
pub fn check_rules(rules: &[RoutingRule]) -> Vec<RuleDiagnostic> {
    let mut found = Vec::new();
    let mut names = BTreeSet::new();
    for (i, rule) in rules.iter().enumerate() {
        let mut problem = |problem| found.push(RuleDiagnostic { rule: i, problem });
        if !names.insert(rule.name.as_str()) {
            problem(RuleProblem::DuplicateName(rule.name.clone()));
        }
        for (c, condition) in rule.filter.iter().enumerate() {
            match condition {
                TaskCondition::Attribute {
                    test: AttributeTest::OneOf(values),
                    ..
                } if values.is_empty() => problem(RuleProblem::EmptyChoice { condition: c }),
                TaskCondition::Channel(set) if set.is_empty() => {
                    problem(RuleProblem::EmptyChoice { condition: c })
                }
                TaskCondition::Language(set) if set.is_empty() => {
                    problem(RuleProblem::EmptyChoice { condition: c })
                }
                TaskCondition::Priority {
                    min: Some(min),
                    max: Some(max),
                } if min > max => problem(RuleProblem::EmptyPriorityRange {
                    condition: c,
                    min: *min,
                    max: *max,
                }),
                _ => {}
            }
        }
        if rule.targets.is_empty() {
            problem(RuleProblem::NoTargets);
        }
        let last = rule.targets.len().saturating_sub(1);
        for (t, target) in rule.targets.iter().enumerate() {
            for (skill, range) in &target.skills {
                if range.min > range.max || range.max > 10 {
                    problem(RuleProblem::InvalidLevelRange {
                        target: t,
                        skill: skill.clone(),
                        min: range.min,
                        max: range.max,
                    });
                }
            }
            if target.agents.as_ref().is_some_and(BTreeSet::is_empty) {
                problem(RuleProblem::EmptyAgentList { target: t });
            }
            match target.timeout_ms {
                Some(0) => problem(RuleProblem::ZeroTimeout { target: t }),
                None if t != last => problem(RuleProblem::NoTimeoutBeforeLast { target: t }),
                _ => {}
            }
        }
    }
    found
}

impl TaskCondition {
    /// Whether the task meets the condition.
    pub fn holds(&self, task: &TaskSpec) -> bool {
        match self {
            TaskCondition::Attribute { name, test } => {
                let value = task.attributes.get(name);
                match test {
                    AttributeTest::Equals(want) => value == Some(want),
                    AttributeTest::OneOf(set) => value.is_some_and(|v| set.contains(v)),
                    AttributeTest::Exists => value.is_some(),
                    AttributeTest::Absent => value.is_none(),
                }
            }
            TaskCondition::Channel(set) => set.contains(&task.channel),
            TaskCondition::Language(set) => task.language.as_ref().is_some_and(|l| set.contains(l)),
            TaskCondition::Priority { min, max } => {
                min.is_none_or(|m| task.priority >= m) && max.is_none_or(|m| task.priority <= m)
            }
        }
    }
}

impl RoutingRule {
    /// Whether the task meets every condition of the filter.
    pub fn matches(&self, task: &TaskSpec) -> bool {
        self.filter.iter().all(|c| c.holds(task))
    }

    /// The target in force `elapsed_ms` after the task entered the queue (`None` once the
    /// last target's timeout has passed), and the elapsed time at which that changes.
    pub fn target_at(&self, elapsed_ms: u64) -> (Option<usize>, Option<u64>) {
        let mut end: u64 = 0;
        for (i, target) in self.targets.iter().enumerate() {
            match target.timeout_ms {
                None => return (Some(i), None),
                Some(ms) => {
                    end = end.saturating_add(ms);
                    if elapsed_ms < end {
                        return (Some(i), Some(end));
                    }
                }
            }
        }
        (None, None)
    }
}

impl RuleTarget {
    /// Whether the agent is one this target admits (skills and named list; languages are
    /// the queue's and the task's business).
    pub fn admits(&self, agent: &AgentSpec) -> bool {
        let listed = self
            .agents
            .as_ref()
            .is_none_or(|list| list.contains(&agent.id));
        listed
            && self.skills.iter().all(|(skill, range)| {
                agent
                    .skills
                    .get(skill)
                    .is_some_and(|level| (range.min..=range.max).contains(level))
            })
    }
}

/// Where a task stands in its queue's workflow, as `Router::rule_stage` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleStage {
    /// The index of the rule the task matched in `QueueSpec::rules`.
    pub rule: usize,
    /// That rule's name.
    pub name: String,
    /// The target in force; `None` after the last target's timeout (the queue's own skills
    /// apply again).
    pub target: Option<usize>,
}
