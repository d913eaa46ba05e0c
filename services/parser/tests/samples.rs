//! The parser on real government pages (tests/corpus/html-samples) and on
//! pages in the encodings those sites really use.

use encoding_rs::GB18030;
use townreports_parser::{CharsetSource, LinkKind, Page, parse_page};
use url::Url;

fn sample(name: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/corpus/html-samples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(name: &str, url: &str) -> Page {
    parse_page(&Url::parse(url).unwrap(), &sample(name), None)
}

fn urls(page: &Page, kind: LinkKind) -> Vec<String> {
    page.links
        .iter()
        .filter(|l| l.kind == kind)
        .map(|l| l.url.to_string())
        .collect()
}

#[test]
fn trs_list_create_page_html_gives_index_1_to_20() {
    let page = parse(
        "trs-wcm-county-list-createpagehtml-zhangshu.html",
        "http://www.zhangshu.gov.cn/zsszf/c112467/index.html",
    );
    let expected: Vec<String> = (1..=20)
        .map(|k| format!("http://www.zhangshu.gov.cn/zsszf/c112467/index_{k}.html"))
        .collect();
    assert_eq!(urls(&page, LinkKind::Pagination), expected);
    let articles = urls(&page, LinkKind::Article);
    assert!(
        articles.contains(&"http://www.zhangshu.gov.cn/zsszf/c112467/201710/t20171011_397574.html".to_string()),
        "{articles:?}"
    );
}

#[test]
fn hanweb_datastore_records_and_next_group() {
    let page = parse(
        "hanweb-jcms-jpage-datastore-list-dingxi.html",
        "http://www.dingxi.gov.cn/col/col12377/index.html",
    );
    let articles: Vec<_> = page.links.iter().filter(|l| l.kind == LinkKind::Article).collect();
    assert_eq!(articles.len(), 10, "{articles:?}");
    assert!(articles.iter().all(|l| l.url.path().contains("/art/")));
    assert!(
        articles
            .iter()
            .any(|l| l.url.as_str() == "http://zwgk.dingxi.gov.cn/art/2021/11/4/art_12480_1461862.html"),
        "the off-host record"
    );
    let cut = articles
        .iter()
        .find(|l| l.url.as_str().ends_with("art_12377_1486583.html"))
        .unwrap();
    assert_eq!(
        cut.text, "定西市工信局关于对省级第二轮环保督察反馈第四项第十三项问题整改完成情况的公示",
        "title= replaces the text cut with ..."
    );
    let pages = urls(&page, LinkKind::Pagination);
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert!(pages[0].starts_with("http://www.dingxi.gov.cn/module/web/jpage/dataproxy.jsp?page=1&"));
    assert!(page.is_list_page);
}

#[test]
fn handan_list_count_page() {
    let page = parse(
        "hebei-handan-xxgk-list-table-countpage.html",
        "http://hdzfxxgk.hd.gov.cn/zfwj/jinqixxgk/index.html",
    );
    let pages = urls(&page, LinkKind::Pagination);
    for k in [1, 2, 30, 55] {
        let url = format!("http://hdzfxxgk.hd.gov.cn/zfwj/jinqixxgk/index_{k}.html");
        assert!(pages.contains(&url), "{url} in {pages:?}");
    }
    assert!(
        !pages.iter().any(|u| u.ends_with("index_56.html")),
        "56 pages are index … index_55"
    );
    assert!(page.is_list_page);
    assert_eq!(page.meta["SiteIDCode"], "1304000009");
}

/// The list pages a crawler reaches from the first page of a real list
/// whose pager script (as `pager(current)` writes it into `sample`) says
/// it has `count` pages, fetching always the furthest page announced so
/// far: every page is announced, and the last is reached.
fn walk_script_pager(
    sample_name: &str,
    list: &str,
    page_url: impl Fn(u64) -> String,
    pager: impl Fn(&str, u64) -> String,
    count: u64,
) {
    let html = String::from_utf8(sample(sample_name)).unwrap();
    let mut announced = std::collections::BTreeSet::from([0]);
    let mut current = 0;
    let mut fetched = 0;
    while current + 1 < count {
        let page = parse_page(
            &Url::parse(&page_url(current)).unwrap(),
            pager(&html, current).as_bytes(),
            None,
        );
        fetched += 1;
        assert!(fetched <= count, "{list}: no page after {current}");
        for url in urls(&page, LinkKind::Pagination) {
            let k = (0..count)
                .find(|k| page_url(*k) == url)
                .unwrap_or_else(|| panic!("{list}: {url} is no page of the list"));
            announced.insert(k);
        }
        let furthest = *announced.last().unwrap();
        assert!(furthest > current, "{list}: page {current} announces nothing further");
        current = furthest;
    }
    assert_eq!(announced.len() as u64, count, "{list}: every page is announced");
    assert!(fetched < 10, "{list}: {fetched} pages fetched to reach the last");
}

/// Township and county columns run to hundreds or thousands of pages
/// (the Handan sample's column has 56 of 113 rows; 6,348 documents). A
/// pager script announces every page, but a crawler may take only so many
/// from one page: the window it takes must move with the page, or pages
/// past the first window are never found (they were: a 1,200-page TRS
/// column ended at page 500).
#[test]
fn long_lists_behind_pager_scripts_are_reached_to_their_last_page() {
    let base = "http://www.zhangshu.gov.cn/zsszf/c112467/";
    walk_script_pager(
        "trs-wcm-county-list-createpagehtml-zhangshu.html",
        "TRS createPageHTML",
        |k| match k {
            0 => format!("{base}index.html"),
            k => format!("{base}index_{k}.html"),
        },
        |html, current| {
            html.replace(
                r#"createPageHTML(21, 0, "index", "html")"#,
                &format!(r#"createPageHTML(1200, {current}, "index", "html")"#),
            )
        },
        1200,
    );
    let base = "http://hdzfxxgk.hd.gov.cn/zfwj/jinqixxgk/";
    walk_script_pager(
        "hebei-handan-xxgk-list-table-countpage.html",
        "Handan countPage",
        |k| match k {
            0 => format!("{base}index.html"),
            k => format!("{base}index_{k}.html"),
        },
        |html, current| {
            html.replace("var currentPage=0;", &format!("var currentPage={current};"))
                .replace("var countPage=56", "var countPage=2000")
        },
        2000,
    );
}

#[test]
fn jiangxi_article_metadata_disclosure_and_clean_body() {
    let page = parse(
        "jiangxi-jiyue-county-xxgk-article-wanzai.html",
        "http://www.wanzai.gov.cn/wzxrmzf/tjsja/202305/7215380191c5400397df5d7d0b5fd06b.shtml",
    );
    assert_eq!(page.title, "万载县2022年国民经济和社会发展统计公报");
    assert_eq!(page.meta["SiteName"], "万载县人民政府");
    assert_eq!(page.meta["SiteIDCode"], "3609220011");
    assert_eq!(page.meta["PubDate"], "2023-08-16 10:33:59");
    assert_eq!(page.meta["ContentSource"], "万载县统计局");
    assert!(!page.meta.contains_key("Keywords"), "empty tags are left out");
    let d = &page.disclosure;
    assert_eq!(d["索引号"], "014742224A/2023-0043406");
    assert_eq!(d["生成日期"], "2023-05-11");
    assert_eq!(d["公开方式"], "主动公开");
    assert_eq!(d["公开范围"], "面向全社会");
    assert_eq!(d["责任部门"], "万载县统计局");
    assert!(d.keys().all(|k| k.chars().count() <= 8), "{d:?}");
    assert!(page.government_chrome);
    assert!(!page.is_list_page);
    assert!(
        page.text
            .starts_with("万载县统计局 国家统计局万载调查队\n（2023年5月）\n"),
        "{}",
        &page.text[..200]
    );
    assert!(page.text.contains("\n一、综合\n"));
    assert!(page.text.contains("\n十二、资源和环境保护\n"));
    for chrome in [
        "网站标识码",
        "当前位置",
        "打印",
        "关闭",
        "分享",
        "扫一扫",
        "网站地图",
        "索引号",
        "ICP备",
    ] {
        assert!(!page.text.contains(chrome), "{chrome} in the text");
    }
    assert!(page.text.lines().all(|l| !l.trim().is_empty() && l.trim() == l));
}

#[test]
fn republished_article_keeps_its_own_dates() {
    let page = parse(
        "jiangxi-jiyue-county-xxgk-article-wanzai-2015-republished.html",
        "http://www.wanzai.gov.cn/wzxrmzf/tjgb/201705/9c059bf058ef4db8b3c8f920e22186fe.shtml",
    );
    assert_eq!(page.meta["PubDate"], "2022-04-24 10:00:43");
    assert!(!page.meta.contains_key("ContentSource"));
    assert_eq!(
        page.disclosure.get("发布日期").map(String::as_str),
        Some("2017-05-15 10:49:00")
    );
    assert!(
        !page.disclosure.values().any(|v| v.contains("访问量")),
        "{:?}",
        page.disclosure
    );
    assert!(page.text.contains("2015年，全县人民"));
}

#[test]
fn handan_article_strong_label_lines() {
    let page = parse(
        "hebei-handan-xxgk-article-trs.html",
        "http://hdzfxxgk.hd.gov.cn/gszbm/auto23716/202008/t20200802_1352104.html",
    );
    let d = &page.disclosure;
    assert_eq!(d["索引号"], "000014348/2020-35147");
    assert_eq!(d["发布机构"], "邯郸市教育局");
    assert_eq!(d["文号"], "无");
    assert_eq!(d["发布日期"], "2020年08月02日");
    assert!(
        !d.contains_key("成文日期") && !d.contains_key("主题词"),
        "commented out: {d:?}"
    );
    assert_eq!(page.meta["PubDate"], "2020年08月02日");
}

#[test]
fn csrc_attachment_only_in_a_script_string() {
    let page = parse(
        "trs-wcm-article-file-appendix-csrc.html",
        "http://www.csrc.gov.cn/pub/zjhpublic/G00306202/202012/t20201204_388484.htm",
    );
    let files: Vec<_> = page.links.iter().filter(|l| l.kind == LinkKind::Attachment).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(
        files[0].url.as_str(),
        "http://www.csrc.gov.cn/pub/zjhpublic/G00306202/202012/P020201204639988160963.docx"
    );
    assert_eq!(
        files[0].text,
        "重庆三峡银行股份有限公司首次公开发行股票申请文件反馈意见.docx"
    );
    assert_eq!(page.title, "重庆三峡银行股份有限公司首次公开发行股票申请文件反馈意见");
    assert_eq!(
        page.text,
        "重庆三峡银行股份有限公司首次公开发行股票申请文件反馈意见，具体见附件。"
    );
    assert!(page.government_chrome, "a .gov.cn host");
}

#[test]
fn govcn_table_grid_and_ucap_content() {
    let page = parse(
        "govcn-zhengce-article-xxgk-table-fragment.html",
        "http://www.gov.cn/zhengce/content/2018-12/29/content_5353307.htm",
    );
    let d = &page.disclosure;
    assert_eq!(d["索引号"], "000014349/2018-00222");
    assert_eq!(d["发文机关"], "国务院");
    assert_eq!(d["成文日期"], "2018年12月21日");
    assert_eq!(d["发文字号"], "国发〔2018〕43号");
    assert_eq!(d["发布日期"], "2018年12月29日");
    assert!(d["标题"].ends_with("有关规定的决定"));
    assert!(
        page.text.starts_with("国务院关于在海南博鳌乐城国际医疗旅游先行区\n"),
        "{}",
        page.text
    );
    assert!(page.text.ends_with("（此件公开发布）"));
    assert!(!page.text.contains("扫一扫"));
}

#[test]
fn county_links_only_in_options() {
    let page = parse(
        "hebei-handan-xxgk-home-select-county-links.html",
        "http://hdzfxxgk.hd.gov.cn/",
    );
    let county = page
        .links
        .iter()
        .find(|l| l.url.host_str() == Some("www.chengan.gov.cn"))
        .expect("the <option value> county link");
    assert_eq!(county.text, "成安县人民政府");
    assert_eq!(county.kind, LinkKind::Navigation);
}

#[test]
fn ministry_page_behind_ruishu_keeps_its_metas() {
    let page = parse(
        "ruishu-protected-ministry-page-head-nmpa.html",
        "https://www.nmpa.gov.cn/zwfw/sdxx/sdxxyp/yppjfb/20200911083851127.html",
    );
    assert_eq!(page.meta["SiteIDCode"], "bm35000001");
    assert_eq!(page.title, "2020年09月11日药品批准证明文件待领取信息发布");
}

const REPORT: &str = "某某乡2023年政府工作报告";
const BODY: &str = "各位代表：现在，我代表乡人民政府向大会报告工作，请予审议。全乡粮食播种面积5997亩，财政收入4720万元，同比增长12.5%。";

fn article(charset: &str) -> String {
    format!(
        "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset={charset}\"><title>{REPORT}_某某乡人民政府</title></head>\
         <body><div class=nav><a href=/>首页</a></div><div id=zoom><p>{BODY}</p><p>{BODY}</p></div></body></html>"
    )
}

fn local(path: &str) -> Url {
    Url::parse(&format!("http://127.0.0.1:8080{path}")).unwrap()
}

#[test]
fn a_gbk_page_decodes() {
    let bytes = GB18030.encode(&article("gbk")).0.into_owned();
    let page = parse_page(&local("/a.html"), &bytes, Some("text/html"));
    assert_eq!((page.charset, page.charset_source), ("gb18030", CharsetSource::Meta));
    assert_eq!(page.title, REPORT);
    assert_eq!(page.text, format!("{BODY}\n{BODY}"));
    // No declaration anywhere: detected.
    let bare = GB18030.encode(&article("").replace("charset=", "")).0.into_owned();
    let page = parse_page(&local("/b.html"), &bare, None);
    assert_eq!(
        (page.charset, page.charset_source),
        ("gb18030", CharsetSource::Detected)
    );
    assert_eq!(page.title, REPORT);
}

#[test]
fn a_page_declaring_gb2312_that_is_utf8_decodes() {
    let page = parse_page(&local("/a.html"), article("gb2312").as_bytes(), None);
    assert_eq!((page.charset, page.charset_source), ("UTF-8", CharsetSource::Detected));
    assert_eq!(page.title, REPORT);
    assert!(page.text.starts_with(BODY));
}

#[test]
fn a_page_declaring_utf8_that_is_gbk_decodes() {
    let bytes = GB18030.encode(&article("utf-8")).0.into_owned();
    let page = parse_page(&local("/a.html"), &bytes, Some("text/html; charset=UTF-8"));
    assert_eq!(
        (page.charset, page.charset_source),
        ("gb18030", CharsetSource::Detected)
    );
    assert_eq!(page.title, REPORT);
    assert!(page.text.starts_with(BODY));
}
