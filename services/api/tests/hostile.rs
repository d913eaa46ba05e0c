//! Hostile requests over real HTTP on loopback, on both databases: SQL
//! injection in every query parameter, numbers out of every range, ids
//! that try to climb out of their route or smuggle bytes, and every
//! writing method on every route. Each is answered 400 or 404 (or 200
//! with no rows, where the input is a word like any other) with nothing
//! leaked: no SQL, no database message, no file path, no panic. And the
//! database holds exactly what it held before, table by table.
//!
//! Requests are written by hand on a TCP socket: an HTTP client would
//! normalise `..`, refuse NUL and re-encode what it sends.

mod common;

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sqlx::{Connection, Row};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use townreports_store::{Location, segment};

/// One answer as it came off the wire.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `method target` as the request line, byte for byte.
async fn send(addr: std::net::SocketAddr, method: &str, target: &[u8], body: &[u8]) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut request = format!("{method} ").into_bytes();
    request.extend_from_slice(target);
    request.extend_from_slice(
        format!(
            " HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    request.extend_from_slice(body);
    stream.write_all(&request).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    parse_answer(&raw)
}

async fn get(addr: std::net::SocketAddr, target: &str) -> Answer {
    send(addr, "GET", target.as_bytes(), b"").await
}

fn parse_answer(raw: &[u8]) -> Answer {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head");
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Answer {
        status,
        headers,
        body: String::from_utf8(body).expect("a UTF-8 body"),
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").expect("a chunk size line");
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&rest[line_end + 2..line_end + 2 + size]);
        rest = &rest[line_end + 2 + size + 2..];
    }
}

/// What no answer may contain: SQL, database and driver messages, where
/// the database and the code live, a panic.
fn secrets(location: &Location) -> Vec<String> {
    let mut secrets: Vec<String> = [
        "SELECT",
        "INSERT",
        "UPDATE ",
        "DELETE",
        "DROP",
        " FROM ",
        " WHERE ",
        "GLOB",
        "LIKE",
        "ESCAPE",
        "record_json",
        "report_metrics",
        "report_sources",
        "sqlite",
        "postgres",
        "pg_",
        "sqlx",
        "SQLSTATE",
        "syntax error",
        "no such table",
        "no such column",
        "relation \"",
        "near \"",
        "constraint",
        "database error",
        "error returned",
        "invalid byte sequence",
        "panicked",
        "backtrace",
        ".rs:",
        "/tmp",
        "/work",
        "/home",
        "/etc",
        "\\u0000",
    ]
    .map(String::from)
    .into();
    match location {
        Location::Sqlite(path) => secrets.push(path.display().to_string()),
        Location::Postgres(url) => secrets.push(url.rsplit('/').next().unwrap().to_string()),
    }
    secrets
}

/// Asserts `answer` (to `what`) leaks none of `secrets`, but for what it
/// quotes back of the caller's own `input` (a message may say which value
/// it refused).
fn assert_no_leak(what: &str, answer: &Answer, input: &str, secrets: &[String]) {
    let mut text = answer.body.clone();
    for (name, value) in &answer.headers {
        text.push_str(&format!("\n{name}: {value}"));
    }
    // Error bodies are JSON with one field, the message.
    if answer.status >= 400 && !answer.body.is_empty() {
        let body: serde_json::Value = serde_json::from_str(&answer.body)
            .unwrap_or_else(|e| panic!("{what}: the error body is not JSON ({e}): {}", answer.body));
        let fields: Vec<&String> = body.as_object().unwrap().keys().collect();
        assert_eq!(fields, ["error"], "{what}: {}", answer.body);
        text = body["error"].as_str().unwrap().to_string();
    }
    for echo in [format!("{:?}", input.trim()), format!("{input:?}"), input.to_string()] {
        text = text.replace(&echo, "");
    }
    for secret in secrets {
        assert!(
            !text.to_lowercase().contains(&secret.to_lowercase()),
            "{what}: answer {} leaks {secret:?}: {text}",
            answer.status
        );
    }
    assert!(
        answer.header("set-cookie").is_none() && answer.header("x-injected").is_none(),
        "{what}"
    );
}

/// Strings that break out of a string literal or a statement in SQLite or
/// PostgreSQL, wildcards of LIKE and GLOB, placeholders, comments,
/// stacked statements, time delays, control and odd characters.
fn injections() -> Vec<String> {
    let mut list: Vec<String> = [
        "' OR '1'='1",
        "' OR 1=1 --",
        "\" OR \"\"=\"",
        "1' OR '1'='1' /*",
        "') OR ('1'='1",
        "')) OR (('1'='1",
        "'; DROP TABLE reports; --",
        "\"; DROP TABLE reports; --",
        "1; DELETE FROM reports",
        "1); UPDATE reports SET title = 'x'; --",
        "' UNION SELECT record_json FROM reports --",
        "' UNION ALL SELECT NULL, NULL, NULL --",
        "'||(SELECT version())||'",
        "' AND (SELECT COUNT(*) FROM sqlite_master) > 0 --",
        "'; SELECT pg_sleep(5); --",
        "' AND randomblob(1000000000) --",
        "'; ATTACH DATABASE '/tmp/x.sqlite' AS x; --",
        "'; COPY reports TO '/tmp/x'; --",
        "$$ OR 1=1 $$",
        "E'\\x27 OR 1=1",
        "\\' OR 1=1 --",
        "%",
        "%%",
        "_",
        "%' OR '%'='",
        "*",
        "[a-z]*",
        "?",
        "$1",
        ":id",
        "@id",
        "/* */",
        "*/ OR /*",
        "-- ",
        "0x27",
        "a\u{0}b",
        "\u{0}",
        "\r\nX-Injected: 1",
        "\u{202e}stroper\u{202d}",
        "<script>alert(1)</script>",
        "😀'𝕏",
        "\u{fffd}\u{feff}",
    ]
    .map(String::from)
    .into();
    list.push("'".repeat(999));
    list.push("a".repeat(1_001));
    list
}

/// Parameters that are words: an injection is looked for as a word (200
/// and no report has it) or refused (400).
const WORD_PARAMETERS: &[(&str, &str)] = &[
    ("/api/reports", "q"),
    ("/api/reports", "indicator"),
    ("/api/reports", "province"),
    ("/api/reports", "city"),
    ("/api/reports", "county"),
    ("/api/reports", "township"),
    ("/api/metrics.csv", "indicator"),
    ("/api/metrics.csv", "report_id"),
    ("/api/metrics.csv", "township"),
    ("/api/metrics.jsonl", "indicator"),
    ("/api/metrics.jsonl", "report_id"),
    ("/api/metrics.jsonl", "county"),
];

/// Parameters of a closed set or a number: an injection is refused.
const TYPED_PARAMETERS: &[(&str, &str)] = &[
    ("/api/reports", "code"),
    ("/api/reports", "year"),
    ("/api/reports", "doc_type"),
    ("/api/reports", "limit"),
    ("/api/reports", "offset"),
    ("/api/reports", "cursor"),
    ("/api/metrics.csv", "kind"),
    ("/api/metrics.csv", "code"),
    ("/api/metrics.jsonl", "year"),
    ("/api/metrics.jsonl", "doc_type"),
];

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// How many rows an answer to `path` holds.
fn rows(path: &str, answer: &Answer) -> usize {
    match path {
        "/api/reports" => {
            let page: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
            let listed = page["reports"].as_array().unwrap().len();
            listed.max(page["total"].as_u64().unwrap() as usize)
        }
        "/api/metrics.csv" => answer.body.lines().count() - 1,
        _ => answer.body.lines().count(),
    }
}

/// The ids of a page of reports, in order.
fn ids(answer: &Answer) -> Vec<String> {
    let page: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    page["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

async fn injections_are_words_or_refused(location: Location) {
    let served = common::serve(&location).await;
    let secrets = secrets(&location);
    let before = snapshot(&location).await;
    let (mut refused, mut empty, mut words_only) = (0, 0, 0);
    for injection in injections() {
        for (path, parameter) in WORD_PARAMETERS {
            let what = format!("{path}?{parameter}={injection:?}");
            let answer = get(served.addr, &format!("{path}?{parameter}={}", encode(&injection))).await;
            assert_no_leak(&what, &answer, &injection, &secrets);
            match answer.status {
                400 => refused += 1,
                // q is cut into words, each matched as a word prefix: `$1`
                // finds what `1` finds. Whatever else it held changes nothing.
                200 if *parameter == "q" => {
                    let words = segment::query_words(&injection).join(" ");
                    let plain = get(served.addr, &format!("{path}?q={}", encode(&words))).await;
                    assert_eq!(ids(&answer), ids(&plain), "{what} is not the words {words:?}");
                    words_only += 1;
                }
                200 => {
                    assert_eq!(rows(path, &answer), 0, "{what} found rows: {}", answer.body);
                    empty += 1;
                }
                other => panic!("{what}: {other} {}", answer.body),
            }
        }
        for (path, parameter) in TYPED_PARAMETERS {
            let what = format!("{path}?{parameter}={injection:?}");
            let answer = get(served.addr, &format!("{path}?{parameter}={}", encode(&injection))).await;
            assert_no_leak(&what, &answer, &injection, &secrets);
            assert_eq!(answer.status, 400, "{what}: {}", answer.body);
            refused += 1;
        }
        // A parameter's name is input too.
        let what = format!("/api/reports?{injection:?}=1");
        let answer = get(served.addr, &format!("/api/reports?{}=1", encode(&injection))).await;
        assert_no_leak(&what, &answer, &injection, &secrets);
        assert_eq!(answer.status, 400, "{what}");
    }
    let parameters = WORD_PARAMETERS.len() + TYPED_PARAMETERS.len();
    eprintln!(
        "{} injection strings x {parameters} parameters (+ as a name): {refused} refused, {empty} answered with \
         no rows, {words_only} q answered as their words alone",
        injections().len()
    );
    assert_eq!(snapshot(&location).await, before, "the database changed");
}

async fn numbers_out_of_range_are_refused(location: Location) {
    let served = common::serve(&location).await;
    let secrets = secrets(&location);
    let total = served
        .records
        .iter()
        .map(|r| r.id.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let cursor = |text: &str| URL_SAFE_NO_PAD.encode(text);
    let cases: Vec<(String, u16)> = [
        ("limit=1000000000000", 400),
        ("limit=-1", 400),
        ("limit=0", 400),
        ("limit=9223372036854775807", 400),
        ("limit=9223372036854775808", 400),
        ("limit=-9223372036854775809", 400),
        ("limit=340282366920938463463374607431768211456", 400),
        ("limit=1e3", 400),
        ("limit=0x10", 400),
        ("limit=5.0", 400),
        ("limit=NaN", 400),
        ("limit=%EF%BC%95", 400), // a fullwidth 5
        ("limit=%D9%A3", 400),    // an Arabic-Indic 3
        ("limit=201", 400),
        ("limit=200", 200),
        ("limit=+5", 200),
        ("limit=%205%20", 200),
        ("limit=", 200),
        ("offset=1000000000000", 400),
        ("offset=-1", 400),
        ("offset=-9223372036854775808", 400),
        ("offset=18446744073709551616", 400),
        ("offset=1000001", 400),
        ("offset=1000000", 200),
        ("year=0", 400),
        ("year=-2023", 400),
        ("year=1948", 400),
        ("year=2101", 400),
        ("year=2147483648", 400),
        ("year=99999999999999999999", 400),
        ("year=2023.0", 400),
        ("year=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%93", 400),
        ("year=2100", 200),
        ("code=1234567890123", 400),
        ("code=-51", 400),
        ("code=51%2A", 400),
        ("code=51%25", 400),
        ("offset=5&cursor=bzo1", 400),
    ]
    .map(|(q, s)| (q.to_string(), s))
    .into();
    let mut all = cases;
    for (text, status) in [
        ("o:-1", 400),
        ("o:1000001", 400),
        ("o:99999999999999999999", 400),
        ("o:5' OR 1=1", 400),
        ("o:5;DROP TABLE reports", 400),
        ("x:5", 400),
        ("o:", 400),
        ("o:1000000", 200),
    ] {
        all.push((format!("cursor={}", cursor(text)), status));
    }
    for (query, status) in &all {
        let what = format!("/api/reports?{query}");
        let answer = get(served.addr, &what).await;
        assert_eq!(answer.status, *status, "{what}: {}", answer.body);
        let value = query.split_once('=').unwrap().1;
        assert_no_leak(&what, &answer, value, &secrets);
        if answer.status == 200 {
            let page: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
            let listed = page["reports"].as_array().unwrap().len();
            assert!(listed <= 200, "{what}: {listed} rows");
            // Beyond the end: nothing, but the count of what there is.
            if query.contains("1000000") || query.contains(&cursor("o:1000000")) {
                assert_eq!((listed, page["total"].as_u64()), (0, Some(total as u64)), "{what}");
            }
        }
    }
    eprintln!(
        "{} out-of-range numbers and cursors: all answered as expected",
        all.len()
    );
}

/// Ids that climb out of their route, are encoded twice, carry NUL, CR LF,
/// backslashes, look-alike dots, invalid UTF-8, or are 10 KB long.
fn hostile_ids(real: &str) -> Vec<Vec<u8>> {
    let mut ids: Vec<Vec<u8>> = [
        "../../etc/passwd",
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fshadow",
        "%252e%252e%252fetc%252fpasswd",
        "..",
        ".",
        "%2e%2e",
        "%2e",
        "..%5C..%5Cwindows%5Cwin.ini",
        "%c0%ae%c0%ae%c0%afetc%c0%afpasswd",
        "%EF%BC%8E%EF%BC%8E%EF%BC%8Fetc",
        "a%2Fb",
        "a%00b",
        "%00",
        "%0d%0aSet-Cookie:%20x=1",
        "%ff%fe",
        "a'%20OR%20'1'%3D'1",
        "1%3B%20DROP%20TABLE%20reports",
        "%E5%9F%8E%E5%85%B3%E9%95%87",
        "no-such-report",
        "511102109-gwr-2023",
        "%2Fetc%2Fpasswd",
        "file%3A%2F%2F%2Fetc%2Fpasswd",
        "~root",
        "%7e",
        "%20",
        "a%20",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    ids.push("a".repeat(10_240).into_bytes());
    ids.push("%2e".repeat(3_414).into_bytes());
    ids.push("..%2F".repeat(2_048).into_bytes());
    ids.push(format!("{real}%00").into_bytes());
    ids.push(format!("{real}%2F..%2F..%2Fetc%2Fpasswd").into_bytes());
    ids.push(format!("{real}/../../../etc/passwd").into_bytes());
    ids.push(format!("{real}/").into_bytes());
    ids.push(format!("{real}/text/..").into_bytes());
    ids.push(format!("{real}%20").into_bytes());
    // Bytes no URL may carry, sent raw.
    ids.push(b"a\0b".to_vec());
    ids.push(b"a\xffb".to_vec());
    ids.push(b"a\\..\\..\\b".to_vec());
    ids
}

async fn hostile_ids_are_refused_or_not_found(location: Location) {
    let served = common::serve(&location).await;
    let secrets = secrets(&location);
    let before = snapshot(&location).await;
    let real = served.records[0].id.clone();
    let mut answered = BTreeMap::<u16, usize>::new();
    let ids = hostile_ids(&real);
    for id in &ids {
        for (prefix, suffix) in [
            ("/api/reports/", ""),
            ("/api/reports/", "/text"),
            ("/", ""),
            ("/app.js/", ""),
        ] {
            let mut target = prefix.as_bytes().to_vec();
            target.extend_from_slice(id);
            target.extend_from_slice(suffix.as_bytes());
            let what = String::from_utf8_lossy(&target).chars().take(120).collect::<String>();
            let answer = send(served.addr, "GET", &target, b"").await;
            assert!(
                matches!(answer.status, 400 | 404),
                "{what}: {} {}",
                answer.status,
                answer.body
            );
            assert_no_leak(&what, &answer, &String::from_utf8_lossy(id), &secrets);
            *answered.entry(answer.status).or_default() += 1;
        }
    }
    // The real id on the same routes is served: the refusals are the ids'.
    for suffix in ["", "/text"] {
        let answer = get(served.addr, &format!("/api/reports/{real}{suffix}")).await;
        assert_eq!(answer.status, 200, "{real}{suffix}");
    }
    eprintln!("{} hostile ids x 4 routes: {answered:?}", ids.len());
    assert_eq!(snapshot(&location).await, before, "the database changed");
}

async fn the_api_is_read_only(location: Location) {
    let served = common::serve(&location).await;
    let secrets = secrets(&location);
    let before = snapshot(&location).await;
    let real = &served.records[0];
    let body = serde_json::to_vec(&serde_json::json!({
        "id": "injected",
        "title": "'; DROP TABLE reports; --",
        "text": "written through the API",
    }))
    .unwrap();
    let routes = [
        "/".to_string(),
        "/healthz".into(),
        "/api/openapi.json".into(),
        "/api/reports".into(),
        "/api/reports/injected".into(),
        format!("/api/reports/{}", real.id),
        format!("/api/reports/{}/text", real.id),
        "/api/reports.jsonl".into(),
        "/api/metrics.csv".into(),
        "/api/metrics.jsonl".into(),
        "/app.js".into(),
        "/style.css".into(),
    ];
    let methods = [
        "POST", "PUT", "PATCH", "DELETE", "TRACE", "OPTIONS", "CONNECT", "PROPFIND", "MOVE",
    ];
    let mut answered = BTreeMap::<u16, usize>::new();
    for route in &routes {
        for method in methods {
            let what = format!("{method} {route}");
            let answer = send(served.addr, method, route.as_bytes(), &body).await;
            assert!(
                matches!(answer.status, 400 | 404 | 405),
                "{what}: {} {}",
                answer.status,
                answer.body
            );
            assert_no_leak(&what, &answer, "", &secrets);
            *answered.entry(answer.status).or_default() += 1;
        }
    }
    let injected = get(served.addr, "/api/reports/injected").await;
    assert_eq!(injected.status, 404);
    let title = get(served.addr, &format!("/api/reports/{}", real.id)).await;
    let view: serde_json::Value = serde_json::from_str(&title.body).unwrap();
    assert_eq!(view["report"]["title"].as_str(), real.title.as_deref());
    eprintln!("{} methods x {} routes: {answered:?}", methods.len(), routes.len());
    assert_eq!(snapshot(&location).await, before, "the database changed");
}

/// Every table of the database: its rows in a canonical order, as text.
async fn snapshot(location: &Location) -> BTreeMap<String, (i64, String)> {
    let mut tables = BTreeMap::new();
    match location {
        Location::Sqlite(path) => {
            let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", path.display()))
                .await
                .unwrap();
            let names: Vec<String> =
                sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
            for name in names {
                let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?)")
                    .bind(&name)
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
                let row = columns
                    .iter()
                    .map(|c| format!("quote(\"{c}\")"))
                    .collect::<Vec<_>>()
                    .join(" || ',' || ");
                let sql = format!(
                    "SELECT COUNT(*), COALESCE(group_concat(r, char(10)), '') FROM \
                     (SELECT {row} AS r FROM \"{name}\" ORDER BY r)"
                );
                let got = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
                tables.insert(name, (got.get(0), got.get(1)));
            }
        }
        Location::Postgres(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            for name in names {
                let sql = format!(
                    "SELECT COUNT(*), COALESCE(string_agg(t::text, E'\\n' ORDER BY t::text), '') FROM \"{name}\" t"
                );
                let got = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
                tables.insert(name, (got.get(0), got.get(1)));
            }
        }
    }
    assert!(
        tables.get("reports").is_some_and(|(n, _)| *n > 0),
        "{:?}",
        tables.keys()
    );
    tables
}

townreports_store::on_both_databases!(
    injections_are_words_or_refused,
    numbers_out_of_range_are_refused,
    hostile_ids_are_refused_or_not_found,
    the_api_is_read_only,
);
