//! A virtual-clock harness around the router: builders for agents, queues and tasks, a clock
//! that moves by firing every `poll_timeout` instant on the way, and event collection.

use routing::{
    AgentId, AgentSpec, Channel, Event, Presence, QueueId, QueueSpec, Router, RouterConfig, TaskId,
    TaskSpec,
};
use std::collections::BTreeMap;

pub(crate) fn agent(id: &str, skills: &[(&str, u8)], languages: &[&str]) -> AgentSpec {
    AgentSpec {
        id: AgentId::new(id),
        skills: skills.iter().map(|(s, l)| (s.to_string(), *l)).collect(),
        languages: languages.iter().map(|l| l.to_string()).collect(),
        capacity: BTreeMap::from([(Channel::Voice, 1), (Channel::Chat, 3)]),
    }
}

pub(crate) fn queue(id: &str, skills: &[(&str, u8)]) -> QueueSpec {
    QueueSpec {
        required_skills: skills.iter().map(|(s, l)| (s.to_string(), *l)).collect(),
        offer_timeout_ms: 10_000,
        ..QueueSpec::new(QueueId::new(id))
    }
}

pub(crate) fn task(id: &str, queue: &str, channel: Channel, priority: i32) -> TaskSpec {
    TaskSpec {
        id: TaskId::new(id),
        channel,
        queue: QueueId::new(queue),
        priority,
        language: None,
        attributes: BTreeMap::new(),
    }
}

pub(crate) fn a(id: &str) -> AgentId {
    AgentId::new(id)
}

pub(crate) fn q(id: &str) -> QueueId {
    QueueId::new(id)
}

pub(crate) fn t(id: &str) -> TaskId {
    TaskId::new(id)
}

/// A router on a virtual clock.
#[derive(Debug)]
pub(crate) struct Sim {
    pub(crate) router: Router,
    pub(crate) now: u64,
}

impl Sim {
    pub(crate) fn new() -> Self {
        Self {
            router: Router::new(RouterConfig::default()),
            now: 0,
        }
    }

    pub(crate) fn with_config(config: RouterConfig) -> Self {
        Self {
            router: Router::new(config),
            now: 0,
        }
    }

    pub(crate) fn add_agent(&mut self, spec: AgentSpec) {
        self.router
            .handle_add_agent(spec, Presence::Available, self.now)
            .expect("add agent");
    }

    pub(crate) fn add_queue(&mut self, spec: QueueSpec) {
        self.router
            .handle_add_queue(spec, true, self.now)
            .expect("add queue");
    }

    pub(crate) fn enqueue(&mut self, spec: TaskSpec) {
        self.router.handle_enqueue(spec, self.now).expect("enqueue");
    }

    /// Moves the clock to `to`, handling every timeout the router asks for on the way.
    pub(crate) fn advance_to(&mut self, to: u64) {
        while let Some(at) = self.router.poll_timeout() {
            if at > to {
                break;
            }
            self.now = self.now.max(at);
            self.router.handle_timeout(self.now);
        }
        self.now = to;
        self.router.handle_timeout(self.now);
    }

    pub(crate) fn advance(&mut self, by: u64) {
        self.advance_to(self.now + by);
    }

    /// The events since the last drain; every drain also checks the router's derived orders
    /// against a rebuild (and that no offer was left unmade).
    pub(crate) fn events(&mut self) -> Vec<Event> {
        if let Err(problem) = self.router.check_invariants() {
            panic!("router invariants: {problem}");
        }
        std::iter::from_fn(|| self.router.poll_event()).collect()
    }

    /// The offers made since the last drain, as (task, agent).
    pub(crate) fn offers(&mut self) -> Vec<(String, String)> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::OfferMade { task, agent, .. } => {
                    Some((task.as_str().to_string(), agent.as_str().to_string()))
                }
                _ => None,
            })
            .collect()
    }

    /// Everything the router holds, derived orders included, as text to compare.
    pub(crate) fn snapshot(&self) -> String {
        format!("{:?}", self.router)
    }
}

pub(crate) fn pair(task: &str, agent: &str) -> (String, String) {
    (task.to_string(), agent.to_string())
}
