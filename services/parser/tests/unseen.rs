//! Made-up pages in templates the parser has no rule for: the main text
//! must come from the density fallback, chrome-free, on any of them.

use townreports_parser::{LinkKind, parse_page};
use url::Url;

const PARAGRAPH: &str = "一年来，全镇上下坚持以人民为中心的发展思想，统筹推进稳增长、促改革、调结构、惠民生、防风险各项工作，经济社会发展呈现稳中有进、稳中向好的良好态势。";
const SECOND: &str = "全年完成地区生产总值18.6亿元，同比增长6.2%；一般公共预算收入4720万元，同比增长8.1%；农村居民人均可支配收入21350元，同比增长7.4%。";

fn parse(html: &str) -> townreports_parser::Page {
    let url = Url::parse("http://www.example-town.gov.cn/zwgk/gzbg/202402/20240201_88.html").unwrap();
    parse_page(&url, html.as_bytes(), Some("text/html; charset=utf-8"))
}

fn assert_clean(text: &str) {
    for chrome in [
        "首页",
        "网站地图",
        "当前位置",
        "打印",
        "关闭",
        "分享",
        "扫一扫",
        "浏览次数",
        "版权所有",
        "ICP备",
        "相关链接",
        "上一篇",
    ] {
        assert!(!text.contains(chrome), "{chrome} in:\n{text}");
    }
}

#[test]
fn old_table_layout_with_the_article_in_a_cell() {
    let nav: String = ["首页", "政务公开", "政务服务", "互动交流", "走进乡镇"]
        .iter()
        .enumerate()
        .map(|(i, t)| format!("<td><a href='/c{i}/'>{t}</a></td>"))
        .collect();
    let page = parse(&format!(
        "<html><head><title>某某镇2024年政府工作报告</title></head><body>\
         <table width=1000><tr>{nav}</tr></table>\
         <table width=1000><tr><td width=200 valign=top><table><tr><td><a href='/tzgg/'>通知公告</a></td></tr>\
         <tr><td><a href='/ldzc/'>领导之窗</a></td></tr></table></td>\
         <td width=800 valign=top><table><tr><td class=bt>某某镇2024年政府工作报告</td></tr>\
         <tr><td class=sj>发布时间：2024-02-01 浏览次数：[123]</td></tr>\
         <tr><td class=nr>\u{3000}\u{3000}{PARAGRAPH}<br>\u{3000}\u{3000}{SECOND}<br>\u{3000}\u{3000}{PARAGRAPH}</td></tr>\
         <tr><td align=right>【<a href='javascript:window.print()'>打印本页</a>】【<a href='javascript:window.close()'>关闭窗口</a>】</td></tr>\
         </table></td></tr></table>\
         <table><tr><td>版权所有：某某镇人民政府 地址：某某县某某路1号 蜀ICP备12345678号</td></tr></table></body></html>"
    ));
    assert_eq!(page.text, format!("{PARAGRAPH}\n{SECOND}\n{PARAGRAPH}"));
    assert_eq!(page.title, "某某镇2024年政府工作报告");
    assert!(!page.is_list_page);
}

#[test]
fn html5_article_with_header_nav_aside_and_footer() {
    let related: String = (1..=6)
        .map(|i| format!("<li><a href='/zwgk/2023{i:02}/t2023{i:02}01_{i}.html'>某某镇2023年第{i}次党委会议纪要</a><span>2023-{i:02}-01</span></li>"))
        .collect();
    let page = parse(&format!(
        "<!DOCTYPE html><html><head><title>某某镇2024年政府工作报告 - 某某镇人民政府</title></head><body>\
         <header><a href='/'><img alt=logo></a><nav><a href='/'>首页</a><a href='/wzdt/'>网站地图</a></nav></header>\
         <main><div class=crumbs>当前位置：<a href='/'>首页</a> &gt; 政务公开</div>\
         <article><h1>某某镇2024年政府工作报告</h1><p class=meta>来源：某某镇党政办 发布时间：2024-02-01 浏览次数：88</p>\
         <section><p>{PARAGRAPH}</p><h2>一、2023年工作回顾</h2><p>{SECOND}</p><p>{PARAGRAPH}</p></section>\
         <div class=share>分享到：<a href='#'>微信</a><a href='#'>微博</a></div>\
         <p class=qrcode>扫一扫在手机打开当前页</p></article>\
         <aside><h3>相关链接</h3><ul>{related}</ul></aside></main>\
         <footer>版权所有 某某镇人民政府 网站标识码：5111020001</footer></body></html>"
    ));
    assert!(
        page.text
            .contains(&format!("{PARAGRAPH}\n一、2023年工作回顾\n{SECOND}")),
        "{}",
        page.text
    );
    assert_clean(&page.text);
    assert_eq!(page.title, "某某镇2024年政府工作报告");
    assert_eq!(page.disclosure.get("来源").map(String::as_str), Some("某某镇党政办"));
    assert!(!page.is_list_page, "related links do not make an article a list");
    assert!(page.government_chrome);
}

#[test]
fn word_pasted_body_in_an_unknown_container() {
    let word = |t: &str| {
        format!(
            "<p class=MsoNormal style='text-indent:32.0pt'><a name=OLE_LINK1></a><span style='font-family:仿宋_GB2312'>{t}<o:p></o:p></span></p>"
        )
    };
    let page = parse(&format!(
        "<html><body><div id=top><a href='/'>首页</a> | <a href='/zwgk/'>政务公开</a></div>\
         <div class=position>您现在的位置：<a href='/'>首页</a> &gt; 工作总结</div>\
         <div class=wz_box><div class=wz_title>某某乡2023年工作总结和2024年工作计划</div>\
         <div class=wz_body>{}{}{}<p class=MsoNormal><span><o:p>&nbsp;</o:p></span></p><a name=_GoBack></a></div>\
         <div class=prevnext><p>上一篇：<a href='/a/1.html'>某某乡2022年工作总结</a></p><p>下一篇：没有了</p></div></div>\
         <div class=foot>版权所有 某某乡人民政府</div></body></html>",
        word(PARAGRAPH),
        word(SECOND),
        word(PARAGRAPH)
    ));
    assert_eq!(page.text, format!("{PARAGRAPH}\n{SECOND}\n{PARAGRAPH}"));
    assert_eq!(page.title, "某某乡2023年工作总结和2024年工作计划");
}

#[test]
fn a_short_attachment_only_article_keeps_its_body_and_file() {
    let page = parse(
        "<html><body><div class=nav><a href='/'>首页</a><a href='/zwgk/'>政务公开</a><a href='/hdjl/'>互动交流</a></div>\
         <div class=detail><h2>关于印发某某镇2024年工作要点的通知</h2>\
         <div class=body><p>各村（社区）、镇直各单位：</p><p>现将《某某镇2024年工作要点》印发给你们，请结合实际认真贯彻落实。</p>\
         <p>附件：<a href='/uploads/2024/某某镇2024年工作要点.docx'>某某镇2024年工作要点.docx</a></p></div></div>\
         <div class=footer><p>主办：某某镇人民政府 地址：某某县某某路1号 联系电话：0000-1234567 网站标识码：5111020001</p></div></body></html>",
    );
    assert!(
        page.text.starts_with(
            "关于印发某某镇2024年工作要点的通知\n各村（社区）、镇直各单位：\n现将《某某镇2024年工作要点》"
        ),
        "the heading inside the container stays: {}",
        page.text
    );
    assert_eq!(page.title, "关于印发某某镇2024年工作要点的通知");
    assert!(!page.text.contains("主办"));
    let files: Vec<_> = page.links.iter().filter(|l| l.kind == LinkKind::Attachment).collect();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].text, "某某镇2024年工作要点.docx");
}

#[test]
fn a_list_in_an_unknown_template() {
    let rows: String = (1..=12)
        .map(|i| {
            format!(
                "<div class=row><a href='/xxgk/show.asp?id={i}' title='某某街道2024年第{i}期工作简报全文'>某某街道2024年第{i}期工作...</a><em>[2024-03-{i:02}]</em></div>"
            )
        })
        .collect();
    let page = parse(&format!(
        "<html><body><div class=menu><a href='/'>首页</a></div><div class=lb>{rows}</div>\
         <div class=fy><a href='/xxgk/list.asp?page=2'>下一页</a><a href='/xxgk/list.asp?page=9'>尾页</a></div></body></html>"
    ));
    assert!(page.is_list_page);
    let articles: Vec<_> = page.links.iter().filter(|l| l.kind == LinkKind::Article).collect();
    assert_eq!(articles.len(), 12);
    assert_eq!(articles[0].text, "某某街道2024年第1期工作简报全文");
    let pages: Vec<_> = page.links.iter().filter(|l| l.kind == LinkKind::Pagination).collect();
    assert_eq!(pages.len(), 2);
}
