//! A scraping aggregator (ThinkPHP URLs, as `/index/article/detail/
//! detail_id/N.html`): a copied article cut short by a login wall, then
//! reward, share, comment and QR widgets whose text sits right after the
//! body; lists page with plain 上一页 / 下一页 links.

use super::chrome::{self, day, text};
use super::{Family, ListPage, Site};
use crate::model::Document;

const LIST_PREFIX: &str = "/index/article/lists/page/";

pub struct Aggregator;

impl Aggregator {
    fn header(site: &Site) -> String {
        format!(
            "<body>\n<div class=\"header\"><div class=\"logo\"><a href=\"/\">{}</a></div>\n\
             <div class=\"menu\"><a href=\"/\">首页</a> <a href=\"{LIST_PREFIX}1.html\">{}</a> <a href=\"/index/user/login.html\">登录</a> <a href=\"/index/user/register.html\">注册</a></div>\n\
             <form action=\"/index/search/index.html\" method=\"get\"><input name=\"keyword\" placeholder=\"搜索文章\" /><button>搜索</button></form></div>\n",
            text(&site.spec.name),
            text(&site.spec.column),
        )
    }

    fn footer(site: &Site) -> String {
        format!(
            "<div class=\"footer\"><p>Copyright © 2017-2022 {} 版权所有　本站文章来自网友投稿，如有侵权请联系删除</p></div>\n</body>\n</html>\n",
            text(&site.spec.name)
        )
    }
}

impl Family for Aggregator {
    fn list_path(&self) -> String {
        format!("{LIST_PREFIX}1.html")
    }

    fn list_page(&self, path: &str, _query: &str) -> Option<usize> {
        let n: usize = path.strip_prefix(LIST_PREFIX)?.strip_suffix(".html")?.parse().ok()?;
        n.checked_sub(1)
    }

    fn article_path(&self, doc: &Document) -> String {
        format!("/index/article/detail/detail_id/{}.html", doc.id)
    }

    fn render_list(&self, site: &Site, list: &ListPage) -> String {
        let items = self.rows(list.docs, |d, link| {
            format!(
                "<li><h3><a href=\"{}\" title=\"{}\">{}</a></h3><p class=\"info\"><span>{}</span> <span>阅读({})</span></p></li>\n",
                link.href,
                link.title_attr,
                link.title,
                text(day(&d.date)),
                d.views.unwrap_or(0)
            )
        });
        let page = list.number + 1;
        let prev = if page > 1 {
            format!("<a href=\"{LIST_PREFIX}{}.html\">上一页</a> ", page - 1)
        } else {
            String::new()
        };
        let next = if page < list.count {
            format!("<a href=\"{LIST_PREFIX}{}.html\">下一页</a>", page + 1)
        } else {
            String::new()
        };
        format!(
            "{}{}<div class=\"main\"><div class=\"crumb\"><a href=\"/\">首页</a> &gt; {}</div>\n<ul class=\"article-list\">\n{items}</ul>\n\
             <div class=\"pagination\">{prev}<span class=\"current\">{page}</span> {next}</div></div>\n{}",
            chrome::head(site, &format!("{}_第{page}页_{}", site.spec.column, site.spec.name), ""),
            Aggregator::header(site),
            text(&site.spec.column),
            Aggregator::footer(site),
        )
    }

    fn render_article(&self, site: &Site, doc: &Document, related: &[&Document]) -> String {
        let related: String = related
            .iter()
            .map(|r| format!("<li><a href=\"{}\">{}</a></li>", self.article_path(r), text(&r.title)))
            .collect();
        let rewards: String = ["0.01", "1", "365", "188", "99.99", "66.6", "52", "6.66", "6"]
            .iter()
            .map(|v| format!("<li>¥{v}</li>"))
            .collect();
        format!(
            "{}{}<div class=\"main\"><div class=\"article\">\n<h1 class=\"title\">{title}</h1>\n\
             <div class=\"meta\"><span class=\"time\">{}</span> <span class=\"view\">{}</span></div>\n\
             <div class=\"article-content\">\n{}</div>\n\
             <div class=\"readall\"><a href=\"/index/user/login.html\">阅读全文</a><p>(想阅读完全部图文内容,您需要先登陆!)</p></div>\n\
             <div class=\"reward\"><p>如果喜欢本篇内容,请赞赏鼓励哦!</p><p>尚未有人赏赞,赶紧来一个吧</p><a href=\"javascript:void(0)\">查看更多&gt;&gt;</a>\n\
             <div class=\"reward-box\"><p>请选择打赏类型</p><ul>{rewards}</ul><button>赏赞</button></div></div>\n\
             <div class=\"share\">分享:<div class=\"wx-share\">微信扫一扫在手机阅读、分享本文</div></div>\n\
             <div class=\"comments\"><h4>精选留言</h4><a href=\"/index/user/login.html\">我要留言</a></div>\n\
             <div class=\"about\"><h4>关于本文</h4><p>本文标题:{title}</p><p>链接地址:{}/{}</p></div>\n\
             <div class=\"related\"><h4>相关内容</h4><ul>{related}</ul></div></div>\n\
             <div class=\"side\"><h4>热门推荐</h4><ul><li>• 本周热门</li><li>• 本月热门</li></ul>\
             <div class=\"qrcode\"><p>二维码</p><img src=\"/static/images/qrcode.jpg\" alt=\"\" /><p>微信订阅号</p></div><div class=\"kefu\">联系客服</div></div></div>\n{}",
            chrome::head(site, &format!("{}_{}", doc.title, site.spec.name), ""),
            Aggregator::header(site),
            text(day(&doc.date)),
            doc.views.unwrap_or(0),
            chrome::paragraphs(doc),
            site.base_url(),
            self.article_path(doc),
            Aggregator::footer(site),
            title = text(&doc.title),
        )
    }

    fn disallowed(&self) -> &'static [&'static str] {
        &["/admin/", "/index/user/", "/index/search/"]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_pages_count_from_one() {
        assert_eq!(Aggregator.list_page("/index/article/lists/page/1.html", ""), Some(0));
        assert_eq!(Aggregator.list_page("/index/article/lists/page/3.html", ""), Some(2));
        assert_eq!(Aggregator.list_page("/index/article/lists/page/0.html", ""), None);
        assert_eq!(Aggregator.list_page("/index/article/lists/page/.html", ""), None);
    }
}
