//! The parser on real government pages (tests/corpus/html-samples).

use townreports_parser::{LinkKind, parse_page};
use url::Url;

fn sample(name: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/corpus/html-samples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn urls(page: &townreports_parser::Page, kind: LinkKind) -> Vec<String> {
    page.links
        .iter()
        .filter(|l| l.kind == kind)
        .map(|l| l.url.to_string())
        .collect()
}

#[test]
fn trs_list_with_create_page_html() {
    let url = Url::parse("http://www.zhangshu.gov.cn/zsszf/c112467/list.shtml").unwrap();
    let page = parse_page(&url, &sample("trs-wcm-county-list-createpagehtml-zhangshu.html"), None);
    let pages = urls(&page, LinkKind::Pagination);
    assert!(
        pages.contains(&"http://www.zhangshu.gov.cn/zsszf/c112467/index_1.html".to_string()),
        "{pages:?}"
    );
    assert!(
        pages.contains(&"http://www.zhangshu.gov.cn/zsszf/c112467/index_20.html".to_string()),
        "{pages:?}"
    );
    assert!(!urls(&page, LinkKind::Item).is_empty());
}

#[test]
fn hanweb_datastore_records() {
    let url = Url::parse("http://www.dingxi.gov.cn/col/col6525/index.html").unwrap();
    let page = parse_page(&url, &sample("hanweb-jcms-jpage-datastore-list-dingxi.html"), None);
    let items = urls(&page, LinkKind::Item);
    assert!(items.len() >= 10, "{items:?}");
    assert!(items.iter().any(|u| u.contains("/art/")), "{items:?}");
}

#[test]
fn handan_list_count_page() {
    let url = Url::parse("http://hdzfxxgk.hd.gov.cn/gszbm/index.html").unwrap();
    let page = parse_page(&url, &sample("hebei-handan-xxgk-list-table-countpage.html"), None);
    let pages = urls(&page, LinkKind::Pagination);
    assert!(pages.iter().any(|u| u.ends_with("index_1.html")), "{pages:?}");
    assert!(page.is_list_page);
}

#[test]
fn jiangxi_article_metadata_and_clean_body() {
    let url =
        Url::parse("http://www.wanzai.gov.cn/wzxrmzf/tjsja/202305/7215380191c5400397df5d7d0b5fd06b.shtml").unwrap();
    let page = parse_page(&url, &sample("jiangxi-jiyue-county-xxgk-article-wanzai.html"), None);
    assert_eq!(page.meta["SiteName"], "万载县人民政府");
    assert!(page.title.contains("统计公报"), "{}", page.title);
    assert!(page.disclosure.contains_key("索引号"), "{:?}", page.disclosure);
    assert!(page.government_chrome);
    assert!(page.text.chars().count() > 500, "{}", page.text);
    assert!(!page.text.contains("网站标识码"));
    assert!(!page.is_list_page);
}

#[test]
fn csrc_attachment_in_a_script_string() {
    let url = Url::parse("http://www.csrc.gov.cn/csrc/c101981/c1234/content.shtml").unwrap();
    let page = parse_page(&url, &sample("trs-wcm-article-file-appendix-csrc.html"), None);
    let files = urls(&page, LinkKind::Attachment);
    assert!(files.iter().any(|u| u.ends_with(".docx")), "{files:?}");
}

#[test]
fn govcn_table_grid() {
    let url = Url::parse("http://www.gov.cn/zhengce/content/2018-12/29/content_5353307.htm").unwrap();
    let page = parse_page(&url, &sample("govcn-zhengce-article-xxgk-table-fragment.html"), None);
    assert!(page.disclosure.contains_key("索引号"), "{:?}", page.disclosure);
    assert!(page.disclosure.contains_key("发布日期"), "{:?}", page.disclosure);
}
