//! `hotline flow validate | lint | test | simulate FILE`: the flow tools for operators and
//! CI pipelines. Exit codes: 0 clean, 1 problems found (errors, warnings or failed tests),
//! 2 usage (bad arguments, unreadable file).

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use app::{HttpClient, OutboundRequest};
use clap::Subcommand;
use flow::{
    Channel, ConversationState, Diagnostic, Effect, Engine, Flow, Input, Severity, Waiting,
};

use super::output::out;

/// `hotline flow …`
#[derive(Debug, Subcommand)]
pub enum FlowCommand {
    /// Check a flow file for errors (unknown nodes, dangling transitions, unreachable
    /// nodes, loops without input, …). Exit code 1 if there is any error.
    Validate {
        /// The flow file (YAML or JSON).
        file: PathBuf,
    },
    /// Check a flow file for errors and IVR-design problems (long or deep menus, no way to a
    /// human, a bot that does not say it is a bot, …). Exit code 1 if there is any finding.
    Lint {
        /// The flow file (YAML or JSON).
        file: PathBuf,
    },
    /// Run the test conversations in the flow's `tests:` section. Exit code 1 if one fails.
    Test {
        /// The flow file (YAML or JSON).
        file: PathBuf,
    },
    /// Chat with a flow on the terminal: type text, `#123` for keypad digits, `/silence` to
    /// let the input time out, `/quit` to stop. HTTP requests of the flow are really made.
    Simulate {
        /// The flow file (YAML or JSON).
        file: PathBuf,
        /// The conversation's language.
        #[arg(long)]
        lang: Option<String>,
        /// The channel to simulate: chat, voice, sms or whatsapp.
        #[arg(long, default_value = "chat")]
        channel: String,
        /// Variables to start with, `name=value` (repeatable), e.g. `system.base_url=http://127.0.0.1:8080`.
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
        /// A `host:port` on a private network or loopback the flow may call (repeatable);
        /// as on the server, nothing private is reachable otherwise, except the demo
        /// endpoints under `system.base_url`.
        #[arg(long = "allow-private", value_name = "HOST:PORT")]
        allow_private: Vec<String>,
    },
}

fn load(file: &Path) -> Result<Result<flow::FlowDocument, Vec<Diagnostic>>, ExitCode> {
    match std::fs::read_to_string(file) {
        Ok(text) => Ok(flow::parse_auto(
            &text,
            file.file_name().and_then(|n| n.to_str()),
        )),
        Err(e) => {
            out(&format!("error: cannot read {}: {e}", file.display()));
            Err(ExitCode::from(2))
        }
    }
}

fn report(file: &Path, diagnostics: &[Diagnostic]) -> ExitCode {
    for d in diagnostics {
        out(&format!("{}: {d}", file.display()));
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    if diagnostics.is_empty() {
        out(&format!("{}: ok", file.display()));
        ExitCode::SUCCESS
    } else {
        out(&format!(
            "{}: {errors} error(s), {warnings} warning(s)",
            file.display()
        ));
        ExitCode::from(1)
    }
}

/// Runs a `hotline flow` command.
pub(super) async fn run(command: FlowCommand) -> ExitCode {
    match command {
        FlowCommand::Validate { file } => match load(&file) {
            Err(code) => code,
            Ok(Err(parse)) => report(&file, &parse),
            Ok(Ok(doc)) => report(&file, &flow::validate(&doc)),
        },
        FlowCommand::Lint { file } => match load(&file) {
            Err(code) => code,
            Ok(Err(parse)) => report(&file, &parse),
            Ok(Ok(doc)) => report(&file, &flow::check(&doc)),
        },
        FlowCommand::Test { file } => {
            let doc = match load(&file) {
                Err(code) => return code,
                Ok(Err(parse)) => return report(&file, &parse),
                Ok(Ok(doc)) => doc,
            };
            let compiled = match Flow::compile(doc) {
                Ok(f) => f,
                Err(errors) => return report(&file, &errors),
            };
            // The same understanding the server uses: keywords first, then the trained model.
            let matcher = app::FlowUnderstanding::train(&compiled);
            let outcomes = flow::run_tests(&compiled, &matcher);
            let failed = outcomes.iter().filter(|o| !o.passed).count();
            for o in &outcomes {
                out(&format!(
                    "{} {}",
                    if o.passed { "PASS" } else { "FAIL" },
                    o.name
                ));
                for f in &o.failures {
                    for line in f.lines() {
                        out(&format!("    {line}"));
                    }
                }
            }
            out(&format!(
                "{} passed, {failed} failed",
                outcomes.len() - failed
            ));
            if outcomes.is_empty() {
                out(&format!("{}: the flow has no tests", file.display()));
                return ExitCode::from(1);
            }
            if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        FlowCommand::Simulate {
            file,
            lang,
            channel,
            vars,
            allow_private,
        } => simulate(&file, lang, &channel, &vars, &allow_private).await,
    }
}

fn now_ms() -> i64 {
    app::Clock::now(&app::SystemClock).millis()
}

fn show(effects: &[Effect], timer: &mut Option<u32>, http: &mut Vec<Effect>) -> bool {
    let mut ended = false;
    for e in effects {
        match e {
            Effect::Say { text, choices, .. } => {
                if !text.is_empty() {
                    out(&format!("bot: {text}"));
                }
                for c in choices {
                    out(&format!("     [{}] {}", c.value, c.label));
                }
            }
            Effect::SendMessage { channel, text } => out(&format!("bot ({channel:?}): {text}")),
            Effect::Gather { kinds, .. } => out(&format!("     (waiting for {kinds:?})")),
            Effect::StartTimer { id, .. } => *timer = Some(*id),
            Effect::CancelTimer { .. } => {}
            Effect::HttpRequest { method, url, .. } => {
                out(&format!("     (HTTP {method:?} {url})"));
                http.push(e.clone());
            }
            Effect::Enqueue { queue, context, .. } => {
                out(&format!(
                    "     (queued in \"{queue}\" with context {context:?}; a human would take over here)"
                ));
            }
            Effect::LeaveQueue { queue } => out(&format!("     (left the queue \"{queue}\")")),
            Effect::Record { max_secs } => out(&format!(
                "     (recording up to {max_secs} s; type the message)"
            )),
            Effect::Transfer { to } => out(&format!("     (transfer to {to})")),
            Effect::End { reason } => {
                out(&format!("     (conversation ended: {reason:?})"));
                ended = true;
            }
        }
    }
    ended
}

async fn simulate(
    file: &Path,
    lang: Option<String>,
    channel: &str,
    vars: &[String],
    allow_private: &[String],
) -> ExitCode {
    let mut destinations = Vec::new();
    for raw in allow_private {
        match app::normalize_destination(raw) {
            Some(d) => destinations.push(d),
            None => {
                out(&format!(
                    "error: --allow-private {raw:?}: expected host:port, such as 10.0.0.5:8080"
                ));
                return ExitCode::from(2);
            }
        }
    }
    let doc = match load(file) {
        Err(code) => return code,
        Ok(Err(parse)) => return report(file, &parse),
        Ok(Ok(doc)) => doc,
    };
    let channel = match channel {
        "chat" => Channel::Chat,
        "voice" => Channel::Voice,
        "sms" => Channel::Sms,
        "whatsapp" => Channel::Whatsapp,
        other => {
            out(&format!(
                "error: unknown channel {other:?} (chat, voice, sms, whatsapp)"
            ));
            return ExitCode::from(2);
        }
    };
    let mut variables = BTreeMap::new();
    for v in vars {
        let Some((k, val)) = v.split_once('=') else {
            out(&format!("error: --var {v:?} is not NAME=VALUE"));
            return ExitCode::from(2);
        };
        variables.insert(k.to_owned(), val.to_owned());
    }
    let compiled = match Flow::compile(doc) {
        Ok(f) => f,
        Err(errors) => return report(file, &errors),
    };
    let matcher = app::FlowUnderstanding::train(&compiled);
    let engine = Engine::new(&compiled, &matcher);
    let language = lang
        .clone()
        .unwrap_or_else(|| compiled.document().language.clone());
    let mut state = ConversationState::new(channel, &language);
    let http_client = channels::FlowHttpClient::new();
    let access = app::PrivateAccess {
        destinations,
        own_demo_base: variables.get("system.base_url").cloned(),
    };
    out(
        "Type a message, #123 for keypad digits, /silence to let the input time out, /quit to stop.",
    );
    let mut timer = None;
    let mut pending_http = Vec::new();
    let start = Input::Start {
        channel,
        language: lang,
        entry: None,
        variables,
    };
    let mut ended = show(
        &engine.handle(&mut state, start, now_ms()),
        &mut timer,
        &mut pending_http,
    );
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        // Answer HTTP requests the flow made before reading the caller again.
        while let Some(Effect::HttpRequest {
            id,
            method,
            url,
            headers,
            body,
            timeout_ms,
        }) = pending_http.pop()
        {
            let response = http_client
                .send(
                    OutboundRequest {
                        method: method.as_str(),
                        url,
                        headers,
                        body,
                        timeout_ms,
                    },
                    &access,
                )
                .await;
            out(&format!("     (HTTP status {})", response.status));
            let input = Input::HttpResult {
                request: id,
                status: response.status,
                body: response.body,
            };
            ended |= show(
                &engine.handle(&mut state, input, now_ms()),
                &mut timer,
                &mut pending_http,
            );
        }
        if ended || matches!(state.waiting, Waiting::Ended { .. }) {
            return ExitCode::SUCCESS;
        }
        {
            let mut stdout = std::io::stdout().lock();
            let _ = write!(stdout, "you: ");
            let _ = stdout.flush();
        }
        let Some(Ok(line)) = lines.next() else {
            out("");
            return ExitCode::SUCCESS;
        };
        let line = line.trim();
        let input = match line {
            "/quit" => return ExitCode::SUCCESS,
            "/silence" => match timer.take() {
                Some(t) => Input::TimerFired { timer: t },
                None => {
                    out("     (no input is being waited for)");
                    continue;
                }
            },
            digits if digits.starts_with('#') && digits.len() > 1 => Input::Digits {
                digits: digits[1..].to_owned(),
            },
            "" => continue,
            text => Input::Text {
                text: text.to_owned(),
            },
        };
        ended = show(
            &engine.handle(&mut state, input, now_ms()),
            &mut timer,
            &mut pending_http,
        );
    }
}
