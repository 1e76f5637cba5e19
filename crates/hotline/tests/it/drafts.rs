//! The editor's tools on a draft, over the API: the simulator replays a conversation with
//! path, understanding and variables per turn; a sentence is classified with the reasons;
//! the intents get a report of overlapping and too few examples; the flow's tests run. None
//! of it stores anything, and bad input gets a clear error.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::spawn_app;

const FLOW: &str = r#"
flow: 1
id: drafts
name: Drafts
language: de
languages: [de]
start: hello
intents:
  termin:
    examples:
      de: [Ich brauche einen Termin, Kann ich einen Termin ausmachen, Termin vereinbaren bitte, Wann haben Sie einen Termin frei, Ich möchte einen Termin buchen, Gibt es morgen noch einen Termin, Einen Termin bitte, Termin für nächste Woche, Ich hätte gern einen Termin, Ist ein Termin am Montag frei]
  verabredung:
    examples:
      de: [Ich brauche einen Termin bitte, Kann ich einen Termin machen, Termin vereinbaren, Wann ist ein Termin frei, Ich will einen Termin buchen, Gibt es heute einen Termin, Bitte einen Termin, Termin für diese Woche, Ich hätte gerne einen Termin, Ist ein Termin am Dienstag frei]
  ergebnis:
    examples:
      de: [Wo ist mein Testergebnis, Ist mein Befund schon da, Ich warte auf mein Resultat, Wann bekomme ich den Befund, Mein Laborwert von gestern, Haben Sie mein Ergebnis, Das Labor hat sich nicht gemeldet, Wie war mein Test, Ist der Abstrich ausgewertet, Mein Befund fehlt noch]
  mensch:
    keywords: [mensch]
    examples:
      de: [Ich will mit jemandem reden, Bitte einen Berater]
nodes:
  - id: hello
    type: say
    text: "Hallo, ich bin ein Bot."
    next: ask
  - id: ask
    type: ask
    prompt: "Worum geht es?"
    save_as: anliegen
    next: route
    no_input: queue
    no_match: queue
  - id: route
    type: split
    branches:
      - when: { intent: ergebnis }
        next: befund
    default: queue
  - id: befund
    type: end
    text: "Befunde kommen per Post."
  - id: queue
    type: enqueue
    queue: team
tests:
  - name: befund
    steps:
      - expect: ["Worum geht es?"]
      - send: "Ist mein Befund schon da"
        expect: ["per Post"]
    end: ended
  - name: wrong on purpose
    steps:
      - send: "mensch"
        expect: ["gibt es nicht"]
"#;

async fn simulate(c: &mut crate::support::Client, body: Value) -> crate::support::Reply {
    c.post("/api/v1/flows/simulate", body).await
}

#[tokio::test]
async fn the_simulator_replays_a_draft_with_path_understanding_and_variables() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let r = simulate(
        &mut admin,
        json!({"source": FLOW, "channel": "chat",
               "inputs": [{"kind": "text", "text": "Wann bekomme ich meinen Befund"}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["errors"], json!([]));
    let turns = r.body["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 2);
    assert_eq!(turns[0]["path"], json!(["hello", "ask"]));
    assert_eq!(turns[0]["state"]["waiting"], "input");
    let answer = &turns[1];
    assert_eq!(answer["path"], json!(["ask", "route", "befund"]));
    assert_eq!(answer["understood"][0]["intent"], "ergebnis", "{answer}");
    assert!(answer["understood"][0]["confidence"].as_f64().unwrap() > 0.0);
    assert_eq!(
        answer["variables"]["anliegen"],
        "Wann bekomme ich meinen Befund"
    );
    assert_eq!(answer["replies"][0]["text"], "Befunde kommen per Post.");
    assert_eq!(answer["state"]["waiting"], "ended");
    assert_eq!(answer["actions"][0]["kind"], "end");

    // On the phone: keys, silence; after the end nothing more is taken, with a code.
    let r = simulate(
        &mut admin,
        json!({"source": FLOW, "channel": "voice",
               "inputs": [{"kind": "silence"}, {"kind": "silence"}, {"kind": "digits", "digits": "1"}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let turns = r.body["turns"].as_array().unwrap();
    let queued = turns
        .iter()
        .find(|t| t["state"]["waiting"] == "queue")
        .unwrap_or_else(|| panic!("silence reaches the queue: {}", r.body));
    assert_eq!(queued["state"]["queue"], "team");
    assert!(
        turns
            .iter()
            .flat_map(|t| t["actions"].as_array().unwrap())
            .any(|a| a["kind"] == "enqueue" && a["detail"] == "team")
    );

    // A draft with errors gets them instead of turns.
    let broken = FLOW.replace("next: route", "next: nowhere");
    let r = simulate(&mut admin, json!({"source": broken, "channel": "chat"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["turns"], json!([]));
    assert_eq!(r.body["errors"][0]["code"], "dangling-transition");

    // Bad input: a clear 422 naming the field.
    let r = simulate(&mut admin, json!({"source": FLOW, "channel": "fax"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = simulate(
        &mut admin,
        json!({"source": FLOW, "channel": "chat", "language": "fr"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.to_string().contains("language"), "{}", r.body);
    let many: Vec<Value> = (0..201).map(|_| json!({"kind": "silence"})).collect();
    let r = simulate(
        &mut admin,
        json!({"source": FLOW, "channel": "chat", "inputs": many}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = simulate(
        &mut admin,
        json!({"source": FLOW, "channel": "chat", "inputs": [{"kind": "smell"}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // Nothing was stored (the demo flows are all there is).
    let r = admin.get("/api/v1/flows").await;
    let names: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"Drafts"), "{names:?}");

    // Without a session: 401.
    let r = t
        .client()
        .post(
            "/api/v1/flows/simulate",
            json!({"source": FLOW, "channel": "chat"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_sentence_is_explained_and_the_intents_get_a_report() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;

    let r = admin
        .post(
            "/api/v1/flows/understand",
            json!({"source": FLOW, "text": "mensch bitte"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["intent"], "mensch");
    assert_eq!(r.body["by"], "keyword");

    let r = admin
        .post(
            "/api/v1/flows/understand",
            json!({"source": FLOW, "text": "ist mein Laborbefund schon da"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["intent"], "ergebnis", "{}", r.body);
    assert_eq!(r.body["by"], "model");
    assert_eq!(r.body["ranking"][0]["intent"], "ergebnis");

    let r = admin
        .post(
            "/api/v1/flows/understand",
            json!({"source": FLOW, "text": "   "}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    let r = admin
        .post("/api/v1/flows/intents", json!({"source": FLOW}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["has_model"], true);
    let intents = r.body["intents"].as_array().unwrap();
    let by_name = |name: &str| {
        intents
            .iter()
            .find(|i| i["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {}", r.body))
    };
    let codes = |i: &Value| -> Vec<String> {
        i["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["code"].as_str().unwrap().to_owned())
            .collect()
    };
    // Two examples are too few.
    let mensch = by_name("mensch");
    assert_eq!(mensch["examples"]["de"], 2);
    assert!(codes(mensch).contains(&"too-few-examples".to_owned()));
    // Two intents with the same sentences: the model takes one for the other.
    let termin = by_name("termin");
    let verabredung = by_name("verabredung");
    assert!(
        codes(termin).contains(&"overlaps".to_owned())
            || codes(verabredung).contains(&"overlaps".to_owned()),
        "{}",
        r.body
    );
    // A distinct intent with enough examples neither overlaps nor has too few.
    let ergebnis = by_name("ergebnis");
    assert_eq!(ergebnis["examples"]["de"], 10);
    assert!(ergebnis["recognised"].is_number(), "{ergebnis}");
    assert!(
        !codes(ergebnis)
            .iter()
            .any(|c| c == "overlaps" || c == "too-few-examples"),
        "{ergebnis}"
    );
}

#[tokio::test]
async fn the_drafts_tests_run_and_say_which_fail() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let r = admin
        .post("/api/v1/flows/test", json!({"source": FLOW}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let results = r.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["name"], "befund");
    assert_eq!(results[0]["passed"], true, "{}", r.body);
    assert_eq!(results[1]["passed"], false);
    assert!(
        results[1]["failures"][0]
            .as_str()
            .unwrap()
            .contains("gibt es nicht")
    );
}
