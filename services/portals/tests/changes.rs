//! Documents change while the portals run: a report published after a
//! first crawl shows up on the first list page and among the expected
//! reports; an edited report serves its new text.

mod common;

use common::{get, squeeze, visible_text};
use townreports_portals::{Document, Expect};

fn late_report() -> Document {
    Document {
        id: 0,
        title: "城关镇2024年工作总结和2025年工作计划".into(),
        date: "2099-01-05 09:30".into(),
        publisher: Some("城关镇".into()),
        source: None,
        views: None,
        body: vec![
            "2024年，城关镇坚持稳中求进工作总基调，全年完成固定资产投资3.2亿元。".into(),
            "2025年，我们将重点抓好以下工作。".into(),
        ],
        expect: Some(Expect {
            township: Some("城关镇".into()),
            division_code: None,
            review_year: Some(2024),
            plan_year: Some(2025),
            doc_type: "work_summary_and_plan".into(),
        }),
    }
}

#[tokio::test]
async fn a_published_report_is_listed_first_and_expected() {
    let portals = townreports_portals::start().await.unwrap();
    let client = reqwest::Client::new();
    let before = portals.expected_reports().len();
    // The fault portal serves fixed pages; the template portals take new documents.
    for site in portals
        .sites()
        .iter()
        .filter(|s| s.id != townreports_portals::faults::ID)
        .cloned()
    {
        let url = portals.publish(&site.id, late_report()).expect("a known site");
        let list = get(&client, &site.start_urls[0]).await;
        assert!(
            list.html.contains(url.trim_start_matches(&site.base_url))
                || list.html.contains(url.rsplit('/').next().unwrap()),
            "{}: the first list page links to {url}",
            site.id
        );
        let page = get(&client, &url).await;
        assert_eq!(page.status, 200, "{url}");
        assert!(squeeze(&visible_text(&page.html)).contains("全年完成固定资产投资3.2亿元"));
        let ids: Vec<u32> = portals.documents(&site.id).iter().map(|(_, d)| d.id).collect();
        let unique: std::collections::BTreeSet<u32> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "{}: article numbers stay unique", site.id);
    }
    assert_eq!(portals.expected_reports().len(), before + portals.sites().len() - 1);
    assert_eq!(portals.publish(townreports_portals::faults::ID, late_report()), None);
    assert_eq!(portals.publish("no-such-site", late_report()), None);
    portals.shutdown().await;
}

#[tokio::test]
async fn an_edited_report_serves_its_new_text() {
    let portals = townreports_portals::start().await.unwrap();
    let client = reqwest::Client::new();
    let report = portals.expected_reports().remove(0);
    assert!(portals.edit(
        &report.url,
        vec!["（本文已于发布后修订）".into(), "修订后的正文。".into()]
    ));
    let text = squeeze(&visible_text(&get(&client, &report.url).await.html));
    assert!(text.contains("修订后的正文。"));
    assert!(!portals.edit(&format!("{}/nothing.html", portals.sites()[0].base_url), vec![]));
    portals.shutdown().await;
}

#[tokio::test]
async fn hostile_documents_are_escaped_and_encoded() {
    let portals = townreports_portals::start().await.unwrap();
    let client = reqwest::Client::new();
    let hostile = Document {
        id: 0,
        title: "</script><a href=\"/x\">]]>标题😀".into(),
        date: "not a date at all 99999999999999999999".into(),
        publisher: Some("<b>机构</b>".into()),
        source: Some("\"'&".into()),
        views: Some(u32::MAX),
        body: vec!["正文😀<p>".into(), "&amp; ]]> --> <!--".into()],
        expect: None,
    };
    // The fault portal serves fixed pages; the template portals take new documents.
    for site in portals
        .sites()
        .iter()
        .filter(|s| s.id != townreports_portals::faults::ID)
        .cloned()
    {
        let url = portals.publish(&site.id, hostile.clone()).unwrap();
        let page = common::get(&client, &url).await;
        assert_eq!(page.status, 200, "{url}");
        assert!(
            !page.html.contains("</script><a href=\"/x\">"),
            "{}: markup in a title is escaped",
            site.id
        );
        assert!(!page.html.contains("<b>机构</b>"));
        let text = visible_text(&page.html);
        assert!(
            text.contains("正文😀<p>"),
            "{}: the body survives, emoji included",
            site.id
        );
        let list = common::get(&client, &site.start_urls[0]).await;
        assert_eq!(list.status, 200);
    }
    portals.shutdown().await;
}
