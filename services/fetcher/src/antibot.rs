//! Recognising anti-bot challenge and WAF block pages, so a blocked site is
//! recorded as blocked with the reason — never evaded.

/// Markers of the challenge scripts government sites put in front of pages:
/// 瑞数 (`$_ts`, `r='m'`), 加速乐 (`__jsl_clearance`), WZWS, and others.
const MARKERS: &[(&str, &str)] = &[
    ("$_ts", "ruishu challenge"),
    ("r='m'", "ruishu challenge"),
    ("__jsl_clearance", "jiasule challenge"),
    ("__jsluid", "jiasule challenge"),
    ("wzwschallenge", "wzws challenge"),
    ("wzwsconfirm", "wzws challenge"),
    ("/_bot_sbu/", "bot script"),
    ("_waf_", "waf block page"),
    ("访问被拦截", "waf block page"),
    ("您的访问请求可能对网站造成安全威胁", "waf block page"),
];

/// Why a response is a challenge or block page, or `None`.
pub fn blocked_reason(status: u16, body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(64 * 1024)];
    let text = String::from_utf8_lossy(head);
    let marker = MARKERS.iter().find(|(m, _)| text.contains(m)).map(|(_, r)| *r);
    match status {
        412 => Some(format!("HTTP 412 {}", marker.unwrap_or("challenge"))),
        521 => Some(format!("HTTP 521 {}", marker.unwrap_or("jiasule challenge"))),
        // A challenge can answer 202 or even 200: then only a page with
        // (almost) no readable text counts, since real pages behind such a
        // gateway still carry its scripts.
        _ => {
            let reason = marker?;
            if readable_chars(&text) < 200 {
                Some(format!("HTTP {status} {reason}"))
            } else {
                None
            }
        }
    }
}

/// CJK characters outside tags and scripts, roughly.
fn readable_chars(html: &str) -> usize {
    let mut in_tag = false;
    let mut count = 0;
    let lower = html.to_ascii_lowercase();
    let mut skip_until: Option<usize> = None;
    for (i, c) in html.char_indices() {
        if let Some(end) = skip_until {
            if i < end {
                continue;
            }
            skip_until = None;
        }
        match c {
            '<' => {
                if lower[i..].starts_with("<script") {
                    skip_until = lower[i..].find("</script").map(|p| i + p);
                }
                in_tag = true
            }
            '>' => in_tag = false,
            c if !in_tag && ('\u{4e00}'..='\u{9fff}').contains(&c) => count += 1,
            _ => {}
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ruishu_412_and_stub_200_are_blocked() {
        let stub = br#"<html><head><meta id="x" content="abc" r='m'><script>$_ts=window['$_ts'];$_ts.cd="q";</script></head><body></body></html>"#;
        assert!(blocked_reason(412, stub).unwrap().contains("ruishu"));
        assert!(blocked_reason(202, stub).is_some());
        assert!(blocked_reason(200, stub).is_some());
        assert!(
            blocked_reason(521, b"<script>document.cookie='__jsl_clearance=1'</script>")
                .unwrap()
                .contains("jiasule")
        );
    }

    #[test]
    fn real_pages_behind_a_gateway_are_not_blocked() {
        let body = format!(
            "<html><head><script r='m'>$_ts=1</script></head><body><p>{}</p></body></html>",
            "各位代表现在我代表镇人民政府向大会报告工作".repeat(20)
        );
        assert_eq!(blocked_reason(200, body.as_bytes()), None);
        assert_eq!(blocked_reason(200, "<p>普通页面</p>".as_bytes()), None);
    }
}
