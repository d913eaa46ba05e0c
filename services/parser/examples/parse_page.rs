//! Prints what the parser makes of a saved page:
//! `cargo run -p townreports-parser --example parse_page -- PAGE.html [URL] [CONTENT-TYPE]`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: dump PAGE [URL] [CONTENT-TYPE]");
        return ExitCode::FAILURE;
    };
    let url = args.next().unwrap_or_else(|| "http://localhost/page.html".to_string());
    let content_type = args.next();
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let url = match url::Url::parse(&url) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("not a URL: {e}");
            return ExitCode::FAILURE;
        }
    };
    let page = townreports_parser::parse_page(&url, &bytes, content_type.as_deref());
    println!("charset:  {} ({:?})", page.charset, page.charset_source);
    println!("title:    {}", page.title);
    println!(
        "list:     {}   government chrome: {}",
        page.is_list_page, page.government_chrome
    );
    for (name, value) in &page.meta {
        println!("meta      {name} = {value}");
    }
    for (label, value) in &page.disclosure {
        println!("field     {label} = {value}");
    }
    for link in &page.links {
        println!("{:<10}{} {}", format!("{:?}", link.kind), link.url, link.text);
    }
    println!("---- text ({} chars)\n{}", page.text.chars().count(), page.text);
    ExitCode::SUCCESS
}
